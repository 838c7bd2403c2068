"""`shipyard ci report`: post JUnit results, metrics, a lockfile and a coverage report to a project's CI webhook.

Authentication, in order: ``SHIPYARD_CI_SECRET`` (the delivery id and the body are signed with the
Shipyard scheme, ``X-Shipyard-Signature: t=<unix>,v2=<hex HMAC-SHA256(secret, "<t>.<delivery id>.<body>")>``
with the id in ``X-Shipyard-Delivery``), or
``SHIPYARD_TOKEN`` (an API token of a project member). Branch, commit, run URL and run id default
to what GitHub Actions, GitLab CI, CircleCI, Buildkite or Jenkins put in the environment.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from shipyard.client.http import Client, ShipyardError


def _first(*names: str) -> str:
    for name in names:
        value = os.environ.get(name, "")
        if value:
            return value
    return ""


def detect_run() -> dict[str, str]:
    """Run fields from the CI's own environment variables."""
    github_url = ""
    if os.environ.get("GITHUB_RUN_ID"):
        github_url = "{}/{}/actions/runs/{}".format(
            os.environ.get("GITHUB_SERVER_URL", "https://github.com"),
            os.environ.get("GITHUB_REPOSITORY", ""),
            os.environ["GITHUB_RUN_ID"],
        )
    github_id = ""
    if os.environ.get("GITHUB_RUN_ID"):
        github_id = f"gha-{os.environ['GITHUB_RUN_ID']}-{os.environ.get('GITHUB_RUN_ATTEMPT', '1')}-{os.environ.get('GITHUB_JOB', '')}"
    return {
        "branch": _first(
            "GITHUB_HEAD_REF",
            "GITHUB_REF_NAME",
            "CI_COMMIT_REF_NAME",
            "CIRCLE_BRANCH",
            "BUILDKITE_BRANCH",
            "BRANCH_NAME",
            "GIT_BRANCH",
        ),
        "commit": _first("GITHUB_SHA", "CI_COMMIT_SHA", "CIRCLE_SHA1", "BUILDKITE_COMMIT", "GIT_COMMIT"),
        "url": github_url
        or _first("CI_JOB_URL", "CI_PIPELINE_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL", "BUILD_URL"),
        "id": github_id
        or (f"gitlab-job-{os.environ['CI_JOB_ID']}" if os.environ.get("CI_JOB_ID") else "")
        or (f"circleci-{os.environ['CIRCLE_WORKFLOW_JOB_ID']}" if os.environ.get("CIRCLE_WORKFLOW_JOB_ID") else "")
        or (f"buildkite-{os.environ['BUILDKITE_JOB_ID']}" if os.environ.get("BUILDKITE_JOB_ID") else "")
        or (f"jenkins-{os.environ['BUILD_TAG']}" if os.environ.get("BUILD_TAG") else ""),
    }


def sign(secret: str, body: bytes, *, delivery_id: str, timestamp: int | None = None) -> str:
    """The `X-Shipyard-Signature` value: HMAC-SHA256 over ``"<t>.<delivery id>.<body>"`` (the id is signed,
    so a captured request cannot be replayed under a new id)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{delivery_id}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v2={digest}"


def _read(path: str | None, what: str) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"shipyard: error: cannot read the {what} file {path!r}: {exc.strerror or exc}")


def build_body(args: argparse.Namespace) -> dict[str, Any]:
    detected = detect_run()
    run = {
        "id": args.run_id or detected["id"] or "",
        "name": args.name or "",
        "branch": args.branch or detected["branch"],
        "commit": args.commit or detected["commit"],
        "url": args.run_url or detected["url"],
        "status": args.status or "",
    }
    body: dict[str, Any] = {"run": {k: v for k, v in run.items() if v}}
    junit = [text for text in (_read(p, "JUnit") for p in args.junit or []) if text is not None]
    if junit:
        body["junit"] = junit if len(junit) > 1 else junit[0]
    metrics_text = _read(args.metrics, "metrics")
    if metrics_text is not None:
        try:
            body["metrics"] = json.loads(metrics_text)
        except ValueError as exc:
            raise SystemExit(f"shipyard: error: the metrics file {args.metrics!r} is not JSON: {exc}")
    lockfile = _read(args.lockfile, "lockfile")
    if lockfile is not None:
        body["lockfile"] = lockfile
    coverage = _read(args.coverage, "coverage")
    if coverage is not None:
        body["coverage"] = coverage
    return body


def report(args: argparse.Namespace) -> int:
    secret = os.environ.get("SHIPYARD_CI_SECRET", "")
    token = os.environ.get("SHIPYARD_TOKEN", "")
    if not secret and not token:
        print("shipyard: error: set SHIPYARD_CI_SECRET (the project's CI secret) or SHIPYARD_TOKEN", file=sys.stderr)
        return 2
    if not args.project:
        print("shipyard: error: --project is required (or set SHIPYARD_PROJECT)", file=sys.stderr)
        return 2
    payload = json.dumps(build_body(args), separators=(",", ":")).encode()
    delivery = args.delivery_id or str(uuid.uuid4())
    client = Client(url=args.url, token="" if secret else token, retries=args.retries, backoff=args.backoff)
    headers = {"Content-Type": "application/json", "X-Shipyard-Delivery": delivery, "X-Shipyard-Event": "report"}
    if secret:
        headers["X-Shipyard-Signature"] = sign(secret, payload, delivery_id=delivery)
    try:
        response = client.request(
            "POST", f"/api/v1/projects/{args.project}/ci/webhook/", retry=True, headers=headers, data=payload
        )
    except ShipyardError as exc:
        if exc.status == 401:
            exc.message += " (check SHIPYARD_CI_SECRET: rotate it in Shipyard and update your CI's secret store)"
        raise
    answer = response.json()
    state = "duplicate, already received" if answer.get("duplicate") else str(answer.get("status", "queued"))
    print(f"shipyard: reported to {client.url} project {args.project}: delivery {answer.get('delivery')} ({state})")
    return 0


def register(subparsers: Any) -> None:
    ci = subparsers.add_parser("ci", help="CI integration", description="CI integration commands.")
    ci_sub = ci.add_subparsers(dest="ci_command", required=True)
    rep = ci_sub.add_parser(
        "report",
        help="post test results, metrics, a lockfile and coverage to Shipyard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("--project", default=os.environ.get("SHIPYARD_PROJECT", ""), help="project slug")
    rep.add_argument("--junit", action="append", metavar="FILE", help="JUnit XML file (repeatable)")
    rep.add_argument("--metrics", metavar="FILE", help='JSON object of metric name -> number, e.g. {"accuracy": 0.93}')
    rep.add_argument("--lockfile", metavar="FILE", help="requirements.txt, poetry.lock, uv.lock or package-lock.json")
    rep.add_argument(
        "--coverage",
        metavar="FILE",
        help="Cobertura XML coverage report (coverage.py, nyc, JaCoCo via cover2cover, gocover-cobertura)",
    )
    rep.add_argument("--branch", help="branch (default: from the CI environment)")
    rep.add_argument("--commit", help="commit SHA (default: from the CI environment)")
    rep.add_argument("--url", dest="run_url", help="link to the CI run (default: from the CI environment)")
    rep.add_argument(
        "--status", choices=["passed", "failed", "canceled", "running"], help="run status (default: from the tests)"
    )
    rep.add_argument("--run-id", help="identifies the run; reports with the same id update one run")
    rep.add_argument("--name", help="run name shown in Shipyard")
    rep.add_argument("--delivery-id", help=argparse.SUPPRESS)
    rep.add_argument("--retries", type=int, default=4, help="retries on 5xx and connection errors (default 4)")
    rep.add_argument("--backoff", type=float, default=1.0, help="first retry delay in seconds, doubled each time")
    rep.set_defaults(func=report)
