"""Compute devices: ``resolve("auto"|"cpu"|"cuda")`` and a description a worker logs at start."""

from __future__ import annotations

import os
from typing import Any

DEVICE_CHOICES = ("auto", "cpu", "cuda")


class DeviceUnavailable(RuntimeError):
    """CUDA was asked for on a worker where torch sees no CUDA device."""


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def resolve(requested: str = "auto") -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` without a GPU raises DeviceUnavailable."""
    requested = (requested or "auto").strip().lower()
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"Unknown device '{requested}'; expected one of {', '.join(DEVICE_CHOICES)}.")
    if requested == "cpu":
        return "cpu"
    available = cuda_available()
    if requested == "cuda" and not available:
        import torch

        raise DeviceUnavailable(
            f"This job asks for device 'cuda' but torch {torch.__version__} on worker "
            f"{os.uname().nodename} sees no CUDA device. Send it to the gpu queue served by a worker with a GPU, "
            "or use device 'auto' or 'cpu'."
        )
    return "cuda" if available else "cpu"


def onnx_providers(device: str) -> list[str]:
    """onnxruntime execution providers for a resolved device (CUDA first when asked and installed)."""
    import onnxruntime as ort

    if device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def describe() -> dict[str, Any]:
    """What this process can compute on: torch version, threads, CUDA devices, onnxruntime providers."""
    import torch

    info: dict[str, Any] = {
        "host": os.uname().nodename,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cuda": bool(torch.cuda.is_available()),
        "cuda_devices": [],
    }
    if info["cuda"]:
        info["cuda_devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    try:
        import onnxruntime as ort

        info["onnxruntime"] = ort.__version__
        info["onnx_providers"] = ort.get_available_providers()
    except ImportError:  # pragma: no cover - onnxruntime is part of the ml extra
        info["onnxruntime"] = None
    info["default_device"] = "cuda" if info["cuda"] else "cpu"
    return info
