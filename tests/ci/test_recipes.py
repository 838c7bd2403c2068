"""Each recipe in docs/ci: the exact `shipyard ci report` line, in that CI's environment, builds a body that imports."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from shipyard.ci import payloads
from shipyard.client import ci_cmd, cli
from tests.ci.conftest import FIXTURES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ci"

# What each CI puts in the environment (names from the providers' documentation).
ENVIRONMENTS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "github-actions.md": (
        {
            "GITHUB_REF_NAME": "main",
            "GITHUB_SHA": "a" * 40,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/fraud",
            "GITHUB_RUN_ID": "9",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_JOB": "test",
        },
        {
            "branch": "main",
            "commit": "a" * 40,
            "url": "https://github.com/acme/fraud/actions/runs/9",
            "id": "gha-9-2-test",
        },
    ),
    "gitlab-ci.md": (
        {
            "CI_COMMIT_REF_NAME": "dev",
            "CI_COMMIT_SHA": "b" * 40,
            "CI_JOB_URL": "https://gitlab.example/acme/fraud/-/jobs/77",
            "CI_JOB_ID": "77",
        },
        {
            "branch": "dev",
            "commit": "b" * 40,
            "url": "https://gitlab.example/acme/fraud/-/jobs/77",
            "id": "gitlab-job-77",
        },
    ),
    "circleci.md": (
        {
            "CIRCLE_BRANCH": "main",
            "CIRCLE_SHA1": "c" * 40,
            "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/fraud/5",
            "CIRCLE_WORKFLOW_JOB_ID": "u-1",
        },
        {"branch": "main", "commit": "c" * 40, "url": "https://circleci.com/gh/acme/fraud/5", "id": "circleci-u-1"},
    ),
    "jenkins.md": (
        {
            "BRANCH_NAME": "release",
            "GIT_COMMIT": "d" * 40,
            "BUILD_URL": "https://jenkins.example/job/fraud/3/",
            "BUILD_TAG": "jenkins-fraud-3",
        },
        {
            "branch": "release",
            "commit": "d" * 40,
            "url": "https://jenkins.example/job/fraud/3/",
            "id": "jenkins-jenkins-fraud-3",
        },
    ),
    "buildkite.md": (
        {
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_COMMIT": "e" * 40,
            "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/fraud/builds/4",
            "BUILDKITE_JOB_ID": "j-4",
        },
        {
            "branch": "main",
            "commit": "e" * 40,
            "url": "https://buildkite.com/acme/fraud/builds/4",
            "id": "buildkite-j-4",
        },
    ),
}
CI_PREFIXES = ("GITHUB_", "CI_", "CIRCLE", "BUILDKITE", "BUILD_", "BRANCH_NAME", "GIT_")


def report_line(recipe: str) -> list[str]:
    text = (DOCS / recipe).read_text()
    match = re.search(r"shipyard (ci report [^\n'`]+)", text)
    assert match, f"{recipe} has no `shipyard ci report` line"
    return shlex.split(match.group(1))


@pytest.mark.parametrize("recipe", sorted(ENVIRONMENTS))
def test_recipe_payload_imports(recipe: str, monkeypatch: Any, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(CI_PREFIXES):
            monkeypatch.delenv(name)
    env, expected = ENVIRONMENTS[recipe]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results.xml").write_text((FIXTURES / "pytest-junit.xml").read_text())
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.93}))
    (tmp_path / "requirements.txt").write_text("numpy==1.26.4\n")

    args = cli.build_parser().parse_args(report_line(recipe))
    assert args.func is ci_cmd.report
    body = ci_cmd.build_body(args)
    assert body["run"] == expected
    report = payloads.normalise(
        "shipyard",
        json.dumps(body).encode(),
        event="report",
        delivery_id="x",
        content_type="application/json",
        query={},
    )
    assert (report.branch, report.commit, report.url, report.external_id) == (
        expected["branch"],
        expected["commit"],
        expected["url"],
        expected["id"],
    )
    assert report.cases is not None and len(report.cases) == 5
    assert report.metrics == {"accuracy": 0.93} and report.lockfile == "numpy==1.26.4\n"


def test_every_recipe_is_listed_in_the_index() -> None:
    index = (DOCS / "index.md").read_text()
    for recipe in ENVIRONMENTS:
        assert f"({recipe})" in index
