"""shipyard_ml.slices / datasets / artifacts as pure functions (no Django)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shipyard_ml.artifacts import validate
from shipyard_ml.datasets import summarize
from shipyard_ml.slices import SliceError, parse_slice, slice_mask


def test_slice_grammar_parses_and_applies() -> None:
    assert parse_slice('country == "DE"').value == "DE"
    assert parse_slice("f0 >= 1.5").op == ">="
    assert parse_slice("label in [0, 8]").value == [0, 8]
    frame = pd.DataFrame({"country": ["DE", "FR", "DE"], "f0": [1.0, 2.0, 3.0]})
    assert slice_mask(frame, 'country == "DE"').tolist() == [True, False, True]
    assert slice_mask(frame, "f0 > 1.5").sum() == 2
    for bad in ["__import__('os')", "f0 >", "f0 ~= 1", "x in 1", "a == b"]:
        with pytest.raises(SliceError):
            parse_slice(bad)
    with pytest.raises(SliceError):
        slice_mask(frame, "missing == 1")


def test_summary_schema_and_histograms(tmp_path: Path) -> None:
    src = tmp_path / "d.csv"
    pd.DataFrame({"a": [1.5, 2.5, None, 4.0], "b": ["x", "y", "x", "x"], "y": [0, 1, 0, 1]}).to_csv(src, index=False)
    out = tmp_path / "n.parquet"
    summary = summarize(src, "csv", out, "y", [{"name": "xs", "filter": 'b == "x"'}])
    assert summary.ok and summary.row_count == 4 and summary.slice_rows == {"xs": 3}
    features = {f["name"]: f for f in summary.schema["features"]}
    assert features["a"]["null_rate"] == 0.25 and features["a"]["min"] == 1.5
    assert features["b"]["categories"] == ["x", "y"] and features["y"]["role"] == "label"
    assert sum(summary.stats["a"]["histogram"]["counts"]) == 3
    assert pd.read_parquet(out).shape == (4, 3)
    assert not summarize(src, "csv", None, "nope").ok


def test_unknown_format_and_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "e.onnx"
    empty.write_bytes(b"")
    assert not validate(empty, "onnx").ok
    assert "unknown format" in validate(empty, "pickle").message
