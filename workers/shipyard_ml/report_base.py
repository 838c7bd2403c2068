"""The base of every typed report (``shipyard_ml.reports``, ``shipyard_ml.evidence_reports``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ConfigDict


@dataclass
class Report:
    """Base of every report: ``to_dict()`` is what a job stores (every field, defaults included)."""

    # the published schema marks fields with defaults as present too: to_dict() always writes them
    __pydantic_config__ = ConfigDict(json_schema_serialization_defaults_required=True)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
