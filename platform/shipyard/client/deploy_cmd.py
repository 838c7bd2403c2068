"""`shipyard deploy create|canary|promote|rollback|bandit|ensemble|shadow|status`: change a project's deployments from a terminal or CI.

Uses ``SHIPYARD_TOKEN`` (a maintainer's or admin's API token) and ``SHIPYARD_URL``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from shipyard.client import debug_cmd
from shipyard.client.http import Client


def _client(args: argparse.Namespace) -> Client:
    return Client(url=args.url)


def _path(args: argparse.Namespace, suffix: str = "") -> str:
    base = f"/api/v1/projects/{args.project}/deployments/"
    return base + (f"{args.deployment}/{suffix}" if getattr(args, "deployment", None) else "")


def _show(d: dict[str, Any]) -> None:
    split = ", ".join(f"{t['role']} v{t['version']} {t['share']}%" for t in d["traffic"])
    print(f"{d['project']}/{d['name']}: model {d['model']}, live v{d['live_version']['number']}; traffic: {split}")
    print(f"  endpoint: POST {d['endpoint']}")


def cmd_create(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {
        "name": args.deployment,
        "model": args.model,
        "version": args.version,
        "reason": args.reason,
    }
    if args.override_gate:
        body["override_gate"] = True
    if args.max_batch_size is not None:
        body["max_batch_size"] = args.max_batch_size
    if args.max_delay_ms is not None:
        body["max_delay_ms"] = args.max_delay_ms
    if args.quality_threshold is not None:
        body["quality_threshold"] = args.quality_threshold
    _show(_client(args).post(f"/api/v1/projects/{args.project}/deployments/", json=body))
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    body = {"version": args.version, "reason": args.reason, "override_gate": args.override_gate}
    _show(_client(args).post(_path(args, "deploy/"), json=body))
    return 0


def cmd_canary(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"weight": args.weight, "reason": args.reason}
    if args.override_gate:
        body["override_gate"] = True
    if args.version is not None:
        body["version"] = args.version
    _show(_client(args).post(_path(args, "canary/"), json=body))
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    _show(
        _client(args).post(_path(args, "promote/"), json={"reason": args.reason, "override_gate": args.override_gate})
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    _show(_client(args).post(_path(args, "rollback/"), json={"reason": args.reason}))
    return 0


def cmd_bandit(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.stop:
        _show(client.request("DELETE", _path(args, "bandit/"), json={"reason": args.reason}).json())
        return 0
    if args.versions:
        body: dict[str, Any] = {"versions": args.versions, "policy": args.policy, "reason": args.reason}
        if args.epsilon is not None:
            body["epsilon"] = args.epsilon
        if args.min_share is not None:
            body["min_share"] = args.min_share
        client.post(_path(args, "bandit/"), json=body)
    report = client.get(_path(args, "bandit/"))
    if not report["active"]:
        print(f"{args.project}/{args.deployment}: no bandit")
        return 0
    print(f"{args.project}/{args.deployment}: {report['policy']} bandit, min share {report['min_share']:g} per arm")
    for arm in report["arms"]:
        share = "-" if arm["share"] is None else f"{arm['share'] * 100:.1f}%"
        print(
            f"  v{arm['version']}: {share} of {arm['requests']} requests, {arm['successes']} right / "
            f"{arm['failures']} wrong, posterior mean {arm['mean']:.3f} [{arm['low']:.3f}, {arm['high']:.3f}]"
        )
    return 0


def cmd_ensemble(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"members": args.members, "combine": args.combine, "description": args.description}
    if args.weights:
        body["weights"] = args.weights
    if args.metric:
        body["metrics"] = {name: float(value) for name, value in (m.split("=", 1) for m in args.metric)}
    v = _client(args).post(f"/api/v1/projects/{args.project}/models/{args.model}/ensembles/", json=body)
    e = v["ensemble"]
    members = " + ".join(f"v{n}" for n in e["members"])
    print(f"{args.project}/{v['model']} v{v['number']}: ensemble ({e['combine']}) of {members}")
    print(f"  deploy it like any version: shipyard deploy canary -p {args.project} <deployment> -v {v['number']} -w 10")
    return 0


def cmd_shadow(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.stop:
        _show(client.request("DELETE", _path(args, "shadow/"), json={"reason": args.reason}).json())
        return 0
    if args.version is not None:
        body = {"version": args.version, "share": args.share, "reason": args.reason}
        client.post(_path(args, "shadow/"), json=body)
    r = client.get(_path(args, "shadow/"))
    if not r["active"]:
        print(f"{args.project}/{args.deployment}: no shadow")
        return 0
    agreement = "-" if r["agreement"] is None else f"{r['agreement'] * 100:.1f}%"
    print(f"{args.project}/{args.deployment}: shadow v{r['version']} gets {r['share'] * 100:g}% of requests")
    print(f"  {r['count']} rows compared, agreement with live {agreement}, {r['failed']} failed")

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f} ms"

    print(
        f"  p50/p99: live {ms(r['live_p50_ms'])} / {ms(r['live_p99_ms'])}, shadow {ms(r['shadow_p50_ms'])} / {ms(r['shadow_p99_ms'])}"
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.deployment:
        d = client.get(_path(args))
        if args.json:
            print(json.dumps(d, indent=2))
            return 0
        _show(d)
        for e in client.get(_path(args, "events/"))["results"][: args.history]:
            print(
                f"  {e['created_at'][:19]} {e['kind']:<13} v{e['from_version']} -> v{e['to_version']} by {e['actor'] or 'shipyard'}: {e['reason']}"
            )
        return 0
    page = client.get(_path(args))
    if args.json:
        print(json.dumps(page["results"], indent=2))
        return 0
    for d in page["results"]:
        _show(d)
    return 0


def register(subparsers: Any) -> None:
    deploy = subparsers.add_parser("deploy", help="create, canary, promote and roll back deployments")
    sub = deploy.add_subparsers(dest="deploy_command", required=True)

    def common(p: argparse.ArgumentParser, deployment: bool = True) -> None:
        p.add_argument("--project", "-p", required=True)
        if deployment:
            p.add_argument("deployment")

    p = sub.add_parser("create", help="a new deployment serving a model version")
    common(p)
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--version", "-v", type=int, required=True)
    p.add_argument("--reason", "-r", required=True, help="why (required; kept in the deployment's history)")
    p.add_argument(
        "--override-gate", action="store_true", help="admins: deploy despite a failing quality gate (needs --reason)"
    )
    p.add_argument("--max-batch-size", type=int)
    p.add_argument("--max-delay-ms", type=float)
    p.add_argument("--quality-threshold", type=float)
    p.set_defaults(func=cmd_create)

    p = sub.add_parser("set", help="make a version live at once (quality gate applies)")
    common(p)
    p.add_argument("--version", "-v", type=int, required=True)
    p.add_argument("--reason", "-r", required=True, help="why (required; kept in the deployment's history)")
    p.add_argument("--override-gate", action="store_true")
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("canary", help="send a share of the traffic to a version (or change the canary's weight)")
    common(p)
    p.add_argument("--version", "-v", type=int)
    p.add_argument("--weight", "-w", type=int, required=True, help="percent of requests, 0-100")
    p.add_argument("--reason", "-r", required=True, help="why (required; kept in the deployment's history)")
    p.add_argument(
        "--override-gate", action="store_true", help="admins: a weight above the gated share despite a failing gate"
    )
    p.set_defaults(func=cmd_canary)

    p = sub.add_parser("promote", help="make the canary live")
    common(p)
    p.add_argument("--reason", "-r", required=True, help="why (required; kept in the deployment's history)")
    p.add_argument("--override-gate", action="store_true")
    p.set_defaults(func=cmd_promote)

    p = sub.add_parser("rollback", help="canary weight to 0, or the previous live version back")
    common(p)
    p.add_argument("--reason", "-r", required=True, help="why (required; kept in the deployment's history)")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser(
        "bandit", help="route among versions with a bandit rewarded by feedback; without --versions, show its arms"
    )
    common(p)
    p.add_argument("--versions", type=int, nargs="+", help="two or more version numbers to route among")
    p.add_argument("--policy", choices=["thompson", "epsilon_greedy"], default="thompson")
    p.add_argument("--epsilon", type=float, help="epsilon-greedy's exploration probability (default 0.1)")
    p.add_argument("--min-share", type=float, help="the least share of requests each arm gets (default 0.02)")
    p.add_argument("--stop", action="store_true", help="back to the fixed live/canary split")
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_bandit)

    p = sub.add_parser("ensemble", help="register an ensemble of versions as the model's next version")
    common(p, deployment=False)
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--members", type=int, nargs="+", required=True, help="two or more version numbers")
    p.add_argument("--combine", choices=["mean", "weighted", "vote"], default="mean")
    p.add_argument("--weights", type=float, nargs="+", help="one per member (weighted)")
    p.add_argument("--metric", action="append", help="NAME=VALUE, the ensemble's measured metric (quality gate)")
    p.add_argument("--description", default="")
    p.set_defaults(func=cmd_ensemble)

    p = sub.add_parser("shadow", help="mirror a share of requests to a version and compare; without -v, show it")
    common(p)
    p.add_argument("--version", "-v", type=int)
    p.add_argument("--share", type=float, default=1.0, help="share of requests mirrored, 0 < share <= 1")
    p.add_argument("--stop", action="store_true")
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_shadow)

    p = sub.add_parser("status", help="deployments of a project, or one with its history")
    p.add_argument("--project", "-p", required=True)
    p.add_argument("deployment", nargs="?")
    p.add_argument("--history", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    debug_cmd.register(sub)
