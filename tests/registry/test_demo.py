"""The demo seeding trains real models and registers them; a second run adds nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest

from shipyard.registry.demo import seed
from shipyard.registry.models import DatasetVersion, ModelVersion
from shipyard.rubric.models import Evidence
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory


class Ctx:
    def __init__(self, skip_heavy: bool) -> None:
        self.user = UserFactory(username="demo")
        self.team = TeamFactory(slug="demo")
        MembershipFactory(user=self.user, team=self.team, role="admin")
        slugs = ["digits-classifier", "iris-species", "cancer-screening", "wine-quality"]
        self.projects = {s: ProjectFactory(team=self.team, slug=s) for s in slugs}
        self.stdout = io.StringIO()
        self.options: dict[str, Any] = {"skip_heavy": skip_heavy}


@pytest.mark.slow
def test_demo_seed_registers_datasets_and_trained_models(db: Any) -> None:
    ctx = Ctx(skip_heavy=False)
    seed(ctx)
    assert DatasetVersion.objects.count() == 5
    digits = DatasetVersion.objects.get(dataset__name="digits")
    assert digits.row_count == 1797 and digits.schema["n_features"] == 64 and len(digits.slices) == 3
    # the held-out evaluation rows, labelled since the last retraining (model-4's newer data)
    assert DatasetVersion.objects.get(dataset__name="digits-recent").row_count == 450
    names = set(ModelVersion.objects.values_list("model__name", flat=True))
    assert names == {"digits-mlp", "digits-cnn", "iris-mlp"}
    history = list(ModelVersion.objects.filter(model__name="digits-mlp", format="state_dict").order_by("number"))
    mlp = history.pop()
    assert mlp.recipe == "digits_mlp" and mlp.metrics["accuracy"] > 0.9 and mlp.slice_metrics
    assert mlp.training_dataset == digits and mlp.aliases.filter(name="champion").exists()
    onnx = ModelVersion.objects.filter(model__name="digits-mlp", format="onnx").first()
    assert onnx is not None and onnx.parent == mlp and onnx.number == mlp.number + 1
    # three earlier versions, numbered in the order of their declared training dates, on fewer rows
    assert [v.number for v in history] == [1, 2, 3]
    dates = [v.params["trained_at"] for v in (*history, mlp)]
    assert dates == sorted(dates) and len(set(dates)) == 4
    rows = [v.params["train_rows"] for v in (*history, mlp)]
    assert rows == sorted(rows) and rows[-1] == 1347 and rows[0] < rows[-1] / 2
    assert ModelVersion.objects.filter(model__name="iris-mlp", format="onnx").exists()
    before = ModelVersion.objects.count()
    seed(ctx)
    assert ModelVersion.objects.count() == before and DatasetVersion.objects.count() == 5
    # the digits models meet the digits team's feature policy (data-4)
    models = Evidence.objects.filter(test_id="data-4", key__startswith="policy:model:").values_list("key", "passed")
    assert set(models) == {("policy:model:digits-mlp", True), ("policy:model:digits-cnn", True)}


@pytest.mark.django_db
def test_demo_digits_project_has_fresh_data4_and_data5_evidence_the_others_gaps(db: Any) -> None:
    from shipyard.rubric.selectors import project_score

    ctx = Ctx(skip_heavy=True)
    seed(ctx)
    digits = ctx.projects["digits-classifier"]
    scan = DatasetVersion.objects.get(dataset__name="digits").pii_scan
    assert scan["status"] == "done" and scan["findings"] == [] and scan["passed"] is True
    assert scan["sampled_rows"] == 1797 and scan["columns_scanned"] == 65
    tests = project_score(digits)["tests"]
    assert tests["data-4"]["holds"] == "evidence" and tests["data-5"]["holds"] == "evidence"
    policy_evidence = Evidence.objects.get(project=digits, test_id="data-4", key="policy:dataset:digits")
    assert policy_evidence.passed and policy_evidence.detail["features"] == 64
    for slug in ("iris-species", "cancer-screening", "wine-quality"):
        assert not Evidence.objects.filter(project=ctx.projects[slug], test_id__in=["data-4", "data-5"]).exists()
