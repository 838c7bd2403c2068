"""The one codec of the prediction log's ``inputs`` and ``outputs`` columns (PostgreSQL ``bytea``).

A value is one tag byte and a body:

==========  =====================================================================
tag         body
==========  =====================================================================
1 .. 6      a flat list of numbers as a little-endian block: int8, int16, int32,
            int64, float32, float64 (the narrowest type that holds every value
            exactly: a float is stored as float32 only when float32 gives it back
            unchanged). Tag + 0x80: the value was one number, not a list.
``J``       UTF-8 JSON of anything else (strings, booleans, nulls, nested lists,
            objects), and of the rows logged before this format existed.
==========  =====================================================================

A 64-feature input row of floats is 257 bytes (of small integers 65) instead of 0.4-1 KB of JSONB.
Parquet export and the ingest read the same bytes through :func:`decode` / :func:`decode_rows`;
a value this module cannot read raises :class:`CodecError` (the ingest counts it as invalid).
Pure Python (``array``/``json``); numpy only in :func:`decode_rows`.
"""

from __future__ import annotations

import json
import sys
from array import array
from dataclasses import dataclass
from typing import Any

JSON_TAG = ord("J")
SCALAR = 0x80
#: tag -> array typecode of the numeric kinds (sizes fixed on every platform CPython supports)
_CODES = {1: "b", 2: "h", 3: "i", 4: "q", 5: "f", 6: "d"}
_INT_KINDS = ((1, -(2**7), 2**7 - 1), (2, -(2**15), 2**15 - 1), (3, -(2**31), 2**31 - 1), (4, -(2**63), 2**63 - 1))
_NUMPY_DTYPES = {1: "<i1", 2: "<i2", 3: "<i4", 4: "<i8", 5: "<f4", 6: "<f8"}
_LITTLE = sys.byteorder == "little"


class CodecError(ValueError):
    """Bytes that are not a prediction-log value."""


@dataclass(frozen=True)
class Undecodable:
    """What a reader gets for column bytes this codec cannot read: the bytes and why."""

    raw: bytes
    reason: str


def _numeric_block(values: list[Any], float32: bool) -> tuple[int, bytes] | None:
    """(tag, block) for a flat list of ints or of ints and floats, else None."""
    if not values:
        return 5, b""
    kinds = set(map(type, values))
    if kinds == {int}:
        lo, hi = min(values), max(values)
        for tag, low, high in _INT_KINDS:
            if low <= lo and hi <= high:
                return tag, _block(_CODES[tag], values)
        return None
    if not kinds <= {int, float}:
        return None
    try:
        as_f32 = array("f", values)
        if float32 or all(a == b or (a != a and b != b) for a, b in zip(as_f32, values, strict=True)):
            return 5, _to_le(as_f32)
        if int in kinds and any(type(v) is int and abs(v) > 2**53 for v in values):
            return None
        return 6, _block("d", values)
    except OverflowError:  # an int beyond what the float block holds: JSON keeps it exactly
        return None


def _block(code: str, values: list[Any]) -> bytes:
    return _to_le(array(code, values))


def _to_le(block: array[Any]) -> bytes:
    if not _LITTLE:  # pragma: no cover - every supported platform is little-endian
        block.byteswap()
    return block.tobytes()


def encode(value: Any, *, float32: bool = False) -> bytes:
    """The column bytes of one logged value (any JSON value; NaN and infinities in numbers allowed).

    ``float32``: store floats as float32 even when that rounds them. The log's inputs are written
    so (:func:`encode_inputs`): the models read float32, so the rounded row is the one the model
    saw, and skew replay of it gives the served output. Outputs keep every bit."""
    if type(value) is list:
        packed = _numeric_block(value, float32)
        if packed is not None:
            return bytes((packed[0],)) + packed[1]
    elif type(value) is int or type(value) is float:
        packed = _numeric_block([value], float32)
        if packed is not None:
            return bytes((packed[0] | SCALAR,)) + packed[1]
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"not a loggable value ({exc.__class__.__name__})") from None
    return bytes((JSON_TAG,)) + text.encode()


def encode_inputs(value: Any) -> bytes:
    """The column bytes of one logged input row (floats as float32)."""
    return encode(value, float32=True)


def decode(raw: bytes | memoryview) -> Any:
    """The logged value of column bytes; :class:`CodecError` when they are not one."""
    data = bytes(raw)
    if not data:
        raise CodecError("empty value")
    tag = data[0]
    if tag == JSON_TAG:
        try:
            return json.loads(data[1:])
        except (ValueError, RecursionError) as exc:
            raise CodecError(f"bad JSON value ({exc.__class__.__name__})") from None
    code = _CODES.get(tag & ~SCALAR)
    if code is None:
        raise CodecError(f"unknown tag {tag}")
    block = array(code)
    if (len(data) - 1) % block.itemsize:
        raise CodecError("truncated numeric block")
    block.frombytes(data[1:])
    if not _LITTLE:  # pragma: no cover
        block.byteswap()
    values = block.tolist()
    if tag & SCALAR:
        if len(values) != 1:
            raise CodecError("a scalar holds one number")
        return values[0]
    return values


def decode_rows(raws: list[Any], width: int) -> tuple[Any, dict[int, Any], list[int]]:
    """Many logged input rows at once: a float64 matrix (len(raws) x width) filled from the numeric
    blocks without Python lists, the decoded values of the other rows by index (JSON: named or
    categorical inputs, for the caller to read), and the indexes of rows that cannot be decoded.
    Matrix rows that are not numeric blocks are NaN."""
    import numpy as np

    out = np.full((len(raws), width), np.nan)
    others: dict[int, Any] = {}
    invalid: list[int] = []
    for i, raw in enumerate(raws):
        data = raw if isinstance(raw, bytes) else bytes(raw or b"")
        dtype = _NUMPY_DTYPES.get(data[0] & ~SCALAR) if data else None
        if dtype is not None and not data[0] & SCALAR and (len(data) - 1) % int(dtype[-1]) == 0:
            row = np.frombuffer(data, dtype=dtype, offset=1)
            n = min(width, row.shape[0])
            out[i, :n] = row[:n]
            continue
        try:
            others[i] = decode(data)
        except CodecError:
            invalid.append(i)
    return out, others, invalid
