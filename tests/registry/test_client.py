"""The Python client and CLI against a live server with a token: datasets and models round-trip."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from shipyard.client.http import ShipyardError
from shipyard.client.registry import Registry
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory, onnx_bytes
from tests.registry.conftest import csv_bytes, pickle_payload_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reg(live_server: Any) -> Registry:
    from shipyard.accounts.services import token_for

    user = UserFactory(username="scientist")
    team = TeamFactory(slug="lab")
    MembershipFactory(user=user, team=team, role="admin")
    ProjectFactory(team=team, slug="lab-project")
    ProjectFactory(slug="elsewhere")
    return Registry(url=live_server.url, token=token_for(user=user), project="lab-project", retries=0)


def test_training_script_round_trip(reg: Registry, tmp_path: Path) -> None:
    import torch

    data = tmp_path / "train.csv"
    data.write_bytes(csv_bytes(40))
    dataset = reg.log_dataset(
        data,
        name="tx",
        label_column="label",
        slices=[{"name": "de", "filter": 'country == "DE"'}],
        feature_meta={"country": {"owner": "risk-team", "sensitive": True}},
    )
    assert dataset["number"] == 1 and dataset["row_count"] == 40
    assert dataset["feature_meta"] == {"country": {"owner": "risk-team", "sensitive": True}}

    from shipyard_ml.nets import build_architecture

    torch.manual_seed(0)
    module = build_architecture("tabular_mlp", None, (5,), 3)  # the registry checks the weights fit the recipe
    version = reg.log_model(
        module, name="scorer", dataset=dataset, metrics={"accuracy": 0.8}, recipe="tabular_mlp", git_commit="abc1234"
    )
    assert version["number"] == 1 and version["format"] == "state_dict"
    assert version["training_dataset"] == {"dataset": "tx", "number": 1}
    assert "python" in version["environment"] and "torch" in version["environment"]["packages"]
    reg.set_alias("scorer", "champion", 1)

    artifact = reg.get_model("scorer", "champion", dest=tmp_path / "dl")
    assert artifact.number == 1 and artifact.format == "state_dict"
    loaded = torch.load(artifact.path, weights_only=True)
    assert torch.equal(loaded["body.0.weight"], module.state_dict()["body.0.weight"])

    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(onnx_bytes(n_in=5))
    second = reg.log_model(onnx_file, name="scorer", parent=1, dataset="tx:1")
    assert second["number"] == 2 and second["parent"] == {"model": "scorer", "number": 1}
    fetched = reg.get_model("scorer", 2, dest=tmp_path / "dl")
    assert hashlib.sha256(fetched.path.read_bytes()).hexdigest() == second["artifact_sha256"]
    assert [m["name"] for m in reg.list_models()] == ["scorer"]


def test_client_surfaces_rejections_and_scoping(reg: Registry, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle_payload_bytes(marker))
    with pytest.raises(ShipyardError) as excinfo:
        reg.log_model(evil, name="scorer")
    assert excinfo.value.status == 400 and "artifact" in excinfo.value.fields
    assert not marker.exists()
    with pytest.raises(ShipyardError) as other:
        reg.list_models(project="elsewhere")
    assert other.value.status == 404


def test_cli_upload_list_get(reg: Registry, tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    from shipyard.client import cli

    monkeypatch.setenv("SHIPYARD_TOKEN", reg.token)
    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(onnx_bytes())
    base = ["--url", reg.url]
    assert cli.main([*base, "models", "upload", str(onnx_file), "--name", "cli-model", "-p", "lab-project"]) == 0
    assert "registered cli-model v1" in capsys.readouterr().out
    assert cli.main([*base, "models", "list", "-p", "lab-project"]) == 0
    assert "cli-model" in capsys.readouterr().out
    assert cli.main([*base, "models", "get", "cli-model", "1", "-p", "lab-project", "-o", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "cli-model-v1.onnx").read_bytes() == onnx_file.read_bytes()
