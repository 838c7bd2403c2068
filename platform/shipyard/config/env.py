"""The one reader of the process environment.

Every setting that comes from the environment is read here, parsed, and validated. A malformed
value fails loudly at start-up with the variable's name, never silently falls back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A malformed environment variable."""


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default)


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean (use one of: 1, 0, true, false, yes, no, on, off)")


def env_bool_renamed(name: str, old_name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """A boolean whose variable was renamed: ``name`` wins; ``old_name`` is still read when ``name`` is unset."""
    environ = os.environ if environ is None else environ
    if name in environ:
        return env_bool(name, default, environ)
    return env_bool(old_name, default, environ)


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise EnvError(f"{name}={value} must be at most {maximum}")
    return value


def env_float(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a number") from None


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


_ENTRY_POINT = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def env_entry_points(name: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma list of exact ``package.module:function`` entry points (default: none)."""
    items = env_list(name, [], environ)
    for item in items:
        if not _ENTRY_POINT.match(item):
            raise EnvError(f"{name} entry {item!r} is not an exact entry point like package.module:function")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, default, environ).strip().lower()
    if value not in choices:
        raise EnvError(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class DatabaseConfig:
    name: str
    user: str
    password: str
    host: str
    port: str
    options: dict[str, str]

    def as_django(self) -> dict[str, object]:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": self.name,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": self.port,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"connect_timeout": 5, **self.options},
            "TEST": {"NAME": f"test_{self.name}"},
        }


def parse_database_url(url: str, *, var: str = "DATABASE_URL") -> DatabaseConfig:
    """Parse ``postgres://user:pass@host:port/name?host=/socket/dir`` (dj-database-url). Only
    PostgreSQL is accepted; a query parameter other than ``host`` becomes a libpq option."""
    import dj_database_url

    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "postgresql+psycopg"}:
        raise EnvError(f"{var} must be a postgres:// URL (Shipyard runs on PostgreSQL only), got scheme {scheme!r}")
    try:
        parsed = dj_database_url.parse(url.replace("postgresql+psycopg://", "postgresql://", 1))
    except ValueError:
        raise EnvError(f"{var} is not a valid URL (check the port)") from None
    if not parsed.get("NAME"):
        raise EnvError(f"{var} must name a database (postgres://user@host:5432/<name>)")
    options = {str(k): str(v) for k, v in dict(parsed.get("OPTIONS") or {}).items()}
    host = options.pop("host", "") or str(parsed.get("HOST") or "")
    return DatabaseConfig(
        name=str(parsed["NAME"]),
        user=str(parsed.get("USER") or ""),
        password=str(parsed.get("PASSWORD") or ""),
        host=host,
        port=str(parsed.get("PORT") or ""),
        options=options,
    )


def parse_redis_url(url: str, *, var: str = "REDIS_URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise EnvError(f"{var} must be a redis:// or rediss:// URL, got scheme {parts.scheme!r}")
    if parts.scheme != "unix" and not parts.hostname:
        raise EnvError(f"{var} must name a host (redis://host:6379/0)")
    return url


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server with another logical database number."""
    parts = urlsplit(url)
    return parts._replace(path=f"/{db}").geturl()
