"""Core ML export: a batch-1 ``torch.export`` program converted by coremltools to an ML Program
(``.mlpackage``), stored as a zip of the package folder (``<name>.mlpackage.zip``).

Core ML runs only on Apple platforms, so on a Linux worker the model cannot be executed: the export
checks its spec instead (inputs, outputs, operator types, weight and compute precision, deployment
target) with ``MLModel(path, skip_model_load=True)``, and reports parity, latency and accuracy as not
measurable on this platform (nothing is ever reported that was not run). ``coremltools`` is imported
lazily: an optional dependency of the ``ml`` group that only workers load.
"""

from __future__ import annotations

import re
import tempfile
import warnings
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.edge import failed_op
from shipyard_ml.export import ExportFailed
from shipyard_ml.loading import atomic_path, eval_mode
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, never_stop, no_progress
from shipyard_ml.reports import ExportReport

#: why a Core ML export has no parity, latency or accuracy figure
NOT_MEASURABLE = "not measurable on this platform: Core ML runs only on Apple platforms (spec checked instead)"
#: the root folder inside the stored zip
PACKAGE_NAME = "model.mlpackage"
DEPLOYMENT_TARGETS = ("iOS16", "iOS17", "iOS18")

_UNSUPPORTED = re.compile(r"Unsupported fx node (\w+)|convert function for op '([\w.]+)'")
_MULTIARRAY_DTYPES = {65568: "float32", 65552: "float16", 65600: "float64", 131104: "int32", 131080: "int8"}


def unsupported_op(exc: BaseException) -> str:
    """The operator coremltools names when it has no conversion for it, or "" when it names none."""
    match = _UNSUPPORTED.search(str(exc))
    if match:
        return match.group(1) or match.group(2)
    return failed_op(exc)


def _feature(f: Any) -> dict[str, Any]:
    arr = f.type.multiArrayType
    return {
        "name": f.name,
        "dtype": _MULTIARRAY_DTYPES.get(int(arr.dataType), str(arr.dataType)),
        "shape": [int(d) for d in arr.shape],
    }


def spec_report(package: str | Path) -> dict[str, Any]:
    """Inputs, outputs, operator types and precision of a saved ``.mlpackage``, read from its spec
    without loading the model (which Core ML can do only on Apple platforms)."""
    import coremltools as ct

    spec = ct.models.MLModel(str(package), skip_model_load=True).get_spec()
    ops: Counter[str] = Counter()
    const_dtypes: Counter[str] = Counter()
    for function in spec.mlProgram.functions.values():
        for block in function.block_specializations.values():
            for op in block.operations:
                ops[op.type] += 1
                if op.type == "const":
                    for out in op.outputs:
                        dtype = out.type.tensorType.dataType
                        if out.type.tensorType.rank > 0:
                            const_dtypes[_MIL_DTYPES.get(int(dtype), str(dtype))] += 1
    return {
        "model_type": spec.WhichOneof("Type"),
        "specification_version": int(spec.specificationVersion),
        "inputs": [_feature(f) for f in spec.description.input],
        "outputs": [_feature(f) for f in spec.description.output],
        "op_types": dict(sorted(ops.items())),
        "weight_dtypes": dict(sorted(const_dtypes.items())),
    }


#: MIL proto DataType values -> names (coremltools.proto.MIL_pb2.DataType)
_MIL_DTYPES = {
    10: "float16",
    11: "float32",
    12: "float64",
    13: "bfloat16",
    21: "int8",
    22: "int16",
    23: "int32",
    24: "int64",
}


def _zip_package(folder: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{PACKAGE_NAME}/{path.relative_to(folder).as_posix()}")


def export_coreml(
    model: nn.Module,
    out_path: str | Path,
    eval_x: np.ndarray,
    *,
    precision: str = "fp16",
    deployment_target: str = "iOS16",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> ExportReport:
    """Convert ``model`` to a Core ML ML Program (``torch.export`` -> coremltools) at batch 1 and
    write the zipped ``.mlpackage`` to ``out_path``; the report carries its spec, never a parity figure."""
    import coremltools as ct

    model = eval_mode(model)
    eval_x = np.ascontiguousarray(eval_x, dtype=np.float32)
    example = torch.from_numpy(eval_x[:1].copy())
    progress(5.0, "torch.export at batch 1")
    try:
        program = torch.export.export(model, (example,)).run_decompositions({})
    except Exception as exc:
        op = failed_op(exc)
        where = f" at operator {op}" if op else ""
        raise ExportFailed(f"torch.export failed{where}: {_first_line(exc)}", None) from exc
    if should_stop():
        raise Cancelled("stopped after torch.export")
    progress(20.0, f"converting to a Core ML ML Program ({precision}, {deployment_target}+)")
    with tempfile.TemporaryDirectory(prefix="shipyard-coreml-") as work:
        package = Path(work) / PACKAGE_NAME
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mlmodel = ct.convert(
                    program,
                    convert_to="mlprogram",
                    compute_precision=ct.precision.FLOAT16 if precision == "fp16" else ct.precision.FLOAT32,
                    minimum_deployment_target=getattr(ct.target, deployment_target),
                    skip_model_load=True,
                )
            mlmodel.save(str(package))
        except Exception as exc:  # a converter error: the job fails naming the operator
            op = unsupported_op(exc)
            where = f" at operator {op}" if op else ""
            raise ExportFailed(f"Core ML conversion failed{where}: {_first_line(exc)}", None) from exc
        if should_stop():
            raise Cancelled("stopped after conversion")
        progress(70.0, "checking the Core ML spec")
        spec = spec_report(package)
        spec.update(compute_precision=precision, minimum_deployment_target=deployment_target)
        with atomic_path(out_path) as tmp:
            _zip_package(package, tmp)
            size = Path(tmp).stat().st_size
    n_features = int(eval_x.shape[1])
    out_dim = spec["outputs"][0]["shape"][-1] if spec["outputs"] and spec["outputs"][0]["shape"] else None
    ops = ", ".join(k for k in spec["op_types"] if k != "const")
    report = ExportReport(
        format="coreml",
        size_bytes=size,
        passed=True,
        summary=(
            f"Core ML ML Program ({precision}, {deployment_target}+): {size / 1e3:.1f} kB, ops {ops}; "
            f"parity and latency {NOT_MEASURABLE.split(':')[0]}"
        ),
        max_abs_diff=None,
        tolerance=None,
        parity_rows=0,
        signature={
            "inputs": [{"name": spec["inputs"][0]["name"], "dtype": "float32", "shape": [1, n_features]}],
            "outputs": [
                {"name": spec["outputs"][0]["name"], "dtype": spec["outputs"][0]["dtype"], "shape": [1, out_dim]}
            ],
        },
        parity=NOT_MEASURABLE,
        spec=spec,
    )
    progress(100.0, report.summary)
    return report


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
