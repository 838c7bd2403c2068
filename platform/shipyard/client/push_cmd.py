"""`shipyard push <artifact> --project P --model M --deployment D`: push-to-deploy from CI.

Uploads the artifact with its commit, branch and CI run (read from the CI system's environment unless
given), starts its evaluation, and follows the rollout: quality gate, canary under the deployment's
canary analysis, then promotion or rollback. Exit status: 0 promoted, 3 quality gate failed,
4 rolled back, 5 failed or superseded, 6 timed out, 1 refused (a 4xx such as a push-policy rule).
"""

from __future__ import annotations

import argparse
from typing import Any

from shipyard.client.push import EXIT_CODES, EXIT_TIMEOUT, Pusher


def _say(push: dict[str, Any]) -> None:
    print(f"[{push['status']}] {push['message']}", flush=True)


def cmd_push(args: argparse.Namespace) -> int:
    pusher = Pusher(url=args.url)
    push = pusher.push_when_ci_reported(
        args.artifact,
        ci_wait=args.ci_wait,
        project=args.project,
        model=args.model,
        deployment=args.deployment,
        commit=args.commit,
        branch=args.branch,
        ci_run=args.ci_run,
        ci_url=args.ci_url,
        format=args.format,
        recipe=args.recipe,
        dataset=args.dataset,
        description=args.description,
    )
    print(
        f"push {push['id']}: {push['model']} v{push['version']} (commit {push['commit'][:12]}, branch {push['branch']}) "
        f"to {push['project']}/{push['deployment']}",
        flush=True,
    )
    _say(push)
    link = pusher.page_url(push)
    if args.no_wait:
        print(f"not waiting; follow it at {link}")
        return 0
    push = pusher.wait(push, timeout=args.timeout, interval=args.interval, on_change=_say)
    if not push["final"]:
        print(f"timed out after {args.timeout:g} s while {push['status']}; follow it at {link}")
        return EXIT_TIMEOUT
    print(f"{push['status'].replace('_', ' ')}: {push['message']}")
    print(f"deployment: {link}")
    return EXIT_CODES.get(push["status"], 5)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("push", help="push a model artifact to a deployment and follow its rollout (from CI)")
    p.add_argument("artifact", help="the model file (.onnx, .ts, .pt2, or .pt with --recipe)")
    p.add_argument("--project", "-p", required=True)
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--deployment", "-d", required=True)
    p.add_argument("--commit", default="", help="default: from the CI environment (GITHUB_SHA, CI_COMMIT_SHA, ...)")
    p.add_argument("--branch", default="", help="default: from the CI environment")
    p.add_argument("--ci-run", default="", help="the CI run's id as reported; default: a passing run of the commit")
    p.add_argument("--ci-url", default="", help="the CI run's page; default: from the CI environment")
    p.add_argument("--format", default="", help="artifact format; default: from the file's suffix")
    p.add_argument("--recipe", default="", help="built-in recipe of a state_dict/safetensors artifact")
    p.add_argument("--dataset", default="", help="evaluation dataset '<name>:<number>'; default: the version's own")
    p.add_argument("--description", default="")
    p.add_argument(
        "--ci-wait",
        type=float,
        default=120.0,
        help="seconds to retry while the commit's CI run is not recorded or not finished yet (default 120)",
    )
    p.add_argument("--no-wait", action="store_true", help="return after the upload")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds to follow the rollout (default 1800)")
    p.add_argument("--interval", type=float, default=3.0, help="seconds between status checks")
    p.set_defaults(func=cmd_push)
