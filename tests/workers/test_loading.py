"""Workers load every PyTorch format the registry accepts, torch.export programs included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from shipyard_ml.inference import load, run_batch
from shipyard_ml.loading import ModelSource, load_torch_module


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


def test_torch_export_program_loads_and_matches(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = Tiny().eval()
    batch = torch.export.Dim("batch")
    program = torch.export.export(model, (torch.randn(2, 4),), dynamic_shapes=({0: batch},))
    path = tmp_path / "tiny.pt2"
    torch.export.save(program, str(path))

    loaded = load_torch_module(ModelSource(path=str(path), format="torch_export"))
    x = torch.randn(5, 4)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model(x), atol=1e-6)

    served = run_batch(load(path, "torch_export"), x.numpy().tolist())
    assert len(served.outputs) == 5
    assert np.array_equal(np.asarray(served.outputs), model(x).argmax(dim=1).numpy())


def test_serving_and_jobs_load_a_state_dict_the_same_way(tmp_path: Path) -> None:
    """One loader: a wrapped state_dict ({"state_dict": ...}) without n_classes in its config,
    which jobs always accepted, serves with the same outputs as the job's module."""
    from shipyard_ml.nets import build_architecture

    torch.manual_seed(0)
    model = build_architecture("digits_mlp", {"hidden": [16]}, (64,), 10).eval()
    path = tmp_path / "weights.pt"
    torch.save({"state_dict": model.state_dict()}, path)

    job_module = load_torch_module(
        ModelSource(path=str(path), format="state_dict", recipe="digits_mlp", recipe_config={"hidden": [16]})
    )
    served = load(path, "state_dict", recipe="digits_mlp", recipe_config={"hidden": [16]})
    x = torch.rand(7, 64) * 16
    with torch.no_grad():
        expected = job_module(x).argmax(dim=1).numpy()
    assert np.array_equal(np.asarray(run_batch(served, x.numpy().tolist()).outputs), expected)


def test_serving_refuses_weights_that_do_not_fit_the_recipe(tmp_path: Path) -> None:
    import pytest

    from shipyard_ml.inference import InferenceError
    from shipyard_ml.nets import build_architecture

    path = tmp_path / "weights.pt"
    torch.save(build_architecture("digits_mlp", {"hidden": [16]}, (64,), 10).state_dict(), path)
    with pytest.raises(InferenceError, match="do not fit recipe"):
        load(path, "state_dict", recipe="digits_mlp", recipe_config={"hidden": [32]})
