"""Push-to-deploy from CI: upload a version to a deployment and follow its rollout.

    from shipyard.client.push import Pusher
    pusher = Pusher()                                    # SHIPYARD_URL / SHIPYARD_TOKEN
    push = pusher.push("model.onnx", project="p", model="m", deployment="d",
                       commit="3f2a...", branch="main", ci_run="1234")
    outcome = pusher.wait(push, timeout=900)             # the push once it is final (or the latest, on timeout)

The commit, branch and CI run page default to what the CI system sets in the environment (GitHub
Actions, GitLab CI, CircleCI, Jenkins, Buildkite), so a CI step needs only the artifact and the three
names. The deployment's policy finds the passing CI run of the commit (or the run named by ``ci_run``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipyard.client.ci_cmd import detect_run
from shipyard.client.http import Client, ShipyardError
from shipyard.client.registry import SUFFIX_FORMATS, MultipartStream

#: final statuses and the exit code `shipyard push` returns for each (0 only for a promotion)
EXIT_CODES = {"promoted": 0, "gate_failed": 3, "rolled_back": 4, "failed": 5, "superseded": 5}
#: exit code when the rollout had not ended within --timeout
EXIT_TIMEOUT = 6


def ci_environment() -> dict[str, str]:
    """The commit, branch and CI run page from the CI system's environment (as `shipyard ci report`
    reads them). The run is matched on the server by commit: the push step usually runs in another
    job than the tests, so its own job id names no recorded run."""
    found = detect_run()
    return {"commit": found["commit"], "branch": found["branch"], "ci_url": found["url"]}


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
            "ci_run": ci_run,
            "ci_url": ci_url or found["ci_url"],
            "recipe": recipe,
            "dataset": dataset,
            "description": description,
        }
        body = MultipartStream({k: v for k, v in fields.items() if v}, "artifact", path, path.name)
        url = f"/api/v1/projects/{project}/deployments/{deployment}/pushes/"
        response = self.request("POST", url, data=body, headers={"Content-Type": body.content_type}, retry=False)
        return dict(response.json())

    def push_when_ci_reported(
        self, artifact: str | Path, *, ci_wait: float = 120.0, interval: float = 5.0, **kwargs: Any
    ) -> dict[str, Any]:
        """:meth:`push`, retried while the deployment answers that the commit's CI run is not recorded or
        not finished yet (``ci_pending``; the run's report may still be on its way) for up to ``ci_wait`` s."""
        deadline = time.monotonic() + ci_wait
        while True:
            try:
                return self.push(artifact, **kwargs)
            except ShipyardError as exc:
                if exc.code != "ci_pending" or time.monotonic() + interval > deadline:
                    raise
                time.sleep(interval)

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
