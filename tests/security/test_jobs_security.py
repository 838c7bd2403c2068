"""Attacks on jobs: a member naming code to import as a training recipe, host paths in a job's error."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from shipyard.jobs.models import Job, JobStatus
from shipyard.registry.models import ModelVersion
from tests.jobs.conftest import api_version, mlp_weights, register_mlp, wait_for  # noqa: F401 (fixtures)

ENTRY_POINTS = ["logging.config:fileConfig", "os:system", "subprocess:run", "shipyard_ml.recipes:load_entry_point"]


def payload_ini(tmp_path: Path) -> tuple[Path, Path]:
    """A logging config (what a member can upload as a dataset file) whose handler args run Python."""
    marker = tmp_path / "pwned"
    ini = tmp_path / "upload.ini"
    ini.write_text(
        textwrap.dedent(
            f"""\
            [loggers]
            keys=root
            [handlers]
            keys=h
            [formatters]
            keys=
            [logger_root]
            handlers=h
            [handler_h]
            class=StreamHandler
            args=(__import__("pathlib").Path({str(marker)!r}).write_text("ran as the worker") and None,)
            """
        )
    )
    return ini, marker


def _post_job(world: Any, user: Any, body: dict[str, Any]) -> Any:
    return world.client(user).post("/api/v1/jobs/", {"project": "fraud-model", **body}, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_member_cannot_name_code_to_import_as_a_recipe(
    world: Any,
    api_version: Any,  # noqa: F811
    tmp_path: Path,
    entry_point: str,
) -> None:
    ini, marker = payload_ini(tmp_path)
    res = _post_job(
        world,
        world.teammate,
        {
            "kind": "training_tests",
            "model_version": api_version.pk,
            "params": {"recipe": entry_point, "config": {str(ini): 1}},
        },
    )
    assert res.status_code == 400, res.json()
    error = res.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["params.recipe"]
    assert "allowlist" in error["fields"]["params.recipe"][0]
    assert not Job.objects.exists()
    assert not marker.exists()


@pytest.mark.django_db
def test_a_version_recipe_that_is_not_built_in_cannot_be_run(world: Any, api_version: Any) -> None:  # noqa: F811
    """A version labelled with a recipe that is no built-in: training_tests without params.recipe is refused."""
    ModelVersion.objects.filter(pk=api_version.pk).update(recipe="mlp")
    res = _post_job(world, world.owner, {"kind": "training_tests", "model_version": api_version.pk})
    assert res.status_code == 400, res.json()
    assert list(res.json()["error"]["fields"]) == ["params.recipe"]
    assert "the version's recipe 'mlp'" in res.json()["error"]["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_retry_of_a_job_naming_code_is_refused(world: Any, api_version: Any) -> None:  # noqa: F811
    """A job stored before the allowlist existed cannot be brought back through retry."""
    old = Job.objects.create(
        project=world.project,
        kind="training_tests",
        model_version=api_version,
        params={"recipe": "logging.config:fileConfig", "config": {}},
        status=JobStatus.FAILED,
        time_limit_s=60,
    )
    res = world.client(world.owner).post(f"/api/v1/jobs/{old.pk}/retry/")
    assert res.status_code == 400, res.json()
    assert list(res.json()["error"]["fields"]) == ["params.recipe"]
    assert Job.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("recipe", ["os:system", "logging.config:fileConfig"])
def test_model_upload_cannot_record_code_as_its_recipe(world: Any, recipe: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.registry.conftest import state_dict_bytes

    res = world.client(world.teammate).post(
        "/api/v1/projects/fraud-model/models/scorer/versions/",
        {"artifact": SimpleUploadedFile("m.pt", state_dict_bytes()), "format": "state_dict", "recipe": recipe},
        format="multipart",
    )
    assert res.status_code == 400, res.json()
    assert list(res.json()["error"]["fields"]) == ["recipe"]
    assert "allowlist" in res.json()["error"]["fields"]["recipe"][0]
    assert not ModelVersion.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_refuses_a_stored_job_naming_code(
    world: Any,
    celery_worker: Any,
    mlp_weights: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Defence in depth: a job row naming ``logging.config:fileConfig`` (written before the API check,
    or by anything that bypasses it) reaches a real worker, which refuses it before importing anything."""
    from shipyard.jobs.tasks import run_job

    ini, marker = payload_ini(tmp_path)
    version = register_mlp(world.project, mlp_weights, by=world.owner)
    job = Job.objects.create(
        project=world.project,
        kind="training_tests",
        model_version=version,
        params={"recipe": "logging.config:fileConfig", "config": {str(ini): 1}},
        time_limit_s=120,
        created_by=world.teammate,
    )
    run_job.apply_async(args=[job.pk], queue="cpu")
    done = wait_for(job.pk, worker=celery_worker)
    assert done.status == "failed"
    assert done.message.startswith("RecipeNotAllowed:"), done.message
    assert not marker.exists(), "the worker ran the uploaded logging config"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_job_error_keeps_the_traceback_without_host_paths(world: Any, celery_worker: Any, mlp_weights: Path) -> None:  # noqa: F811
    from django.conf import settings

    version = register_mlp(world.project, mlp_weights, by=world.owner)
    res = _post_job(
        world,
        world.owner,
        {
            "kind": "training_tests",
            "model_version": version.pk,
            "params": {"recipe": "tests.jobs.broken_recipes:explode"},
        },
    )
    assert res.status_code == 201, res.json()
    done = wait_for(res.json()["id"], worker=celery_worker)
    assert done.status == "failed"
    assert "Traceback (most recent call last)" in done.error and "RuntimeError: boom" in done.error
    assert 'File "tests/jobs/broken_recipes.py"' in done.error, done.error
    body = world.client(world.owner).get(f"/api/v1/jobs/{done.pk}/").json()
    shown = str(body)
    for absolute in (str(settings.REPO_ROOT), "site-packages/", "/usr/lib/python"):
        assert absolute not in done.error, (absolute, done.error)
        assert absolute not in shown


def test_host_relative_strips_the_host_directories(settings: Any) -> None:
    import json
    import traceback

    from shipyard.jobs.runner import host_relative

    try:
        json.loads("{")
    except ValueError:
        text = traceback.format_exc()
    text += f'\nFileNotFoundError: "{settings.ARTIFACT_ROOT}/sha256/ab/cd" and "{settings.REPO_ROOT}/platform/x.py"'
    cleaned = host_relative(text)
    assert 'File "json/decoder.py"' in cleaned, cleaned
    assert '"artifacts/sha256/ab/cd"' in cleaned and '"platform/x.py"' in cleaned
    assert str(settings.REPO_ROOT) not in cleaned and str(settings.ARTIFACT_ROOT) not in cleaned
    assert "json.decoder.JSONDecodeError" in cleaned  # the traceback itself is kept


def test_the_allowlist_setting_takes_exact_entry_points_only() -> None:
    from shipyard.config.env import EnvError, env_entry_points

    assert env_entry_points("SHIPYARD_RECIPE_ALLOWLIST", {}) == []
    assert env_entry_points("X", {"X": " team.train:fit , team.train:fit_cnn "}) == [
        "team.train:fit",
        "team.train:fit_cnn",
    ]
    for bad in ("team.train", "team.train:*", "os.system; rm -rf /", "team.*:fit"):
        with pytest.raises(EnvError, match="X entry"):
            env_entry_points("X", {"X": bad})
