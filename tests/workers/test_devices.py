from __future__ import annotations

import pytest

from shipyard_ml import devices


def test_resolve_auto_and_cpu():
    assert devices.resolve("cpu") == "cpu"
    assert devices.resolve("auto") == ("cuda" if devices.cuda_available() else "cpu")
    assert devices.resolve("") in ("cpu", "cuda")


def test_resolve_rejects_unknown_device():
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        devices.resolve("tpu")


@pytest.mark.skipif(devices.cuda_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_fails_clearly():
    with pytest.raises(devices.DeviceUnavailable, match="sees no CUDA device"):
        devices.resolve("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not devices.cuda_available(), reason="no CUDA device")
def test_cuda_resolves_on_a_gpu_worker():
    assert devices.resolve("cuda") == "cuda"
    assert devices.describe()["cuda_devices"]


def test_describe_names_the_device():
    info = devices.describe()
    assert info["default_device"] in ("cpu", "cuda")
    assert "CPUExecutionProvider" in info["onnx_providers"]
    assert devices.onnx_providers("cpu") == ["CPUExecutionProvider"]
