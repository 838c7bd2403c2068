"""Each recipe in docs/ci has a `shipyard push` step that parses, and the push reads the commit, branch
and run page from that CI's environment (names from the providers' documentation)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from shipyard.client import cli, push_cmd
from shipyard.client.push import ci_environment

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ci"
CI_PREFIXES = ("GITHUB_", "CI_", "CIRCLE", "BUILDKITE", "BUILD_", "BRANCH_NAME", "GIT_")

ENVIRONMENTS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "github-actions.md": (
        {"GITHUB_REF_NAME": "main", "GITHUB_SHA": "a" * 40, "GITHUB_REPOSITORY": "acme/fraud", "GITHUB_RUN_ID": "9"},
        {"commit": "a" * 40, "branch": "main", "ci_url": "https://github.com/acme/fraud/actions/runs/9"},
    ),
    "gitlab-ci.md": (
        {"CI_COMMIT_REF_NAME": "main", "CI_COMMIT_SHA": "b" * 40, "CI_JOB_URL": "https://gitlab.example/j/7"},
        {"commit": "b" * 40, "branch": "main", "ci_url": "https://gitlab.example/j/7"},
    ),
    "circleci.md": (
        {"CIRCLE_BRANCH": "main", "CIRCLE_SHA1": "c" * 40, "CIRCLE_BUILD_URL": "https://circleci.com/gh/a/f/5"},
        {"commit": "c" * 40, "branch": "main", "ci_url": "https://circleci.com/gh/a/f/5"},
    ),
    "jenkins.md": (
        {"BRANCH_NAME": "main", "GIT_COMMIT": "d" * 40, "BUILD_URL": "https://jenkins.example/job/f/3/"},
        {"commit": "d" * 40, "branch": "main", "ci_url": "https://jenkins.example/job/f/3/"},
    ),
    "buildkite.md": (
        {"BUILDKITE_BRANCH": "main", "BUILDKITE_COMMIT": "e" * 40, "BUILDKITE_BUILD_URL": "https://buildkite.com/b/4"},
        {"commit": "e" * 40, "branch": "main", "ci_url": "https://buildkite.com/b/4"},
    ),
}


@pytest.mark.parametrize("recipe", sorted(ENVIRONMENTS))
def test_recipe_push_step(recipe: str, monkeypatch: Any) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(CI_PREFIXES):
            monkeypatch.delenv(name)
    env, expected = ENVIRONMENTS[recipe]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    match = re.search(r"shipyard (push [^\n'`]+)", (DOCS / recipe).read_text())
    assert match, f"{recipe} has no `shipyard push` step"
    args = cli.build_parser().parse_args(shlex.split(match.group(1)))
    assert args.func is push_cmd.cmd_push
    assert (args.project, args.model, args.deployment, args.artifact) == ("fraud-model", "fraud", "prod", "model.onnx")
    assert ci_environment() == expected
