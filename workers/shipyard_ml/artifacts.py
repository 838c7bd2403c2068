"""Artifact validation, run out of the web process (``python -m shipyard_ml.artifacts validate PATH FORMAT``).

Nothing here executes code from an artifact:

* ONNX: parsed as protobuf and checked with ``onnx.checker``; any external-data reference is
  rejected (weights must be embedded, so nothing outside the artifact is ever read).
* PyTorch ``state_dict`` (.pt/.pth): loaded only with ``torch.load(weights_only=True)``, whose
  restricted unpickler refuses every global that is not a tensor/container type, so a
  ``__reduce__`` payload is rejected before it can run. The result must be a mapping of tensors.
* safetensors: header parsed and bounds-checked by hand (JSON header, offsets inside the file).
* TorchScript: carries code, so it is never loaded here: checked as a zip archive (CRCs, expected
  ``data.pkl``/``code/`` entries, no absolute or ``..`` member names) and flagged ``code=True``.
* torch.export programs (``.pt2`` from ``torch.export.save``): never loaded here either (loading
  unpickles constants and sample inputs): checked as a zip archive (CRCs, safe member names, one
  root folder, ``archive_format`` = ``pt2``, a ``models/*.json`` program with a graph and a
  signature, every weight the weights config names present) and flagged ``code=True``. AOTInductor
  packages (compiled native libraries) are refused: only self-contained exported programs.

A weights-only artifact (``state_dict``, ``safetensors``) registered with a built-in recipe is
also loaded into that recipe's architecture (``--recipe NAME``, the recipe config as a JSON object
on stdin) with :func:`shipyard_ml.loading.load_torch_module`, the loader every job and server
uses, so weights that do not fit the recipe are refused at registration instead of at the first job.

The CLI prints one JSON object: ``{"ok", "message", "input_field", "code", "framework", "signature"}``;
``input_field`` names the input a refusal is about (``artifact`` or ``recipe``).
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("onnx", "state_dict", "safetensors", "torchscript", "torch_export", "executorch", "coreml", "tflite")


class ArtifactRejected(ValueError):
    """The artifact is not acceptable; the message says why in terms a user can act on."""


@dataclass
class ArtifactReport:
    ok: bool
    message: str = ""
    input_field: str = "artifact"  # the input a refusal is about: artifact, or recipe
    code: bool = False
    framework: str = ""
    signature: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


_ONNX_DTYPES = {
    1: "float32",
    2: "uint8",
    3: "int8",
    5: "int16",
    6: "int32",
    7: "int64",
    9: "bool",
    10: "float16",
    11: "float64",
    16: "bfloat16",
}


def _onnx_value_info(value: Any) -> dict[str, Any]:
    tensor = value.type.tensor_type
    shape: list[int | None] = []
    for dim in tensor.shape.dim:
        shape.append(dim.dim_value if dim.HasField("dim_value") else None)
    return {"name": value.name, "dtype": _ONNX_DTYPES.get(tensor.elem_type, str(tensor.elem_type)), "shape": shape}


def validate_onnx(path: Path) -> ArtifactReport:
    import onnx
    from google.protobuf.message import DecodeError
    from onnx import external_data_helper

    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as exc:
        raise ArtifactRejected(f"not a readable ONNX model (corrupt or truncated): {exc}") from None
    if not model.graph.node and not model.graph.output:
        raise ArtifactRejected("not a readable ONNX model: the graph is empty (corrupt or not ONNX)")
    for tensor in external_data_helper._get_all_tensors(model):
        if external_data_helper.uses_external_data(tensor):
            raise ArtifactRejected(
                f"tensor '{tensor.name}' refers to external data; only self-contained ONNX files are accepted "
                "(save with save_as_external_data=False)"
            )
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ArtifactRejected(f"onnx.checker rejected the model: {str(exc).splitlines()[0]}") from None
    initializers = {init.name for init in model.graph.initializer}
    inputs = [_onnx_value_info(v) for v in model.graph.input if v.name not in initializers]
    outputs = [_onnx_value_info(v) for v in model.graph.output]
    return ArtifactReport(
        ok=True,
        message="valid ONNX model",
        framework="onnx",
        signature={"inputs": inputs, "outputs": outputs},
        details={"opset": [op.version for op in model.opset_import], "ir_version": model.ir_version},
    )


def _is_tensor_tree(value: Any, depth: int = 0) -> bool:
    import torch

    if depth > 5:
        return False
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_tensor_tree(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_tensor_tree(v, depth + 1) for v in value)
    return isinstance(value, (int, float, str, bool)) or value is None


def validate_state_dict(path: Path) -> ArtifactReport:
    import pickle

    import torch

    try:
        loaded = torch.load(str(path), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArtifactRejected(
            "rejected: the file is not loadable with torch.load(weights_only=True); it contains pickled "
            f"objects other than tensors (possibly code). Save a plain state_dict. Detail: {first[:300]}"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise ArtifactRejected(f"not a readable PyTorch state_dict (corrupt or truncated): {str(exc)[:300]}") from None
    if not isinstance(loaded, dict) or not loaded:
        raise ArtifactRejected("a state_dict must be a non-empty mapping of parameter names to tensors")
    if not _is_tensor_tree(loaded):
        raise ArtifactRejected("a state_dict must hold only tensors (and plain numbers/strings) under string keys")
    tensors = {k: list(v.shape) for k, v in loaded.items() if isinstance(v, torch.Tensor)}
    return ArtifactReport(
        ok=True,
        message="valid PyTorch state_dict (weights_only)",
        framework="pytorch",
        details={
            "tensors": len(tensors),
            "parameters": int(sum(v.numel() for v in loaded.values() if isinstance(v, torch.Tensor))),
        },
    )


_SAFETENSORS_DTYPES = {
    "F64",
    "F32",
    "F16",
    "BF16",
    "I64",
    "I32",
    "I16",
    "I8",
    "U8",
    "U16",
    "U32",
    "U64",
    "BOOL",
    "F8_E4M3",
    "F8_E5M2",
}


def validate_safetensors(path: Path) -> ArtifactReport:
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ArtifactRejected("not a safetensors file: shorter than its 8-byte header length")
        (header_len,) = struct.unpack("<Q", head)
        if header_len > min(size - 8, 100 * 1024 * 1024):
            raise ArtifactRejected("not a safetensors file: header length exceeds the file (truncated or corrupt)")
        try:
            header = json.loads(fh.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ArtifactRejected("not a safetensors file: the header is not JSON") from None
    if not isinstance(header, dict):
        raise ArtifactRejected("not a safetensors file: the header is not a JSON object")
    data_len = size - 8 - header_len
    end_max, count = 0, 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or info.get("dtype") not in _SAFETENSORS_DTYPES:
            raise ArtifactRejected(f"safetensors tensor '{name}' has no valid dtype")
        offsets = info.get("data_offsets")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_len
        ):
            raise ArtifactRejected(f"safetensors tensor '{name}' points outside the file (truncated or corrupt)")
        end_max = max(end_max, offsets[1])
        count += 1
    if count == 0:
        raise ArtifactRejected("the safetensors file holds no tensors")
    if end_max != data_len:
        raise ArtifactRejected("safetensors data length does not match its header (truncated or padded)")
    return ArtifactReport(ok=True, message="valid safetensors file", framework="pytorch", details={"tensors": count})


def _unsafe_member(name: str) -> bool:
    return name.startswith("/") or "\\" in name or any(part == ".." for part in name.split("/")) or "\x00" in name


def validate_torchscript(path: Path) -> ArtifactReport:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtifactRejected(f"not a TorchScript archive (not a valid zip; corrupt or truncated): {exc}") from None
    if bad is not None:
        raise ArtifactRejected(f"TorchScript archive member '{bad}' fails its CRC check (corrupt)")
    unsafe = [n for n in names if _unsafe_member(n)]
    if unsafe:
        raise ArtifactRejected(f"TorchScript archive has an unsafe member name: {unsafe[0]!r}")
    if not any(n.endswith("/data.pkl") for n in names) or not any("/code/" in n for n in names):
        raise ArtifactRejected("not a TorchScript archive: the data.pkl and code/ entries are missing")
    return ArtifactReport(
        ok=True,
        message="TorchScript archive (carries code: loaded by workers only)",
        code=True,
        framework="pytorch",
        details={"entries": len(names)},
    )


#: torch._export.serde.schema.ScalarType values -> dtype names
_PT2_DTYPES = {
    1: "uint8",
    2: "int8",
    3: "int16",
    4: "int32",
    5: "int64",
    6: "float16",
    7: "float32",
    8: "float64",
    12: "bool",
    13: "bfloat16",
}
#: a program's JSON larger than this is refused before it is parsed
PT2_PROGRAM_MAX_BYTES = 256 * 1024 * 1024
_NATIVE_SUFFIXES = (".so", ".dll", ".dylib", ".pyd", ".cubin")


def _pt2_tensor_info(name: str, tensors: dict[str, Any]) -> dict[str, Any]:
    meta = tensors.get(name) if isinstance(tensors, dict) else None
    if not isinstance(meta, dict):
        return {"name": name, "dtype": "", "shape": []}
    shape: list[int | None] = []
    for dim in meta.get("sizes") or []:
        value = dim.get("as_int") if isinstance(dim, dict) else None
        shape.append(value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None)
    return {"name": name, "dtype": _PT2_DTYPES.get(meta.get("dtype", 0), str(meta.get("dtype", ""))), "shape": shape}


def _pt2_signature(program: dict[str, Any]) -> dict[str, Any]:
    module = program["graph_module"]
    tensors = module["graph"].get("tensor_values") or {}
    spec = module["signature"]
    inputs = [
        _pt2_tensor_info(s["user_input"]["arg"]["as_tensor"]["name"], tensors)
        for s in spec.get("input_specs") or []
        if isinstance(s, dict) and "as_tensor" in (s.get("user_input") or {}).get("arg", {})
    ]
    outputs = [
        _pt2_tensor_info(s["user_output"]["arg"]["as_tensor"]["name"], tensors)
        for s in spec.get("output_specs") or []
        if isinstance(s, dict) and "as_tensor" in (s.get("user_output") or {}).get("arg", {})
    ]
    return {"inputs": inputs, "outputs": outputs}


def validate_torch_export(path: Path) -> ArtifactReport:
    """Structure check of a ``torch.export.save`` archive; nothing in it is unpickled or executed."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
            if bad is not None:
                raise ArtifactRejected(f"torch.export archive member '{bad}' fails its CRC check (corrupt)")
            unsafe = [n for n in names if _unsafe_member(n)]
            if unsafe:
                raise ArtifactRejected(f"torch.export archive has an unsafe member name: {unsafe[0]!r}")
            roots = {n.split("/", 1)[0] for n in names}
            if len(roots) != 1 or any("/" not in n for n in names):
                raise ArtifactRejected("not a torch.export archive: its entries must lie under one root folder")
            root = roots.pop()
            native = [n for n in names if n.lower().endswith(_NATIVE_SUFFIXES) or "/data/aotinductor/" in n]
            if native:
                raise ArtifactRejected(
                    "the archive carries compiled native code (an AOTInductor package); only self-contained "
                    f"exported programs from torch.export.save are accepted ({native[0]!r})"
                )
            if f"{root}/archive_format" not in names or archive.read(f"{root}/archive_format").strip() != b"pt2":
                raise ArtifactRejected(
                    "not a torch.export archive: 'archive_format' is missing or not 'pt2' (save with torch.export.save)"
                )
            programs = sorted(n for n in names if n.startswith(f"{root}/models/") and n.endswith(".json"))
            if not programs:
                raise ArtifactRejected("not a torch.export archive: it holds no exported program (models/*.json)")
            if archive.getinfo(programs[0]).file_size > PT2_PROGRAM_MAX_BYTES:
                raise ArtifactRejected("the exported program's JSON is implausibly large")
            try:
                program = json.loads(archive.read(programs[0]))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise ArtifactRejected(f"the exported program {programs[0]!r} is not valid JSON") from None
            module = program.get("graph_module") if isinstance(program, dict) else None
            if (
                not isinstance(module, dict)
                or not isinstance(module.get("graph"), dict)
                or not isinstance(module.get("signature"), dict)
            ):
                raise ArtifactRejected(f"the exported program {programs[0]!r} has no graph and signature")
            missing = _pt2_missing_weights(archive, root, names)
            if missing:
                raise ArtifactRejected(f"the archive lacks weights its config names (truncated?): {missing[:3]}")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtifactRejected(f"not a torch.export archive (not a valid zip; corrupt or truncated): {exc}") from None
    try:
        signature = _pt2_signature(program)
    except (KeyError, TypeError, AttributeError):
        signature = {}
    return ArtifactReport(
        ok=True,
        message="torch.export program (loaded by workers only)",
        code=True,
        framework="pytorch",
        signature=signature,
        details={
            "entries": len(names),
            "programs": len(programs),
            "torch_version": str(program.get("torch_version", ""))[:50],
            "nodes": len(module["graph"].get("nodes") or []),
        },
    )


def _pt2_missing_weights(archive: zipfile.ZipFile, root: str, names: list[str]) -> list[str]:
    present = set(names)
    missing: list[str] = []
    for config_name in (n for n in names if n.startswith(f"{root}/data/") and n.endswith("_config.json")):
        folder = config_name.rsplit("/", 1)[0]
        try:
            config = json.loads(archive.read(config_name)).get("config", {})
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            raise ArtifactRejected(f"the archive's {config_name!r} is not valid JSON") from None
        if not isinstance(config, dict):
            raise ArtifactRejected(f"the archive's {config_name!r} is not a weights config")
        for entry in config.values():
            file_name = entry.get("path_name") if isinstance(entry, dict) else None
            if not isinstance(file_name, str) or _unsafe_member(file_name):
                raise ArtifactRejected(f"the archive's {config_name!r} names an invalid weight file")
            if f"{folder}/{file_name}" not in present:
                missing.append(file_name)
    return missing


def _flatbuffer(path: Path, identifier: bytes, what: str, framework: str, *, code: bool) -> ArtifactReport:
    """A flatbuffer whose file identifier (bytes 4..8) is ``identifier``."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if len(head) < 8 or head[4:8] != identifier:
        name = identifier.decode()
        raise ArtifactRejected(f"not {what}: the file identifier '{name}' is missing (corrupt or another format)")
    return ArtifactReport(ok=True, message=what, code=code, framework=framework, details={"size": path.stat().st_size})


def validate_executorch(path: Path) -> ArtifactReport:
    """An ExecuTorch program (``ET12``): only ever run by ExecuTorch's runtime in a worker (and on devices)."""
    return _flatbuffer(path, b"ET12", "an ExecuTorch program (.pte)", "executorch", code=True)


def validate_tflite(path: Path) -> ArtifactReport:
    """A LiteRT model (``TFL3``): only the LiteRT interpreter (the isolated converter environment, devices) runs it."""
    return _flatbuffer(path, b"TFL3", "a LiteRT model (.tflite)", "litert", code=False)


def validate_coreml(path: Path) -> ArtifactReport:
    """A zipped Core ML package: valid zip, safe member names, one ``*.mlpackage`` root folder with its
    ``Manifest.json`` and ``Data/com.apple.CoreML/model.mlmodel``. Only Apple platforms run it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names, bad = archive.namelist(), archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ArtifactRejected(f"not a zipped Core ML package (not a valid zip; corrupt or truncated): {exc}") from None
    if bad is not None:
        raise ArtifactRejected(f"Core ML archive member '{bad}' fails its CRC check (corrupt)")
    unsafe = [n for n in names if _unsafe_member(n)]
    roots = {n.split("/", 1)[0] for n in names}
    if unsafe or len(roots) != 1 or not next(iter(roots)).endswith(".mlpackage"):
        raise ArtifactRejected("not a zipped Core ML package: expected one <name>.mlpackage folder with safe names")
    root = next(iter(roots))
    if {f"{root}/Manifest.json", f"{root}/Data/com.apple.CoreML/model.mlmodel"} - set(names):
        raise ArtifactRejected("not a Core ML package: Manifest.json or Data/com.apple.CoreML/model.mlmodel is missing")
    return ArtifactReport(ok=True, message="Core ML package (.mlpackage, zipped)", framework="coreml")


VALIDATORS = {
    "onnx": validate_onnx,
    "state_dict": validate_state_dict,
    "safetensors": validate_safetensors,
    "torchscript": validate_torchscript,
    "torch_export": validate_torch_export,
    "executorch": validate_executorch,
    "coreml": validate_coreml,
    "tflite": validate_tflite,
}


#: formats that hold weights only: a built-in recipe rebuilds their module
WEIGHTS_FORMATS = ("state_dict", "safetensors")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]


def check_recipe_fit(path: Path, fmt: str, recipe: str, recipe_config: dict[str, Any]) -> ArtifactReport:
    """Load the weights into the built-in recipe's architecture; refuse them (naming ``recipe``) if they do not fit."""
    import warnings

    import torch

    from shipyard_ml.loading import ModelLoadError, ModelSource, load_torch_module

    source = ModelSource(path=str(path), format=fmt, recipe=recipe, recipe_config=recipe_config)
    try:
        # The architecture is built on the meta device: shapes are compared, nothing is allocated,
        # so a config naming huge layers costs nothing. Copying into meta parameters is a no-op.
        with torch.device("meta"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*copying from a non-meta parameter.*")
            load_torch_module(source)
    except ModelLoadError as exc:
        return ArtifactReport(ok=False, message=_first_line(exc), input_field="recipe")
    except (ValueError, TypeError, RuntimeError) as exc:  # the config names layers torch cannot build
        message = f"recipe '{recipe}' cannot be built with this recipe_config: {_first_line(exc)}"
        return ArtifactReport(ok=False, message=message, input_field="recipe")
    return ArtifactReport(ok=True, message=f"the weights fit recipe '{recipe}'")


def validate(path: Path, fmt: str, *, recipe: str = "", recipe_config: dict[str, Any] | None = None) -> ArtifactReport:
    """Check the artifact; with a ``recipe`` and a weights-only format, also that the weights fit it."""
    if fmt not in VALIDATORS:
        return ArtifactReport(ok=False, message=f"unknown format '{fmt}' (one of: {', '.join(FORMATS)})")
    if not path.is_file() or path.stat().st_size == 0:
        return ArtifactReport(ok=False, message="the artifact is empty")
    try:
        report = VALIDATORS[fmt](path)
    except ArtifactRejected as exc:
        return ArtifactReport(ok=False, message=str(exc))
    if recipe and fmt in WEIGHTS_FORMATS:
        fit = check_recipe_fit(path, fmt, recipe, recipe_config or {})
        if not fit.ok:
            return fit
        report.details["recipe_fit"] = fit.message
    return report


USAGE = "usage: python -m shipyard_ml.artifacts validate PATH FORMAT [--recipe NAME < RECIPE_CONFIG_JSON]"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    recipe, recipe_config = "", None
    if len(args) == 5 and args[3] == "--recipe":
        recipe = args[4]
        recipe_config = json.loads(sys.stdin.read() or "{}")
        if not isinstance(recipe_config, dict):
            print("the recipe config on stdin must be a JSON object", file=sys.stderr)
            return 2
        args = args[:3]
    if len(args) != 3 or args[0] != "validate":
        print(USAGE, file=sys.stderr)
        return 2
    report = validate(Path(args[1]), args[2], recipe=recipe, recipe_config=recipe_config)
    sys.stdout.write(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
