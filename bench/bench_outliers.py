"""Outlier detector overhead: throughput at 64 clients with the detector on, against the same
deployment setup without it, measured back to back in the same run.

Shipyard runs as `make up` runs it (bench/serving_shipyard.py: `shipyard_run` with web, serving
worker and gateway, private Redis, a bench database). Two deployments serve the same digits ONNX
version (MLP 64-128-128-10); one has a Mahalanobis detector fitted on the digits training set,
so the serving worker scores every row. wrk drives each at 64 clients (closed loop), alternating
``--rounds`` times, so a noisy machine affects both alike.

    python -m bench outliers [--seconds 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import wrk
from bench.common import REPO

SETUP = """
import json, sys
import django
django.setup()
from pathlib import Path
import pandas as pd
from sklearn.datasets import load_digits
from shipyard.accounts.models import Team
from shipyard.accounts.services import membership_set, team_create, token_for, user_ensure
from shipyard.projects.models import Project
from shipyard.registry.datasets import dataset_version_create
from shipyard.serving import lifecycle
from shipyard.serving.demo import register_onnx_version
from shipyard.serving.models import Deployment, OutlierDetector
from shipyard.serving.outlier_service import detector_fit
onnx, work = Path(sys.argv[1]), Path(sys.argv[2])
user = user_ensure(username="bench", password=None)
team = Team.objects.filter(slug="bench").first() or team_create(slug="bench", name="Bench", owner=user)
membership_set(team=team, user=user, role="admin")
project, _ = Project.objects.get_or_create(slug="bench", defaults={"team": team, "name": "Bench"})
Deployment.objects.filter(project=project).delete()
x, y = load_digits(return_X_y=True)
frame = pd.DataFrame(x, columns=[f"pixel_{i}" for i in range(64)]); frame["target"] = y
frame.to_parquet(work / "digits.parquet", index=False)
dataset = dataset_version_create(project=project, dataset_name="digits-train", file_or_path=work / "digits.parquet",
                                 format="parquet", label_column="target")
v = register_onnx_version(project=project, model_name="digits", onnx_path=onnx, metrics={})
v.training_dataset = dataset; v.save(update_fields=["training_dataset"])
settings = {"max_batch_size": 32, "log_sample_rate": 0.0}
lifecycle.deployment_create(project=project, name="plain", model=v.model, version=v, by=user, settings=settings)
scored = lifecycle.deployment_create(project=project, name="scored", model=v.model, version=v, by=user, settings=settings)
detector = OutlierDetector.objects.create(deployment=scored, version=v)
assert detector_fit(detector_id=detector.pk) == "ready"
print(token_for(user=user))
"""


def main(argv: list[str]) -> int:
    from bench.bench_serving import export_models, sample_row
    from bench.serving_shipyard import ShipyardStack

    parser = argparse.ArgumentParser(prog="python -m bench outliers")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-outliers-") as tmp:
        work = Path(tmp)
        onnx = export_models(work, ["digits"])["digits"]
        stack = ShipyardStack(work / "shipyard", 1)
        try:
            stack.start()
            out = subprocess.run(
                [sys.executable, "-c", SETUP, str(onnx), str(work)],
                env=stack.env,
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            )
            auth = {"Authorization": f"Token {out.stdout.strip().splitlines()[-1]}"}
            body = json.dumps({"inputs": [sample_row()]}).encode()
            url = {name: f"{stack.url}/serve/bench/{name}/predict" for name in ("plain", "scored")}
            for u in url.values():
                stack.wait_ready(u, body, auth)
            check = subprocess.run(
                [
                    "curl",
                    "-s",
                    "-X",
                    "POST",
                    "-H",
                    f"Authorization: {auth['Authorization']}",
                    "-d",
                    body.decode(),
                    url["scored"],
                ],
                capture_output=True,
                text=True,
            ).stdout
            print(f"scored answer: {check[:200]}")
            if "outlier_score" not in check:
                print("the scored deployment's answer carries no outlier_score", file=sys.stderr)
                return 1
            totals = {"plain": 0.0, "scored": 0.0}
            for i in range(args.rounds):
                for name in ("plain", "scored"):
                    cell = wrk.measure(url[name], body, clients=64, seconds=args.seconds, headers=auth)
                    totals[name] += cell.rps
                    print(f"  round {i + 1} {name:<7} 64 clients: {cell.row()}", flush=True)
            ratio = totals["scored"] / totals["plain"] if totals["plain"] else 0.0
            print(f"throughput with the detector / without, 64 clients: {ratio:.1%} (bar: >= 80 %)")
            return 0
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            print(f"Shipyard did not run: {exc} {getattr(exc, 'stderr', '')[-2000:]}", file=sys.stderr)
            return 1
        finally:
            stack.close()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
