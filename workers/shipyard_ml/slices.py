"""Named data slices: a tiny, safe filter language (no eval).

A slice filter is ``<column> <op> <value>`` with op one of ``== != < <= > >=`` or
``<column> in [v1, v2, ...]``; values are numbers or quoted strings. Examples:
``country == "DE"``, ``mean_intensity > 5.0``, ``label in [0, 1]``.
Parsing is pure Python (the web process validates with it); applying uses pandas, imported lazily.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass
from typing import Any

OPS = ("==", "!=", "<=", ">=", "<", ">", "in")
_EXPR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(==|!=|<=|>=|<|>|\bin\b)\s*(.+?)\s*$")


class SliceError(ValueError):
    pass


@dataclass(frozen=True)
class SliceFilter:
    column: str
    op: str
    value: Any


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        pass
    if raw in {"true", "false"}:
        return raw == "true"
    raise SliceError(f"value {raw!r} must be a number, true/false or a quoted string")


def parse_slice(expr: str) -> SliceFilter:
    if not isinstance(expr, str) or len(expr) > 500:
        raise SliceError("a slice filter is a string of at most 500 characters")
    match = _EXPR.match(expr)
    if not match:
        raise SliceError(f"cannot parse {expr!r}; write '<column> <op> <value>' with op in {', '.join(OPS)}")
    column, op, raw = match.groups()
    if op == "in":
        raw = raw.strip()
        if not (raw.startswith("[") and raw.endswith("]")):
            raise SliceError('\'in\' takes a list: column in [1, 2] or column in ["a", "b"]')
        try:
            values = json.loads(raw.replace("'", '"'))
        except json.JSONDecodeError:
            raise SliceError(f"cannot parse the list {raw!r}") from None
        if not isinstance(values, list) or not all(isinstance(v, (int, float, str, bool)) for v in values):
            raise SliceError("'in' takes a list of numbers or strings")
        return SliceFilter(column, op, values)
    return SliceFilter(column, op, _literal(raw))


def slice_mask(frame: Any, expr: str) -> Any:
    """A boolean mask of the rows of a pandas DataFrame that fall in the slice."""
    flt = parse_slice(expr)
    if flt.column not in frame.columns:
        raise SliceError(f"slice column '{flt.column}' is not in the dataset")
    col = frame[flt.column]
    if flt.op == "in":
        return col.isin(flt.value)
    compare = {
        "==": operator.eq,
        "!=": operator.ne,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }[flt.op]
    try:
        return compare(col, flt.value)
    except TypeError:
        raise SliceError(f"slice {expr!r} compares column '{flt.column}' with a value of another type") from None
