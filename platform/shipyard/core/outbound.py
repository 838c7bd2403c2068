"""Every outgoing HTTP request of the platform goes through this module (CI notifications, alert webhooks).

The target URL is checked before anything is sent:

* only ``http`` and ``https``, a host is required, no ``user:password@`` part;
* the host is resolved once; every address it resolves to must be public (loopback, private, link-local,
  unique-local, site-local, shared, multicast, reserved, unspecified and the IPv4 forms embedded in IPv6
  addresses are refused) unless the operator setting ``OUTBOUND_ALLOW_PRIVATE`` is on; cloud metadata
  endpoints are refused even then;
* the connection goes to the checked address (no second lookup, so a name cannot re-resolve to an internal
  address between the check and the request), with the original ``Host`` header and, for https, TLS SNI and
  certificate verification for the host name;
* redirects are never followed: a 3xx answer is reported as a failed delivery with its status;
* nothing of the response body is read, and errors are reported in a short fixed vocabulary
  (``OutboundResult.status``) that never carries remote text or exception details.

The command-line client in ``shipyard.client`` is a user-side tool that talks to a Shipyard server the user
chose; it does not run inside the platform and does not use this module.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "Shipyard-Outbound/1"
MAX_URL_CHARS = 2000

# Cloud instance metadata services: refused even when the operator allows private targets.
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    }
)
INTERNAL_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")

# The fixed vocabulary of refusals and failures (the only texts ever recorded or shown).
REFUSED_SCHEME = "refused: only http and https URLs are allowed"
REFUSED_HOST = "refused: the URL must name a host"
REFUSED_USERINFO = "refused: credentials in the URL are not allowed"
REFUSED_PORT = "refused: invalid port"
REFUSED_MALFORMED = "refused: malformed URL"
REFUSED_PRIVATE = "refused: private address"
REFUSED_METADATA = "refused: metadata address"
REFUSED_UNRESOLVED = "refused: host does not resolve"
ERROR_FAILED = "error: delivery failed"
ERROR_TIMEOUT = "error: timeout"

_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


class UnsafeURL(ValueError):
    """A URL the platform must not send requests to; ``str(exc)`` is one of the ``REFUSED_*`` texts."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for (``host``, ``path``)."""

    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, as written in the URL
    port: int
    path: str  # path and query, never empty
    address: str  # the checked IP address the connection goes to ("" when not resolved)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True)
class OutboundResult:
    """The outcome of one request: ``ok`` for a 2xx; ``status`` is ``"200"``-style or a fixed refusal/error."""

    ok: bool
    status: str
    http_status: int | None = None


def allow_private() -> bool:
    """Operators may allow internal targets (the setting ``OUTBOUND_ALLOW_PRIVATE``, from the environment)."""
    return bool(settings.OUTBOUND_ALLOW_PRIVATE)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses carried inside an IPv6 one (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64)."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    packed = int(address)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d (IPv4-compatible, deprecated)
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 well-known prefix
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    return found


def _is_internal(address: IPAddress) -> bool:
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def check_address(address: IPAddress) -> None:
    """Raise ``UnsafeURL`` unless the platform may connect to ``address``."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        candidates.extend(_embedded_ipv4(address))
    if any(candidate in METADATA_ADDRESSES for candidate in candidates):
        raise UnsafeURL(REFUSED_METADATA)
    if allow_private():
        return
    if any(_is_internal(candidate) for candidate in candidates):
        raise UnsafeURL(REFUSED_PRIVATE)


def _literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for, including the decimal, octal and hex IPv4
    forms (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) that name resolution would accept."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise UnsafeURL(REFUSED_UNRESOLVED) from None
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        try:
            addresses.append(ipaddress.ip_address(raw))
        except ValueError:
            raise UnsafeURL(REFUSED_UNRESOLVED) from None
    if not addresses:
        raise UnsafeURL(REFUSED_UNRESOLVED)
    return addresses


def check_url(url: str, *, resolve: bool = True) -> Target:
    """Check ``url`` and return where to connect. Raises ``UnsafeURL`` with a fixed message.

    With ``resolve=False`` only the URL's form and IP literals are checked (``Target.address`` stays empty
    for host names); requests always resolve.
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS or _UNSAFE_CHARS.search(url):
        raise UnsafeURL(REFUSED_MALFORMED)
    try:
        parts = urlsplit(url)
        port_value = parts.port
    except ValueError:
        raise UnsafeURL(REFUSED_PORT) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(REFUSED_SCHEME)
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeURL(REFUSED_USERINFO)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL(REFUSED_HOST)
    port = port_value if port_value is not None else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise UnsafeURL(REFUSED_PORT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    literal = _literal_address(host)
    if literal is not None:
        check_address(literal)
        return Target(scheme=scheme, host=str(literal), port=port, path=path, address=str(literal))
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnsafeURL(REFUSED_MALFORMED) from None
    if not allow_private() and (ascii_host == "localhost" or ascii_host.endswith(INTERNAL_NAME_SUFFIXES)):
        raise UnsafeURL(REFUSED_PRIVATE)
    if not resolve:
        return Target(scheme=scheme, host=ascii_host, port=port, path=path, address="")
    addresses = _resolve(ascii_host, port)
    for address in addresses:  # every address the name has: the check does not depend on which one is used
        check_address(address)
    return Target(scheme=scheme, host=ascii_host, port=port, path=path, address=str(addresses[0]))


def _pool(target: Target, timeout: float) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the checked address; TLS is verified against the URL's host name."""
    options: dict[str, Any] = {
        "port": target.port,
        "maxsize": 1,
        "retries": False,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
    }
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            target.address,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
            **options,
        )
    return urllib3.HTTPConnectionPool(target.address, **options)


def post_json(url: str, payload: Any, *, timeout: float = 5.0) -> OutboundResult:
    """POST ``payload`` as JSON to ``url`` after the checks above. Never raises for a refused or failed
    delivery and never follows a redirect; the response body is not read."""
    try:
        target = check_url(url)
    except UnsafeURL as exc:
        return OutboundResult(ok=False, status=str(exc))
    body = json.dumps(payload).encode()
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
    }
    pool = _pool(target, timeout)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        code = response.status
        response.close()
    except NewConnectionError:  # a subclass of the timeout error in urllib3: refused, unreachable
        logger.info("outbound request to %s failed: no connection", target.host)
        return OutboundResult(ok=False, status=ERROR_FAILED)
    except Urllib3Timeout:
        logger.info("outbound request to %s timed out", target.host)
        return OutboundResult(ok=False, status=ERROR_TIMEOUT)
    except (Urllib3Error, OSError) as exc:
        logger.info("outbound request to %s failed: %s", target.host, type(exc).__name__)
        return OutboundResult(ok=False, status=ERROR_FAILED)
    finally:
        pool.close()
    if 200 <= code < 300:
        return OutboundResult(ok=True, status=str(code), http_status=code)
    if 300 <= code < 400:
        return OutboundResult(ok=False, status=f"{ERROR_FAILED} (HTTP {code}, redirect not followed)", http_status=code)
    return OutboundResult(ok=False, status=f"{ERROR_FAILED} (HTTP {code})", http_status=code)
