"""`shipyard deploy explain|replay`: explain a prediction (per-feature attributions, computed by a worker)
and replay logged requests on another version, from a terminal.

    shipyard deploy explain -p digits-classifier digits --request-id 9f1c...-0
    shipyard deploy explain -p digits-classifier digits --inputs '[[0, 0, 5, ...]]'
    shipyard deploy replay -p digits-classifier digits -v 1 --request-id 9f1c...-0 9f1c...-1
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from shipyard.client.http import Client, ShipyardError

POLL_S = 1.0
#: attributions printed per row
TOP = 8


def _wait(client: Client, answer: dict[str, Any], poll: str, key: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while key not in answer and time.monotonic() < deadline:
        time.sleep(POLL_S)
        answer = client.get(poll.format(job=answer["job"]))
        if key not in answer and answer.get("result", {}).get("rows") is not None:  # the jobs API's shape
            return {key: answer["result"]}
        if answer.get("status") in ("failed", "cancelled") and key not in answer:
            raise ShipyardError(
                0, "job_failed", f"job {answer.get('id', '')} {answer['status']}: {answer.get('message', '')}"
            )
    if key not in answer:
        raise ShipyardError(0, "timeout", f"still running after {timeout_s:g} s: job {answer['job']}")
    return answer


def cmd_explain(args: argparse.Namespace) -> int:
    client = Client(url=args.url)
    body: dict[str, Any] = {"request_id": args.request_id} if args.request_id else {"inputs": json.loads(args.inputs)}
    if args.method:
        body["method"] = args.method
    base = f"/serve/{args.project}/{args.deployment}/explain"
    answer = _wait(client, client.post(base, json=body), base + "/{job}", "explanation", args.timeout)
    e = answer["explanation"]
    if args.json:
        print(json.dumps(e, indent=2))
        return 0
    print(f"{e['summary']}")
    if e["fallback_reason"]:
        print(f"  fallback: {e['fallback_reason']}")
    for row in e["rows"]:
        print(
            f"predicted {row['predicted_label']} ({e['output_kind']} {row['output']:.4g}; baseline {row['baseline_output']:.4g})"
        )
        top = sorted(zip(e["feature_names"], row["attributions"], strict=True), key=lambda kv: -abs(kv[1]))[:TOP]
        for name, value in top:
            print(f"  {name:<24} {value:+.4g}")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    client = Client(url=args.url)
    path = f"/api/v1/projects/{args.project}/deployments/{args.deployment}/replay/"
    first = client.post(path, json={"request_ids": args.request_id, "version": args.version})
    r = _wait(client, first, "/api/v1/jobs/{job}/", "replay", args.timeout)["replay"]
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(r["summary"])
    for row in r["rows"]:
        mark = "same" if row["agrees"] else "DIFFERS"
        print(
            f"  {row['request_id']:<40} v{row['original_version']}: {row['original_output']!r:<10} v{r['version']}: {row['replay_output']!r:<10} {mark}"
        )
    return 0


def register(sub: Any) -> None:
    """Add ``explain`` and ``replay`` to the ``shipyard deploy`` subcommands."""
    p = sub.add_parser("explain", help="per-feature attributions for a prediction (logged, or new inputs)")
    p.add_argument("--project", "-p", required=True)
    p.add_argument("deployment")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--request-id", help="a logged prediction's request id")
    what.add_argument("--inputs", help="rows as JSON, as for predict")
    p.add_argument("--method", choices=["auto", "integrated_gradients", "kernel_shap"])
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("replay", help="re-run logged requests on a version; both outputs side by side")
    p.add_argument("--project", "-p", required=True)
    p.add_argument("deployment")
    p.add_argument("--version", "-v", type=int, required=True)
    p.add_argument("--request-id", nargs="+", required=True)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)
