"""Who uses a model version. The registry sits below the apps that use versions (serving), so it
never imports them: they register a source here when they start (``AppConfig.ready``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: (version) -> [{"id", "kind", "name", ...}] for the objects that use the version
UsageSource = Callable[[Any], list[dict[str, Any]]]
_sources: list[UsageSource] = []


def usage_source_register(source: UsageSource) -> None:
    if source not in _sources:
        _sources.append(source)


def version_users(version: Any) -> list[dict[str, Any]]:
    return [user for source in _sources for user in source(version)]
