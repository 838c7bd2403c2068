"""Input validation against a version's signature and training dataset schema (rubric monitor-2).

Pure functions (no Django): the web process builds a :class:`InputSchema` once per cached
deployment config and checks every request against it in plain Python (cheap for one row).
"""

from __future__ import annotations

import json
import math
import reprlib
from dataclasses import dataclass, field
from typing import Any

#: nesting limit for data-plane bodies; a predict row is two levels below the top
MAX_JSON_DEPTH = 32


class InputError(ValueError):
    """A request that breaks the schema; ``field`` names the feature (or "inputs")."""

    def __init__(self, message: str, field: str = "inputs") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def loads_body(raw: bytes, *, max_depth: int | None = MAX_JSON_DEPTH, field: str = "body") -> Any:
    """A data-plane request body as JSON: :class:`InputError` (naming ``field``) when it is not
    UTF-8 JSON or is nested deeper than ``max_depth`` (None: only the parser's own recursion
    limit), and an InputError naming the top-level key when a NUL character hides in any key or
    string (PostgreSQL text and jsonb cannot hold one). The walk over the parsed value only runs
    when the text could break a rule (an escaped NUL, or more brackets than the limit)."""
    try:
        text = raw.decode("utf-8") if raw else "null"
        value = json.loads(text)
    except RecursionError:
        raise InputError("The body is nested too deeply.", field=field) from None
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InputError("The body is not valid JSON.", field=field) from None
    too_many = max_depth is not None and text.count("[") + text.count("{") > max_depth
    if too_many or "\\u0000" in text:
        too_deep, nul_under = _depth_or_nul(value, max_depth)
        if too_deep:
            raise InputError(f"The body is nested deeper than {max_depth} levels.", field=field)
        if nul_under is not None:
            message = "NUL characters are not allowed."
            raise InputError(f"{nul_under}: {message}", field=nul_under)
    return value


def _depth_or_nul(value: Any, max_depth: int | None) -> tuple[bool, str | None]:
    """(nested deeper than ``max_depth``, the top-level key under which a NUL character hides,
    "body" when the top level is not an object). Iterative, so any depth is safe to walk."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        item, depth, top = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False, top
        elif isinstance(item, (list, dict)):
            if max_depth is not None and depth > max_depth:
                return True, None
            if isinstance(item, dict):
                for key, child in item.items():
                    if "\x00" in key:
                        return False, (key.replace("\x00", "") or "body") if depth == 1 else top
                    stack.append((child, depth + 1, key if depth == 1 else top))
            else:
                stack.extend((child, depth + 1, top) for child in item)
    return False, None


@dataclass(frozen=True)
class Feature:
    name: str
    kind: str = "numeric"  # numeric | integer | boolean | categorical | string
    minimum: float | None = None
    maximum: float | None = None
    categories: frozenset[Any] | None = None
    nullable: bool = False


@dataclass
class InputSchema:
    features: list[Feature] = field(default_factory=list)
    #: expected row width when only the signature's shape is known
    width: int | None = None
    #: (minimum, maximum) shared by every feature when all are plain numbers with the same bounds
    #: (the digits pixels: 0..16): a row of numbers is then checked in a few C-level passes
    #: (:func:`_plain_row_ok`) instead of one Python call per value
    uniform: tuple[float, float] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        fs = self.features
        if fs and all(f.kind == "numeric" and f.categories is None for f in fs):
            lows = {f.minimum for f in fs}
            highs = {f.maximum for f in fs}
            if len(lows) == 1 and len(highs) == 1:
                low, high = lows.pop(), highs.pop()
                self.uniform = (-math.inf if low is None else low, math.inf if high is None else high)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]


def _static_width(signature: dict[str, Any]) -> int | None:
    inputs = signature.get("inputs") or []
    if not inputs:
        return None
    shape = inputs[0].get("shape") or []
    if len(shape) >= 2 and isinstance(shape[-1], int) and shape[-1] > 0:
        width = 1
        for dim in shape[1:]:
            if not isinstance(dim, int) or dim <= 0:
                return None
            width *= dim
        return width
    return None


def build_schema(
    signature: dict[str, Any] | None, dataset_schema: dict[str, Any] | None, label: str = ""
) -> InputSchema:
    """Features in model input order: the signature's ``features`` names, typed and bounded by the
    training dataset's schema when it describes them; otherwise the dataset's feature columns."""
    signature = signature or {}
    ds_features = {f.get("name"): f for f in (dataset_schema or {}).get("features", []) if f.get("name")}
    label = label or (dataset_schema or {}).get("label") or ""
    names: list[str] = [str(n) for n in signature.get("features") or []]
    if not names and ds_features:
        names = [n for n in ds_features if n != label]
    features = []
    for name in names:
        spec = ds_features.get(name, {})
        cats = spec.get("categories")
        features.append(
            Feature(
                name=name,
                kind=str(spec.get("dtype") or "numeric"),
                minimum=spec.get("min") if isinstance(spec.get("min"), (int, float)) else None,
                maximum=spec.get("max") if isinstance(spec.get("max"), (int, float)) else None,
                categories=frozenset(cats) if isinstance(cats, list) and cats else None,
                nullable=bool(spec.get("nullable", False)),
            )
        )
    width = len(features) or _static_width(signature)
    return InputSchema(features=features, width=width)


def _check_value(feature: Feature, value: Any) -> str | None:
    """The kind of violation, or None when the value satisfies the feature."""
    if value is None:
        return None if feature.nullable else "missing"
    if not isinstance(value, (str, int, float, bool)):
        return "type"  # a row holds scalars only
    if isinstance(value, str) and "\x00" in value:
        return "nul"
    kind = feature.kind
    if kind in {"categorical", "string"}:
        if feature.categories is not None and value not in feature.categories:
            return "unknown_category"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) or value in (0, 1) else "type"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "type"
    if isinstance(value, float) and not math.isfinite(value):
        return "not_finite"
    if kind == "integer" and isinstance(value, float) and not value.is_integer():
        return "type"
    if feature.minimum is not None and value < feature.minimum:
        return "out_of_range"
    if feature.maximum is not None and value > feature.maximum:
        return "out_of_range"
    return None


_NUMBERS = frozenset({int, float})


def _plain_row_ok(values: list[Any], bounds: tuple[float, float], floats: bool = False) -> bool:
    """Whether every value is a finite int or float within ``bounds`` (bool is its own type, so
    true/false fall through). False only sends the row to the per-value check, which names the
    problem: the answer is never a different verdict, only a faster one. ``floats``: the caller
    already knows every value is a float, so the scan of the types is skipped."""
    if not floats and not set(map(type, values)) <= _NUMBERS:
        return False
    try:
        total = sum(values)  # inf or nan when any value is: a finite sum means finite values
        return math.isfinite(total) and min(values) >= bounds[0] and max(values) <= bounds[1]
    except OverflowError:  # an int too large for a float
        return False


#: violations the model cannot run with: rejected whatever the policy
_ALWAYS_REJECT = frozenset({"missing", "type", "not_finite", "nul"})

_MESSAGES = {
    "missing": "is required",
    "type": "has the wrong type",
    "not_finite": "must be a finite number",
    "nul": "must not contain NUL characters",
    "out_of_range": "is outside the training range",
    "unknown_category": "is an unknown category",
}


def validate(
    inputs: Any, schema: InputSchema, *, reject: bool, max_rows: int = 1024, floats: bool = False
) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """Rows as lists in model input order, and the violations found (``reject``: the first one raises).

    ``inputs`` is one row or a list of rows; a row is a list of values or an object of named features.
    ``floats``: the rows are lists of floats and nothing else, as a decoder has already checked.
    """
    if isinstance(inputs, dict) or (isinstance(inputs, list) and inputs and not isinstance(inputs[0], (list, dict))):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise InputError("Expected a non-empty list of rows.")
    if len(inputs) > max_rows:
        raise InputError(f"At most {max_rows} rows per request.")
    names = schema.names
    width = schema.width
    rows: list[list[Any]] = []
    violations: list[dict[str, Any]] = []
    for index, row in enumerate(inputs):
        if isinstance(row, dict):
            if not names:
                raise InputError(
                    "Named features need a model signature with feature names; send rows as lists.",
                    field=f"inputs[{index}]",
                )
            unknown = [k for k in row if k not in schema.names]
            if unknown:
                raise InputError(f"Unknown feature '{unknown[0]}'.", field=unknown[0])
            values = [row.get(n) for n in names]
        elif isinstance(row, list):
            values = row
        else:
            raise InputError(
                "Each row must be a list of values or an object of named features.", field=f"inputs[{index}]"
            )
        if width is not None and len(values) != width:
            raise InputError(
                f"Row {index} has {len(values)} values; the model takes {width}.", field=f"inputs[{index}]"
            )
        if schema.uniform is not None and values and _plain_row_ok(values, schema.uniform, floats):
            pass
        elif schema.features:
            for feature, value in zip(schema.features, values, strict=False):
                problem = _check_value(feature, value)
                if problem is not None:
                    if reject or problem in _ALWAYS_REJECT:
                        raise InputError(
                            f"Feature '{feature.name}' {_MESSAGES[problem]} (row {index}, value {reprlib.repr(value)}).",
                            field=feature.name,
                        )
                    violations.append({"row": index, "feature": feature.name, "kind": problem})
        else:
            for position, value in enumerate(values):
                if (
                    isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or (isinstance(value, float) and not math.isfinite(value))
                ):
                    raise InputError(
                        f"Value {position} of row {index} must be a finite number.",
                        field=f"inputs[{index}][{position}]",
                    )
        rows.append(values)
    return rows, violations


#: the keys a ``predict`` body may hold
PREDICT_KEYS = frozenset({"inputs", "routing_key", "members"})


@dataclass(frozen=True)
class PredictInput:
    inputs: Any
    routing_key: str | None
    #: an ensemble's answer also carries each member's output
    members: bool = False


def predict_input(raw: bytes, *, header_routing_key: str | None = None) -> tuple[Any, str | None]:
    """:func:`predict_request`'s inputs and routing key."""
    request = predict_request(raw, header_routing_key=header_routing_key)
    return request.inputs, request.routing_key


def predict_request(raw: bytes, *, header_routing_key: str | None = None) -> PredictInput:
    """The ``inputs`` and routing key of a ``predict`` body (the body's ``routing_key``, else the
    ``X-Routing-Key`` header); :class:`InputError` naming the field for anything else."""
    # rows are checked to hold scalars only (validate), so no depth limit beyond the parser's
    body = loads_body(raw, max_depth=None, field="inputs")
    if not isinstance(body, dict) or "inputs" not in body:
        raise InputError("inputs: This field is required.", field="inputs")
    unknown = [k for k in body if k not in PREDICT_KEYS]
    if unknown:
        raise InputError(f"{unknown[0]}: Unknown field.", field=unknown[0])
    routing_key = body.get("routing_key") or header_routing_key or None
    if routing_key is not None and not isinstance(routing_key, (str, int)):
        raise InputError("routing_key: Must be a string.", field="routing_key")
    routing_key = str(routing_key) if routing_key is not None else None
    if routing_key is not None and "\x00" in routing_key:
        raise InputError("routing_key: NUL characters are not allowed.", field="routing_key")
    members = body.get("members", False)
    if not isinstance(members, bool):
        raise InputError("members: Must be a boolean.", field="members")
    return PredictInput(body["inputs"], routing_key, members)
