"""The job contracts have one owner: params models (shipyard_ml.job_params) and reports
(shipyard_ml.reports), validated at the API, read by the runner, published in the OpenAPI schema
and through GET /api/v1/jobs/kinds/."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from shipyard.jobs.models import JobKind
from shipyard.jobs.params import normalise
from shipyard.registry import validation
from shipyard_ml.job_params import JOB_PARAMS, TrainingChecksParams
from shipyard_ml.reports import (
    JOB_REPORTS,
    ExportJobReport,
    ExportReport,
    NoReport,
    VersionRef,
    job_report,
)


def test_every_job_kind_has_one_params_model_and_one_report() -> None:
    assert set(JOB_PARAMS) == set(JobKind.values) == set(JOB_REPORTS)


@pytest.mark.parametrize("kind", JobKind.values)
def test_normalise_fills_the_models_defaults(kind: str) -> None:
    required = [name for name, f in JOB_PARAMS[kind].model_fields.items() if f.is_required()]
    if required:  # explain and replay take their rows: without them, a 400 naming the first
        from shipyard.core.errors import DomainError

        with pytest.raises(DomainError) as caught:
            normalise(kind, {})
        assert caught.value.field == f"params.{required[0]}"
        return
    assert normalise(kind, None) == normalise(kind, {}) == JOB_PARAMS[kind]().model_dump(mode="json")


def test_defaults_and_ranges_are_the_documented_ones() -> None:
    assert normalise("export_onnx", {}) == {"latency_repeats": 30, "opset": 17, "tolerance": 1e-4, "output_model": ""}
    assert normalise("distill", {})["student_config"] == {"hidden": [32]}
    assert normalise("evaluate", {}) == {"min_slice_accuracy": None}
    assert normalise("quantize", {"mode": "static", "opset": 10})["opset"] == 10
    # an int is a number; the stored value is the JSON one
    assert normalise("export_onnx", {"tolerance": 1})["tolerance"] == 1.0


def test_the_ml_defaults_come_from_the_params_model() -> None:
    from shipyard_ml.training_checks import TrainingTestsParams

    assert TrainingTestsParams is TrainingChecksParams
    training = normalise("training_tests", {})
    assert {k: training[k] for k in TrainingChecksParams.model_fields} == TrainingChecksParams().model_dump()


def test_student_recipes_are_the_builtin_recipes() -> None:
    schema = JOB_PARAMS["distill"].model_json_schema()
    assert set(schema["properties"]["student_recipe"]["enum"]) == set(validation.BUILTIN_RECIPES)


def test_a_job_report_keeps_the_ml_report_and_adds_the_jobs_fields() -> None:
    report = ExportReport(
        format="onnx",
        size_bytes=10,
        passed=True,
        summary="ok",
        max_abs_diff=0.0,
        tolerance=1e-4,
        parity_rows=3,
        latency_ms={"pytorch": {"1": 0.1}},
        opset=17,
    )
    ref = VersionRef(id=1, model="m", number=2, format="onnx", size_bytes=10)
    result = job_report(ExportJobReport, report, kind="export_onnx", version=ref).to_dict()
    assert result["kind"] == "export_onnx" and result["version"]["number"] == 2
    assert "path" not in result and result["latency_ms"] == {"pytorch": {"1": 0.1}}
    TypeAdapter(ExportJobReport).validate_python(result)
    assert NoReport(kind="evaluate", device="cuda").to_dict() == {"kind": "evaluate", "device": "cuda"}


@pytest.mark.django_db
def test_kinds_endpoint_publishes_each_kinds_params_schema(world: Any) -> None:
    res = world.client(world.outsider).get("/api/v1/jobs/kinds/")
    assert res.status_code == 200, res.json()
    kinds = {k["kind"]: k["params"] for k in res.json()}
    assert list(kinds) == list(JobKind.values)
    opset = kinds["export_onnx"]["properties"]["opset"]
    assert (opset["type"], opset["default"], opset["minimum"], opset["maximum"]) == ("integer", 17, 9, 21)
    assert opset["description"] == "ONNX opset."
    assert kinds["quantize"]["properties"]["mode"]["enum"] == ["dynamic", "static"]
    assert kinds["distill"]["properties"]["student_config"]["default"] == {"hidden": [32]}
    assert kinds["export_onnx"]["additionalProperties"] is False
    for schema in kinds.values():
        assert all(p.get("description") for p in schema["properties"].values()), schema


@pytest.mark.django_db
def test_kinds_endpoint_needs_a_login() -> None:
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/jobs/kinds/").status_code == 401


def test_openapi_schema_publishes_params_and_reports() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    for model in JOB_PARAMS.values():
        assert components[model.__name__]["properties"], model
    for cls in {*JOB_REPORTS.values(), NoReport}:
        assert cls.__name__ in components
    result = components["JobDetail"]["properties"]["result"]
    assert {"$ref": "#/components/schemas/DistillJobReport"} in result["anyOf"]
    params = components["JobCreateRequest"]["properties"]["params"]
    assert {"$ref": "#/components/schemas/QuantizeParams"} in params["anyOf"]
    # OpenAPI 3.0: no null type, no const
    text = repr(components)
    assert "'null'" not in text and "'const'" not in text and "$defs" not in text
