"""Deployment changes: create, deploy, canary, promote, rollback, settings and API keys (atomic,
audited), and the serving workers' warm set."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

import redis
from django.db import transaction
from django.utils import timezone

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.serving import protocol
from shipyard.serving.gate import (
    GATE_FIELDS,
    SETTINGS_FIELDS,
    GateResult,
    canary_gate_weight,
    gate_evidence_record,
    gate_or_override,
    require_admin,
    require_reason,
)
from shipyard.serving.lead_time import lead_time_evidence
from shipyard.serving.models import (
    ApiKey,
    Deployment,
    DeploymentEvent,
    EventKind,
)
from shipyard.serving.publish import route_publish, routes_rebuild
from shipyard.serving.signals import deployment_changed
from shipyard.serving.tuned import served_tuned_evidence

logger = logging.getLogger(__name__)


# -- warm set ---------------------------------------------------------------------------------
def _warm_spec(version: Any) -> tuple[str, str]:
    spec = {"artifact_key": version.artifact_key, "format": version.format}
    if version.recipe:
        spec.update(recipe=version.recipe, recipe_config=version.recipe_config)
    return protocol.version_key(version.pk, version.artifact_sha256), json.dumps(spec)


def warm_publish(versions: list[Any]) -> None:
    """Tell every serving worker to load these versions (best effort: workers also load on demand)."""
    from shipyard.serving.dataplane import ROUTES, serving_redis

    ROUTES.clear()
    from shipyard.registry.models import ModelVersion

    plain = [v for v in versions if v is not None and v.format != "ensemble"]
    member_ids = [m for v in versions if v is not None and v.format == "ensemble" for m in _members(v)]
    plain += list(ModelVersion.objects.filter(pk__in=member_ids))  # an ensemble warms its members
    mapping = dict(_warm_spec(v) for v in plain)
    if not mapping:
        return
    try:
        serving_redis().hset(protocol.WARM, mapping=mapping)
    except Exception as exc:
        logger.warning("cannot publish serving warm set: %s", exc)


def _members(version: Any) -> list[int]:
    return [int(m) for m in ((version.params or {}).get("ensemble") or {}).get("members") or []]


def warm_rebuild() -> int:
    """The warm set and every deployment's route from the database (at start-up, hourly, and
    after a Redis restart)."""
    versions: list[Any] = []
    for d in Deployment.objects.select_related("live_version", "canary_version").prefetch_related(
        "bandit_arms__version"
    ):
        versions.append(d.live_version)
        if d.canary_version_id:
            versions.append(d.canary_version)
        versions.extend(a.version for a in d.bandit_arms.all())
    warm_publish(versions)
    try:
        routes_rebuild()
    except redis.RedisError as exc:
        logger.warning("cannot publish the deployments' routes: %s", exc)
    return len(versions)


def _after_change(deployment: Deployment, *versions: Any) -> None:
    """Once the change commits: warm the versions and publish the deployment's route to the gateways.
    The project's feature lead time (rubric data-6) is observed again: a deployment may first use a feature;
    a version registered by a tune job is evidence for model-3."""
    deployment_id = deployment.pk
    lead_time_evidence(deployment.project)
    for version in versions:
        served_tuned_evidence(deployment, version)

    def publish() -> None:
        warm_publish(list(versions))
        route_publish(deployment_id=deployment_id)

    transaction.on_commit(publish)


def _event(
    deployment: Deployment,
    kind: str,
    by: Any,
    *,
    from_version: Any = None,
    to_version: Any = None,
    weight_from: int | None = None,
    weight_to: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> DeploymentEvent:
    deployment_id, version_id = deployment.pk, getattr(to_version, "pk", None)
    transaction.on_commit(
        lambda: deployment_changed.send(
            sender=Deployment, deployment_id=deployment_id, kind=str(kind), version_id=version_id
        )
    )
    return DeploymentEvent.objects.create(
        deployment=deployment,
        kind=kind,
        actor=by if getattr(by, "is_authenticated", False) else None,
        from_version=from_version,
        to_version=to_version,
        weight_from=weight_from,
        weight_to=weight_to,
        reason=reason[:2000],
        detail=detail or {},
    )


def _check_version(deployment_model: Any, version: Any) -> None:
    if version.model_id != deployment_model.pk:
        raise DomainError(f"Version {version.number} belongs to another model.", field="version")
    if version.format not in {"onnx", "torchscript", "torch_export", "ensemble"} and not (
        version.recipe and version.format in {"state_dict", "safetensors"}
    ):
        raise DomainError(
            f"Version {version.number} is a {version.format} artifact without a recipe; export it to ONNX to serve it.",
            field="version",
        )


@transaction.atomic
def deployment_create(
    *,
    project: Any,
    name: str,
    model: Any,
    version: Any,
    by: Any,
    reason: str = "",
    override_gate: bool = False,
    settings: dict[str, Any] | None = None,
) -> Deployment:
    if model.project_id != project.pk:
        raise DomainError("The model belongs to another project.", field="model")
    _check_version(model, version)
    if Deployment.objects.filter(project=project, name=name).exists():
        raise DomainConflict(f"A deployment named '{name}' already exists.", field="name")
    values = {k: v for k, v in (settings or {}).items() if k in SETTINGS_FIELDS}
    gate_cfg = {
        "quality_metric": values.get("quality_metric", "accuracy"),
        "quality_threshold": values.get("quality_threshold"),
        "quality_tolerance": values.get("quality_tolerance", 0.01),
        "quality_lower_is_better": values.get("quality_lower_is_better", False),
    }
    gate, overridden = gate_or_override(
        deployment=None,
        project=project,
        version=version,
        live=None,
        by=by,
        override=override_gate,
        reason=reason,
        settings=gate_cfg,
    )
    deployment = Deployment.objects.create(
        project=project, name=name, model=model, live_version=version, created_by=by, **values
    )
    _gated_change(deployment, EventKind.CREATE, by, version=version, gate=gate, overridden=overridden, reason=reason)
    return deployment


def _gated_change(
    deployment: Deployment,
    kind: str,
    by: Any,
    *,
    version: Any,
    gate: Any,
    overridden: bool,
    reason: str,
    **event_fields: Any,
) -> None:
    """A version went live through the quality gate: its event, the override (if any), the gate's
    rubric evidence, and the routing refresh."""
    detail = {"gate": gate.as_dict()}
    _event(deployment, kind, by, to_version=version, reason=reason, detail=detail, **event_fields)
    if overridden:
        _event(deployment, EventKind.GATE_OVERRIDE, by, to_version=version, reason=reason, detail=detail)
    gate_evidence_record(deployment=deployment, version=version, gate=gate, by=by)
    _after_change(deployment, version)


def _locked(deployment: Deployment) -> Deployment:
    return Deployment.objects.select_for_update().select_related("project", "model").get(pk=deployment.pk)


@transaction.atomic
def deployment_deploy(
    *, deployment: Deployment, version: Any, by: Any, reason: str = "", override_gate: bool = False
) -> Deployment:
    """Make ``version`` live at once (the previous live version is kept for rollback)."""
    d = _locked(deployment)
    _check_version(d.model, version)
    if version.pk == d.live_version_id:
        raise DomainConflict(f"Version {version.number} is already live.", field="version")
    gate, overridden = gate_or_override(
        deployment=d,
        project=d.project,
        version=version,
        live=d.live_version,
        by=by,
        override=override_gate,
        reason=reason,
    )
    previous = d.live_version
    d.live_history = [*d.live_history, previous.pk][-50:]
    d.live_version = version
    if d.canary_version_id == version.pk:
        d.canary_version, d.canary_weight = None, 0
    d.save()
    _gated_change(
        d, EventKind.DEPLOY, by, version=version, gate=gate, overridden=overridden, reason=reason, from_version=previous
    )
    return d


@transaction.atomic
def deployment_canary(
    *, deployment: Deployment, version: Any, weight: int, by: Any, reason: str = "", override_gate: bool = False
) -> Deployment:
    """Route ``weight`` percent of requests to ``version`` (a new canary, or a new weight for the current one).

    Above ``SERVING_CANARY_GATE_WEIGHT`` percent the canary serves most of the traffic, so the version
    must pass the quality gate as a promote would (or an admin overrides it with a written reason)."""
    if not 0 <= weight <= 100:
        raise DomainError("Weight must be between 0 and 100.", field="weight")
    d = _locked(deployment)
    _check_version(d.model, version)
    if version.pk == d.live_version_id:
        raise DomainConflict(f"Version {version.number} is already live; canary another version.", field="version")
    if d.bandit_policy and weight > 0:
        raise DomainConflict("A bandit routes this deployment; stop it before starting a canary.", field="bandit")
    gate: GateResult | None = None
    overridden = False
    if weight > canary_gate_weight():
        gate, overridden = gate_or_override(
            deployment=d,
            project=d.project,
            version=version,
            live=d.live_version,
            by=by,
            override=override_gate,
            reason=reason,
        )
    old_version, old_weight = d.canary_version, d.canary_weight
    if d.canary_version_id != version.pk:
        d.canary_started_at = timezone.now()
        d.canary_breaches = d.canary_passes = 0
        kind = EventKind.CANARY
    else:
        kind = EventKind.WEIGHT
    d.canary_version, d.canary_weight = version, weight
    d.save()
    detail = {"gate": gate.as_dict()} if gate is not None else None
    _event(
        d,
        kind,
        by,
        from_version=old_version,
        to_version=version,
        weight_from=old_weight,
        weight_to=weight,
        reason=reason,
        detail=detail,
    )
    if overridden:
        _event(d, EventKind.GATE_OVERRIDE, by, to_version=version, weight_to=weight, reason=reason, detail=detail)
    if gate is not None:
        gate_evidence_record(deployment=d, version=version, gate=gate, by=by)
    if kind == EventKind.CANARY and weight > 0:
        from shipyard.rubric.services import evidence_record

        evidence_record(
            project=d.project,
            test_id="infra-6",
            source="deployment",
            passed=True,
            title=f"Version {version.number} canaried at {weight}% on {d.name} before full rollout",
            key=f"deployment:{d.pk}:canary",
            detail={"deployment": d.name, "version": version.number, "weight": weight},
            by=by,
        )
    _after_change(d, version)
    return d


@transaction.atomic
def deployment_promote(*, deployment: Deployment, by: Any, reason: str = "", override_gate: bool = False) -> Deployment:
    """Make the canary the live version (100 % of traffic)."""
    d = _locked(deployment)
    if d.canary_version_id is None:
        raise DomainConflict("There is no canary to promote.", field="canary")
    canary: Any = d.canary_version
    gate, overridden = gate_or_override(
        deployment=d,
        project=d.project,
        version=canary,
        live=d.live_version,
        by=by,
        override=override_gate,
        reason=reason,
    )
    previous = d.live_version
    old_weight = d.canary_weight
    d.live_history = [*d.live_history, previous.pk][-50:]
    d.live_version, d.canary_version, d.canary_weight = canary, None, 0
    d.canary_breaches = d.canary_passes = 0
    d.save()
    _gated_change(
        d,
        EventKind.PROMOTE,
        by,
        version=canary,
        gate=gate,
        overridden=overridden,
        reason=reason,
        from_version=previous,
        weight_from=old_weight,
        weight_to=100,
    )
    return d


@transaction.atomic
def deployment_rollback(
    *, deployment: Deployment, by: Any, reason: str = "", automatic: bool = False, detail: dict[str, Any] | None = None
) -> Deployment:
    """One-click rollback: with a canary taking traffic, send all traffic back to the live version
    (weight 0); otherwise make the previous live version live again."""
    d = _locked(deployment)
    kind = EventKind.AUTO_ROLLBACK if automatic else EventKind.ROLLBACK
    target: Any = None
    if d.canary_version_id is not None and d.canary_weight > 0:
        canary, weight = d.canary_version, d.canary_weight
        d.canary_weight = 0
        d.canary_breaches = d.canary_passes = 0
        d.save()
        _event(
            d,
            kind,
            by,
            from_version=canary,
            to_version=d.live_version,
            weight_from=weight,
            weight_to=0,
            reason=reason,
            detail={"scope": "canary", **(detail or {})},
        )
        target = d.live_version
    else:
        if automatic:
            raise DomainConflict("There is no canary taking traffic to roll back.", field="canary")
        if not d.live_history:
            raise DomainConflict("There is no previous live version to roll back to.", field="version")
        from shipyard.registry.models import ModelVersion

        history = list(d.live_history)
        while history and target is None:
            target = ModelVersion.objects.filter(pk=history.pop(), model=d.model).first()
        if target is None:
            raise DomainConflict("The previous live versions no longer exist.", field="version")
        current = d.live_version
        d.live_history = history
        d.live_version = target
        if d.canary_version_id == target.pk:
            d.canary_version, d.canary_weight = None, 0
        d.save()
        _event(
            d,
            kind,
            by,
            from_version=current,
            to_version=target,
            reason=reason,
            detail={"scope": "live", **(detail or {})},
        )
    from shipyard.rubric.services import evidence_record

    evidence_record(
        project=d.project,
        test_id="infra-7",
        source="deployment",
        passed=True,
        title=f"{'Automatic r' if automatic else 'R'}ollback of {d.name} to v{target.number} exercised",
        key=f"deployment:{d.pk}:rollback",
        detail={"deployment": d.name, "to_version": target.number, "automatic": automatic},
        by=by if getattr(by, "is_authenticated", False) else None,
    )
    _after_change(d, target)
    return d


@transaction.atomic
def deployment_update(*, deployment: Deployment, values: dict[str, Any], by: Any, reason: str = "") -> Deployment:
    """Change a deployment's settings. Changing a setting of the quality gate (``GATE_FIELDS``) is an
    admin's decision with a written reason, like overriding the gate; the event keeps who, why, and the
    old and new gate."""
    d = _locked(deployment)
    changed = {
        name: [getattr(d, name), value]
        for name, value in values.items()
        if name in SETTINGS_FIELDS and getattr(d, name) != value
    }
    gate_changed = [name for name in changed if name in GATE_FIELDS]
    detail: dict[str, Any] = {"changed": changed}
    if gate_changed:
        require_admin(
            by=by,
            project=d.project,
            field=gate_changed[0],
            message=f"Only an admin may change the quality gate settings ({', '.join(gate_changed)}).",
        )
        require_reason(reason, action="Changing the quality gate settings")
        detail["gate"] = {
            "by": getattr(by, "username", None),
            "reason": reason,
            "old": {name: getattr(d, name) for name in GATE_FIELDS},
            "new": {name: changed[name][1] if name in changed else getattr(d, name) for name in GATE_FIELDS},
        }
    if changed:
        for name, (_, value) in changed.items():
            setattr(d, name, value)
        d.save()
        _event(d, EventKind.SETTINGS, by, reason=reason, detail=detail)
        _after_change(d)
    return d


@transaction.atomic
def api_key_create(*, deployment: Deployment, name: str, by: Any) -> tuple[ApiKey, str]:
    """A new key; the plain value is returned once and only its hash is stored."""
    raw = "sk_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        deployment=deployment,
        name=name,
        prefix=raw[:10],
        key_hash=hashlib.sha256(raw.encode()).hexdigest(),
        created_by=by,
    )
    _event(deployment, EventKind.API_KEY, by, reason=f"created key {key.prefix}… ({name})")
    _after_change(deployment)
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by: Any) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        _event(key.deployment, EventKind.API_KEY, by, reason=f"revoked key {key.prefix}… ({key.name})")
        _after_change(key.deployment)
    return key
