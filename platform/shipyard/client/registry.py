"""Registry client: register datasets and models from a training script, fetch them back.

    from shipyard.client.registry import Registry
    reg = Registry(project="digits-classifier")          # SHIPYARD_URL / SHIPYARD_TOKEN / SHIPYARD_PROJECT
    ds = reg.log_dataset("train.csv", name="digits", label_column="label")
    v = reg.log_model(model, name="digits-mlp", dataset=ds, metrics={"accuracy": 0.97}, recipe="digits_mlp")
    art = reg.get_model("digits-mlp", "champion")         # downloads; art.path, art.version

Uploads stream from disk (a multipart body is generated chunk by chunk, with a known length), so
a large artifact never sits in memory. torch, numpy and pandas are imported only when needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform as _stdlib_platform
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.client.http import Client, ShipyardError

SUFFIX_FORMATS = {
    ".onnx": "onnx",
    ".pt": "state_dict",
    ".pth": "state_dict",
    ".safetensors": "safetensors",
    ".ts": "torchscript",
    ".torchscript": "torchscript",
    ".pt2": "torch_export",
    ".pte": "executorch",
}
DATASET_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npz": "npz"}


class MultipartStream:
    """A multipart/form-data body read lazily: text fields, then one file streamed from disk."""

    CHUNK = 1024 * 1024

    def __init__(self, fields: dict[str, str], file_field: str, path: Path, filename: str) -> None:
        self.boundary = f"shipyard-{uuid.uuid4().hex}"
        head = b""
        for key, value in fields.items():
            head += (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.head, self.tail = head, f"\r\n--{self.boundary}--\r\n".encode()
        self.path = path
        self.size = len(head) + path.stat().st_size + len(self.tail)
        self._parts: Iterator[bytes] = self._iter()
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.size

    def _iter(self) -> Iterator[bytes]:
        yield self.head
        with self.path.open("rb") as fh:
            while chunk := fh.read(self.CHUNK):
                yield chunk
        yield self.tail

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._parts)
            except StopIteration:
                break
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def seek(self, offset: int) -> None:  # the transport rewinds bodies before a retry
        self._parts, self._buffer = self._iter(), b""


@dataclass
class ModelArtifact:
    path: Path
    version: dict[str, Any]

    @property
    def number(self) -> int:
        return int(self.version["number"])

    @property
    def format(self) -> str:
        return str(self.version["format"])


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _environment() -> dict[str, Any]:
    import sys

    packages = {}
    for name in ("torch", "numpy", "onnx", "onnxruntime", "scikit-learn", "pandas"):
        module = sys.modules.get(name.replace("scikit-learn", "sklearn"))
        if module is not None and hasattr(module, "__version__"):
            packages[name] = str(module.__version__)
    return {"python": _stdlib_platform.python_version(), "packages": packages}


class Registry(Client):
    """The registry half of the Shipyard client (extends :class:`shipyard.client.Client`)."""

    def __init__(
        self, url: str | None = None, token: str | None = None, *, project: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(url, token, **kwargs)
        self.project = project or os.environ.get("SHIPYARD_PROJECT", "")

    def _p(self, project: str | None) -> str:
        value = project or self.project
        if not value:
            raise ValueError("pass project=... or set SHIPYARD_PROJECT")
        return value

    def _upload(self, path_url: str, fields: dict[str, Any], file_field: str, path: Path, filename: str) -> Any:
        text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items() if v not in (None, "", {}, [])}
        body = MultipartStream(text, file_field, path, filename)
        response = self.request("POST", path_url, data=body, headers={"Content-Type": body.content_type}, retry=False)
        return response.json()

    # ---- datasets --------------------------------------------------------------------------

    def log_dataset(
        self,
        data: Any,
        *,
        name: str,
        project: str | None = None,
        format: str | None = None,
        label_column: str = "",
        slices: list[dict[str, str]] | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
        feature_meta: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Upload a CSV/Parquet/NPZ file, a pandas DataFrame, or an ``(X, y)`` pair as a new dataset version.

        ``feature_meta`` declares columns' owner, source and sensitivity (the feature policy, PII scan):
        ``{"email": {"owner": "crm", "source": "warehouse.crm", "sensitive": True}}``.
        """
        with tempfile.TemporaryDirectory(prefix="shipyard-") as tmp:
            path, fmt = self._dataset_file(data, Path(tmp), format)
            fields = {
                "format": fmt,
                "label_column": label_column,
                "slices": slices,
                "description": description,
                "tags": tags,
                "feature_meta": feature_meta,
            }
            return dict(
                self._upload(
                    f"/api/v1/projects/{self._p(project)}/datasets/{name}/versions/", fields, "file", path, path.name
                )
            )

    @staticmethod
    def _dataset_file(data: Any, tmp: Path, format: str | None) -> tuple[Path, str]:
        if isinstance(data, (str, Path)):
            path = Path(data)
            return path, format or DATASET_SUFFIXES.get(path.suffix.lower(), "csv")
        if hasattr(data, "to_parquet"):
            path = tmp / "dataset.parquet"
            data.to_parquet(path, index=False)
            return path, "parquet"
        if isinstance(data, tuple) and len(data) == 2:
            import numpy as np

            path = tmp / "dataset.npz"
            np.savez(path, X=np.asarray(data[0]), y=np.asarray(data[1]))
            return path, "npz"
        raise TypeError("data must be a file path, a pandas DataFrame or an (X, y) pair")

    # ---- models ----------------------------------------------------------------------------

    def log_model(
        self,
        model: Any,
        *,
        name: str,
        project: str | None = None,
        dataset: dict[str, Any] | str | None = None,
        metrics: dict[str, float] | None = None,
        slice_metrics: dict[str, dict[str, float]] | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        signature: dict[str, Any] | None = None,
        recipe: str = "",
        recipe_config: dict[str, Any] | None = None,
        format: str | None = None,
        export: str = "",
        example_input: Any = None,
        description: str = "",
        parent: int | None = None,
        git_commit: str | None = None,
        idempotency_key: str = "",
    ) -> dict[str, Any]:
        """Register a new version of ``name`` from a torch module or an artifact file.

        A torch module is saved as a ``state_dict`` (pass ``recipe=`` so jobs can rebuild it) or,
        with ``export="onnx"`` and ``example_input``, exported to ONNX. ``dataset`` is a dataset
        version returned by :meth:`log_dataset` or ``"<name>:<number>"``.
        """
        with tempfile.TemporaryDirectory(prefix="shipyard-") as tmp:
            path, fmt = self._model_file(model, Path(tmp), format, export, example_input)
            training_dataset = ""
            if isinstance(dataset, dict):
                training_dataset = f"{dataset['dataset']}:{dataset['number']}"
            elif dataset:
                training_dataset = str(dataset)
            fields = {
                "format": fmt,
                "metrics": metrics,
                "slice_metrics": slice_metrics,
                "params": params,
                "tags": tags,
                "signature": signature,
                "recipe": recipe,
                "recipe_config": recipe_config,
                "training_dataset": training_dataset,
                "description": description,
                "parent": str(parent) if parent else "",
                "git_commit": _git_commit() if git_commit is None else git_commit,
                "environment": _environment(),
                "idempotency_key": idempotency_key,
            }
            url = f"/api/v1/projects/{self._p(project)}/models/{name}/versions/"
            return dict(self._upload(url, fields, "artifact", path, path.name))

    @staticmethod
    def _model_file(model: Any, tmp: Path, format: str | None, export: str, example_input: Any) -> tuple[Path, str]:
        if isinstance(model, (str, Path)):
            path = Path(model)
            fmt = format or SUFFIX_FORMATS.get(path.suffix.lower())
            if not fmt:
                raise ValueError(f"cannot tell the format of {path.name}; pass format=")
            return path, fmt
        if not hasattr(model, "state_dict"):
            raise TypeError("model must be a torch.nn.Module or a path to an artifact")
        import torch

        if export == "onnx":
            if example_input is None:
                raise ValueError("export='onnx' needs example_input")
            path = tmp / "model.onnx"
            torch.onnx.export(
                model.eval(),
                (example_input,),
                str(path),
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                dynamo=False,
            )
            return path, "onnx"
        path = tmp / "model.pt"
        torch.save(model.state_dict(), path)
        return path, "state_dict"

    def get_version(self, name: str, version_or_alias: str | int, *, project: str | None = None) -> dict[str, Any]:
        base = f"/api/v1/projects/{self._p(project)}/models/{name}"
        ref = str(version_or_alias)
        if not ref.lstrip("v").isdecimal():
            aliases = self.get(f"{base}/aliases/")["aliases"]
            match = [a for a in aliases if a["name"] == ref]
            if not match:
                raise ShipyardError(404, "not_found", f"model '{name}' has no alias '{ref}'")
            ref = str(match[0]["version"])
        return dict(self.get(f"{base}/versions/{ref.lstrip('v')}/"))

    def get_model(
        self,
        name: str,
        version_or_alias: str | int = "champion",
        *,
        project: str | None = None,
        dest: str | Path | None = None,
    ) -> ModelArtifact:
        """Download a version's artifact (verifying its sha256); returns its local path and metadata."""
        version = self.get_version(name, version_or_alias, project=project)
        folder = Path(dest) if dest else Path(tempfile.gettempdir()) / "shipyard-models"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = {
            "onnx": ".onnx",
            "state_dict": ".pt",
            "safetensors": ".safetensors",
            "torchscript": ".ts",
            "torch_export": ".pt2",
            "executorch": ".pte",
            "coreml": ".mlpackage.zip",
            "tflite": ".tflite",
        }[version["format"]]
        target = folder / f"{name}-v{version['number']}{suffix}"
        if target.exists() and _sha256(target) == version["artifact_sha256"]:
            return ModelArtifact(target, version)
        url = f"/api/v1/projects/{self._p(project)}/models/{name}/versions/{version['number']}/artifact"
        response = self.request("GET", url, stream=True)
        digest = hashlib.sha256()
        partial = target.with_suffix(target.suffix + ".part")
        with partial.open("wb") as out:
            for chunk in response.iter_content(1024 * 1024):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != version["artifact_sha256"]:
            partial.unlink(missing_ok=True)
            raise ShipyardError(0, "corrupt_download", "the downloaded artifact does not match its sha256")
        partial.replace(target)
        return ModelArtifact(target, version)

    def list_models(self, *, project: str | None = None) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/projects/{self._p(project)}/models/")["results"])

    def list_datasets(self, *, project: str | None = None) -> list[dict[str, Any]]:
        return list(self.get(f"/api/v1/projects/{self._p(project)}/datasets/")["results"])

    def set_alias(
        self, name: str, alias: str, version: int, *, project: str | None = None, expected_version: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"alias": alias, "version": version}
        if expected_version is not None:
            body["expected_version"] = expected_version
        return dict(self.post(f"/api/v1/projects/{self._p(project)}/models/{name}/aliases/", json=body))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
