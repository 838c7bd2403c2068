"""The prediction log's codec: exact round trips, the compact sizes, and bytes it must refuse."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shipyard.serving import logcodec


@pytest.mark.parametrize(
    "value",
    [
        [1, 2, 3],
        [-200, 40_000],
        [2**40, -(2**40)],
        [1.5, 2.0, -0.25],
        [0.1, 0.2],
        3,
        2.5,
        "cat",
        [1, "a", None],
        [[0.1, 0.9]],
        {"age": 3, "city": "Oslo"},
        [],
        None,
        True,
        [True, 1],
        [10**30],
    ],
)
def test_every_json_value_round_trips_exactly(value: object) -> None:
    decoded = logcodec.decode(logcodec.encode(value))
    assert decoded == value and type(decoded) is type(value)


def test_non_finite_floats_survive() -> None:
    decoded = logcodec.decode(logcodec.encode([math.nan, math.inf, -1.0]))
    assert math.isnan(decoded[0]) and decoded[1] == math.inf and decoded[2] == -1.0


def test_inputs_are_float32_blocks_outputs_keep_every_bit() -> None:
    row = [0.1 * i for i in range(64)]
    assert len(logcodec.encode_inputs(row)) == 1 + 64 * 4
    assert logcodec.decode(logcodec.encode_inputs(row)) == np.float32(row).astype(float).tolist()
    assert len(logcodec.encode([0.1] * 64)) == 1 + 64 * 8  # outputs: float32 would round 0.1
    assert len(logcodec.encode_inputs(list(range(17)) * 4)) == 1 + 68  # small ints: one byte each


def test_decode_rows_reads_blocks_and_reports_the_rest() -> None:
    raws = [
        logcodec.encode_inputs([1.0, 2.0]),
        logcodec.encode_inputs([3, 4, 5]),
        logcodec.encode({"f0": 1}),
        b"\x05abc",  # a float32 block of 3 bytes
        b"J{not json",
        b"",
        b"\x09",  # no such tag
    ]
    matrix, others, invalid = logcodec.decode_rows(raws, 2)
    assert matrix[:2].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert others == {2: {"f0": 1}}
    assert invalid == [3, 4, 5, 6]


@pytest.mark.parametrize("raw", [b"", b"\x05abc", b"J{", b"\x09\x00", b"\x85", bytes([0x85]) + b"\x00" * 8])
def test_undecodable_bytes_raise_codec_error(raw: bytes) -> None:
    with pytest.raises(logcodec.CodecError):
        logcodec.decode(raw)
