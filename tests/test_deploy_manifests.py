"""The deployment files, validated by parsing (no Docker or Kubernetes runs here): every
Kustomize resource exists and parses, every autoscaler targets a Deployment that exists, the
worker commands consume the Celery queues the platform defines, the queue-depth autoscaler's
queries name metrics the platform exports, and the compose services run the same commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from shipyard.core.metrics import REGISTRY

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
K8S = DEPLOY / "k8s"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomize(directory: Path) -> list[dict[str, Any]]:
    """The documents a kustomization lists (recursively through directories), patches not applied."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    out: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        path = (directory / resource).resolve()
        assert path.exists(), f"{directory}/kustomization.yaml lists {resource}, which does not exist"
        out += _kustomize(path) if path.is_dir() else _docs(path)
    return out


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def _queues_of(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(",")) if "-Q" in command else set()


def test_every_k8s_file_is_listed_and_parses() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk == listed, "a manifest is not in deploy/k8s/kustomization.yaml (or a listed one is missing)"
    for doc in _kustomize(K8S):
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc


def test_celery_workers_consume_every_queue_the_platform_defines() -> None:
    deployments = _by_kind(_kustomize(K8S), "Deployment")
    consumed: set[str] = set()
    for dep in deployments.values():
        for container in dep["spec"]["template"]["spec"]["containers"]:
            command = container.get("command") or []
            if command[:1] == ["celery"] and "worker" in command:
                consumed |= _queues_of(command)
    assert consumed == set(settings.CELERY_QUEUES)
    compose = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())
    compose_queues: set[str] = set()
    for service in compose["services"].values():
        command = service.get("command") or []
        if isinstance(command, list) and command[:1] == ["celery"] and "worker" in command:
            compose_queues |= _queues_of(command)
    assert compose_queues == set(settings.CELERY_QUEUES)


def test_hpas_target_existing_deployments() -> None:
    docs = _kustomize(K8S)
    deployments = _by_kind(docs, "Deployment")
    for hpa in _by_kind(docs, "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments


def _exported_metric_names() -> set[str]:
    return {sample.name for metric in REGISTRY.collect() for sample in metric.samples} | {
        metric.name for metric in REGISTRY.collect()
    }


def test_keda_overlay_scales_workers_on_metrics_the_platform_exports() -> None:
    overlay = K8S / "keda"
    docs = _kustomize(overlay)
    deployments = _by_kind(docs, "Deployment")
    scaled = _by_kind(docs, "ScaledObject")
    targets = {s["spec"]["scaleTargetRef"]["name"] for s in scaled.values()}
    assert targets == {"shipyard-worker-cpu", "shipyard-worker-gpu", "shipyard-serving"}
    assert targets <= set(deployments)
    exported = _exported_metric_names()
    for obj in scaled.values():
        for trigger in obj["spec"]["triggers"]:
            assert trigger["type"] == "prometheus"
            names = set(re.findall(r"\b(shipyard_[a-z_]+)\b", trigger["metadata"]["query"]))
            assert names and names <= exported, (obj["metadata"]["name"], names - exported)
            assert float(trigger["metadata"]["threshold"]) > 0
            # the queue label values the query names are real queues
            for queue in re.findall(r'queue=~?"([^"]+)"', trigger["metadata"]["query"]):
                assert set(queue.split("|")) <= set(settings.CELERY_QUEUES), queue
    # KEDA makes its own HPA: the overlay deletes the base's CPU HPA on the same Deployment
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    deleted = {
        yaml.safe_load(p["patch"])["metadata"]["name"]
        for p in kustomization.get("patches", [])
        if "$patch: delete" in p["patch"]
    }
    base_hpas = {
        h["spec"]["scaleTargetRef"]["name"]: name for name, h in _by_kind(docs, "HorizontalPodAutoscaler").items()
    }
    for target in targets & set(base_hpas):
        assert base_hpas[target] in deleted, f"{target} would have two HPAs"


@pytest.mark.parametrize("path", sorted(p.relative_to(DEPLOY).as_posix() for p in DEPLOY.rglob("*.yaml")))
def test_every_yaml_under_deploy_parses(path: str) -> None:
    assert _docs(DEPLOY / path)


def test_the_image_builds_the_litert_converter_environment() -> None:
    """The worker image builds the isolated LiteRT converter environment from the same pinned file as
    `make litert`, with --no-deps (the exact pins, nothing resolved) and points LITERT_PYTHON at it."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = re.search(r"^COPY workers/litert-requirements\.txt (\S+)$", dockerfile, re.M)
    assert copied is not None
    assert f"/opt/litert/bin/python -m pip install --no-deps -r {copied.group(1)}" in dockerfile
    assert "/opt/litert/bin/python -m pip check" in dockerfile
    assert re.search(r"^ENV LITERT_PYTHON=/opt/litert/bin/python$", dockerfile, re.M)
    pins = (DEPLOY.parent / "workers" / "litert-requirements.txt").read_text().splitlines()
    pinned = [line for line in pins if line and not line.startswith("#")]
    assert pinned and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.]+", line) for line in pinned)
    makefile = (DEPLOY.parent / "Makefile").read_text()
    assert re.search(r"^install: .*\$\(LITERT_STAMP\)", makefile, re.M)
    assert "$(LITERT_STAMP): workers/litert-requirements.txt" in makefile
