"""Push-to-deploy from CI: upload a version to a deployment and follow its rollout.

    from shipyard.client.push import Pusher
    pusher = Pusher()                                    # SHIPYARD_URL / SHIPYARD_TOKEN
    push = pusher.push("model.onnx", project="p", model="m", deployment="d",
                       commit="3f2a...", branch="main", ci_run="1234")
    outcome = pusher.wait(push, timeout=900)             # the push once it is final (or the latest, on timeout)

The commit, branch and CI run default to what the CI system sets in the environment (GitHub Actions,
GitLab CI, CircleCI, Jenkins, Buildkite), so a CI step needs only the artifact and the three names.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipyard.client.http import Client
from shipyard.client.registry import SUFFIX_FORMATS, MultipartStream

#: final statuses and the exit code `shipyard push` returns for each (0 only for a promotion)
EXIT_CODES = {"promoted": 0, "gate_failed": 3, "rolled_back": 4, "failed": 5, "superseded": 5}
#: exit code when the rollout had not ended within --timeout
EXIT_TIMEOUT = 6

# (commit, branch, run id, run url) as each CI system names them in the job's environment
_CI_ENV = (
    ("GITHUB_SHA", "GITHUB_REF_NAME", "GITHUB_RUN_ID", None),
    ("CI_COMMIT_SHA", "CI_COMMIT_BRANCH", "CI_PIPELINE_ID", "CI_PIPELINE_URL"),
    ("CIRCLE_SHA1", "CIRCLE_BRANCH", "CIRCLE_WORKFLOW_ID", "CIRCLE_BUILD_URL"),
    ("BUILDKITE_COMMIT", "BUILDKITE_BRANCH", "BUILDKITE_BUILD_ID", "BUILDKITE_BUILD_URL"),
    ("GIT_COMMIT", "BRANCH_NAME", "BUILD_TAG", "BUILD_URL"),  # Jenkins
)


def ci_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """The commit, branch, CI run id and URL from the CI system's environment variables (empty when unknown)."""
    env = dict(os.environ if env is None else env)
    for commit, branch, run, url in _CI_ENV:
        if env.get(commit):
            found = {
                "commit": env.get(commit, ""),
                "branch": env.get(branch, ""),
                "ci_run": env.get(run, ""),
                "ci_url": env.get(url, "") if url else "",
            }
            if commit == "GITHUB_SHA" and env.get("GITHUB_SERVER_URL"):
                found["ci_url"] = (
                    f"{env['GITHUB_SERVER_URL']}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
                )
            return found
    return {"commit": "", "branch": "", "ci_run": "", "ci_url": ""}


class Pusher(Client):
    """The push half of the Shipyard client (extends :class:`shipyard.client.Client`)."""

    def push(
        self,
        artifact: str | Path,
        *,
        project: str,
        model: str,
        deployment: str,
        commit: str = "",
        branch: str = "",
        ci_run: str = "",
        ci_url: str = "",
        format: str = "",
        recipe: str = "",
        dataset: str = "",
        description: str = "",
    ) -> dict[str, Any]:
        """Upload ``artifact`` as a version of ``model`` pushed to ``deployment``; returns the push
        (status ``evaluating``, or the earlier push of the same artifact)."""
        path = Path(artifact)
        fmt = format or SUFFIX_FORMATS.get(path.suffix.lower(), "")
        if not fmt:
            raise ValueError(f"cannot tell the format of {path.name}; pass format=")
        found = ci_environment()
        fields = {
            "model": model,
            "format": fmt,
            "commit": commit or found["commit"],
            "branch": branch or found["branch"],
            "ci_run": ci_run or found["ci_run"],
            "ci_url": ci_url or found["ci_url"],
            "recipe": recipe,
            "dataset": dataset,
            "description": description,
        }
        body = MultipartStream({k: v for k, v in fields.items() if v}, "artifact", path, path.name)
        url = f"/api/v1/projects/{project}/deployments/{deployment}/pushes/"
        response = self.request("POST", url, data=body, headers={"Content-Type": body.content_type}, retry=False)
        return dict(response.json())

    def get_push(self, push: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self.get(f"/api/v1/projects/{push['project']}/deployments/{push['deployment']}/pushes/{push['id']}/")
        )

    def wait(
        self,
        push: dict[str, Any],
        *,
        timeout: float = 900.0,
        interval: float = 2.0,
        on_change: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll the push until it is final or ``timeout`` seconds pass; returns its latest state."""
        deadline = time.monotonic() + timeout
        seen = (push["status"], push["message"])
        while not push["final"] and time.monotonic() < deadline:
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            push = self.get_push(push)
            if (push["status"], push["message"]) != seen:
                seen = (push["status"], push["message"])
                if on_change is not None:
                    on_change(push)
        return push

    def page_url(self, push: dict[str, Any]) -> str:
        return f"{self.url}{push['deployment_url']}"
