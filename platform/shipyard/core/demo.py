"""The demo seed's shared context. Each app may contribute a ``demo.py`` with ``seed(ctx)``; the
``shipyard_seed_demo`` command runs them in the order of INSTALLED_APPS. The projects app's seed
runs first among them and fills in the demo user, team and projects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoContext:
    stdout: Any
    options: dict[str, Any] = field(default_factory=dict)
    user: Any = None
    team: Any = None
    projects: dict[str, Any] = field(default_factory=dict)
    #: what the seed prints at the end (the login)
    login: str = ""
