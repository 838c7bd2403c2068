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
