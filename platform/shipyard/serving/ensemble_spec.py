"""The ensemble part of a serving request message (see ``protocol.Request.ensemble``). Pure."""

from __future__ import annotations

from typing import Any


def ensemble_spec(value: Any) -> dict[str, Any] | None:
    """An ensemble spec of a request message; ValueError (a ProtocolError upstream) when malformed."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("m"), list) or not value["m"]:
        raise ValueError("ensemble spec")
    for member in value["m"]:
        if not isinstance(member, list) or len(member) != 3 or not all(isinstance(x, str) for x in member):
            raise ValueError("ensemble member")
    weights = value.get("w")
    if weights is not None and (not isinstance(weights, list) or len(weights) != len(value["m"])):
        raise ValueError("ensemble weights")
    return {"c": str(value.get("c", "mean")), "w": weights, "m": value["m"], "r": bool(value.get("r"))}
