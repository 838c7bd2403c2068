"""Tag pytest tests with ML Test Score rubric ids in one line.

    @pytest.mark.mlts("infra-1")
    def test_model_spec_is_reviewed(): ...

Each id becomes a ``<property name="mlts" value="infra-1"/>`` of the test case in pytest's JUnit
XML (``--junitxml``), which Shipyard reads. Enable with ``-p shipyard.client.pytest_plugin`` (or
``addopts = "-p shipyard.client.pytest_plugin"`` in your pytest configuration).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

_ID = re.compile(r"^(data|model|infra|monitor)-[1-7]$")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "mlts(*ids): ML Test Score rubric test ids this test verifies, e.g. 'infra-1'")


def rubric_ids(item: Any) -> list[str]:
    found: list[str] = []
    for marker in item.iter_markers(name="mlts"):
        for arg in marker.args:
            for part in str(arg).split(","):
                rid = part.strip().lower()
                if not _ID.match(rid):
                    raise pytest.UsageError(
                        f"{item.nodeid}: @pytest.mark.mlts({arg!r}) is not a rubric test id like 'infra-1'"
                    )
                if rid not in found:
                    found.append(rid)
    return found


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        for rid in rubric_ids(item):
            item.user_properties.append(("mlts", rid))
