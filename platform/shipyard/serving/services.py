"""Writes for serving: deploy, canary, promote, rollback (atomic, audited), API keys, the quality
gate, the canary analysis, and draining the prediction log and counters into Postgres."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shipyard.accounts.roles import Role, role_at_least
from shipyard.core.errors import DomainConflict, DomainError
from shipyard.core.scoping import role_of
from shipyard.serving import protocol
from shipyard.serving.models import (
    LATENCY_EDGES_MS,
    ApiKey,
    Deployment,
    DeploymentEvent,
    EventKind,
    PredictionLog,
    PredictionRollup,
)

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = (
    "max_batch_size",
    "max_delay_ms",
    "request_timeout_ms",
    "validation_policy",
    "log_sample_rate",
    "quality_metric",
    "quality_threshold",
    "quality_tolerance",
    "quality_lower_is_better",
    "canary_interval_s",
    "canary_breach_intervals",
    "canary_window_intervals",
    "canary_max_error_rate_delta",
    "canary_max_p99_ratio",
    "canary_max_quality_drop",
    "canary_min_requests",
    "canary_auto_promote",
)


# -- the quality gate -------------------------------------------------------------------------
@dataclass
class GateResult:
    passed: bool
    configured: bool
    metric: str
    value: float | None
    live_value: float | None
    threshold: float | None
    source: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "configured": self.configured,
            "metric": self.metric,
            "value": self.value,
            "live_value": self.live_value,
            "threshold": self.threshold,
            "source": self.source,
            "message": self.message,
        }


def evaluation_metric(version: Any, metric: str) -> tuple[float | None, str]:
    """The version's ``metric`` from its latest passing Shipyard evaluation job when the jobs app has
    one, else from the metrics registered with the version. Returns (value, source)."""
    try:
        from django.apps import apps

        jobs_app = "jobs"
        job_model: Any = apps.get_model(jobs_app, "Job")
        job = (  # the latest succeeded evaluation (result: {"metrics": {...}, "passed": bool, ...})
            job_model.objects.filter(kind="evaluate", status="succeeded", model_version=version).order_by("-id").first()
        )
        if job is not None:
            result = getattr(job, "result", None) or {}
            if isinstance(result, dict) and result.get("passed") is False:
                return None, f"evaluation job {job.pk} did not pass"
            metrics = result.get("metrics", result) if isinstance(result, dict) else {}
            value = metrics.get(metric) if isinstance(metrics, dict) else None
            if isinstance(value, (int, float)):
                return float(value), f"evaluation job {job.pk}"
    except Exception as exc:  # the jobs app is optional for the gate; fall back to registered metrics
        logger.debug("no evaluation job lookup: %s", exc)
    value = (version.metrics or {}).get(metric)
    if isinstance(value, (int, float)):
        return float(value), "registered metrics"
    return None, "none"


def quality_gate(
    *, deployment: Deployment | None, version: Any, live: Any | None, settings: dict[str, Any] | None = None
) -> GateResult:
    cfg = settings or {
        "quality_metric": deployment.quality_metric if deployment else "accuracy",
        "quality_threshold": deployment.quality_threshold if deployment else None,
        "quality_tolerance": deployment.quality_tolerance if deployment else 0.01,
        "quality_lower_is_better": deployment.quality_lower_is_better if deployment else False,
    }
    metric = cfg["quality_metric"]
    threshold = cfg["quality_threshold"]
    lower = cfg["quality_lower_is_better"]
    value, source = evaluation_metric(version, metric)
    live_value = evaluation_metric(live, metric)[0] if live is not None and live.pk != version.pk else None
    if threshold is None:
        return GateResult(
            True, False, metric, value, live_value, None, source, "No quality threshold is set for this deployment."
        )
    if value is None:
        return GateResult(
            False,
            True,
            metric,
            None,
            live_value,
            threshold,
            source,
            f"Version {version.number} has no evaluation with '{metric}'.",
        )
    meets = value <= threshold if lower else value >= threshold
    if not meets:
        return GateResult(
            False,
            True,
            metric,
            value,
            live_value,
            threshold,
            source,
            f"{metric} {value:.4g} does not meet the threshold {threshold:.4g}.",
        )
    if live_value is not None:
        worse_by = (value - live_value) if lower else (live_value - value)
        if worse_by > cfg["quality_tolerance"]:
            return GateResult(
                False,
                True,
                metric,
                value,
                live_value,
                threshold,
                source,
                f"{metric} {value:.4g} is worse than the live version's {live_value:.4g} by more than {cfg['quality_tolerance']:.4g}.",
            )
    return GateResult(
        True, True, metric, value, live_value, threshold, source, f"{metric} {value:.4g} passes the gate."
    )


def _gate_or_override(
    *,
    deployment: Deployment | None,
    project: Any,
    version: Any,
    live: Any | None,
    by: Any,
    override: bool,
    reason: str,
    settings: dict[str, Any] | None = None,
) -> tuple[GateResult, bool]:
    gate = quality_gate(deployment=deployment, version=version, live=live, settings=settings)
    if gate.passed:
        return gate, False
    if not override:
        raise DomainConflict(f"Quality gate failed: {gate.message}", field="version", code="quality_gate")
    role = role_of(by, project.team)
    if role is None or not role_at_least(role, Role.ADMIN):
        raise DomainError("Only an admin may override the quality gate.", field="override", code="forbidden")
    if len(reason.strip()) < 10:
        raise DomainError(
            "Overriding the quality gate needs a written reason (at least 10 characters).", field="reason"
        )
    return gate, True


def _record_gate_evidence(*, deployment: Deployment, version: Any, gate: GateResult, by: Any) -> None:
    if not gate.configured or not gate.passed:
        return
    from shipyard.rubric.services import evidence_record

    evidence_record(
        project=deployment.project,
        test_id="infra-4",
        source="deployment",
        passed=True,
        title=f"Quality gate passed before serving {deployment.name} v{version.number} ({gate.message})",
        key=f"deployment:{deployment.pk}:gate",
        detail={"deployment": deployment.name, "version": version.number, **gate.as_dict()},
        by=by,
    )


# -- warm set ---------------------------------------------------------------------------------
def _warm_spec(version: Any) -> tuple[str, str]:
    spec = {"artifact_key": version.artifact_key, "format": version.format}
    if version.recipe:
        spec.update(recipe=version.recipe, recipe_config=version.recipe_config)
    return protocol.version_key(version.pk, version.artifact_sha256), json.dumps(spec)


def warm_publish(versions: list[Any]) -> None:
    """Tell every serving worker to load these versions (best effort: workers also load on demand)."""
    from shipyard.serving.gateway import ROUTES, serving_redis

    ROUTES.clear()
    mapping = dict(_warm_spec(v) for v in versions if v is not None)
    if not mapping:
        return
    try:
        serving_redis().hset(protocol.WARM, mapping=mapping)
    except Exception as exc:
        logger.warning("cannot publish serving warm set: %s", exc)


def warm_rebuild() -> int:
    """The warm set from the database: every live and canary version (after a Redis restart)."""
    versions: list[Any] = []
    for d in Deployment.objects.select_related("live_version", "canary_version"):
        versions.append(d.live_version)
        if d.canary_version_id:
            versions.append(d.canary_version)
    warm_publish(versions)
    return len(versions)


def _after_change(deployment: Deployment, *versions: Any) -> None:
    transaction.on_commit(lambda: warm_publish(list(versions)))


# -- deployment changes -----------------------------------------------------------------------
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
    if version.format not in {"onnx", "torchscript", "torch_export"} and not (
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
    gate, overridden = _gate_or_override(
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
    _record_gate_evidence(deployment=deployment, version=version, gate=gate, by=by)
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
    gate, overridden = _gate_or_override(
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
def deployment_canary(*, deployment: Deployment, version: Any, weight: int, by: Any, reason: str = "") -> Deployment:
    """Route ``weight`` percent of requests to ``version`` (a new canary, or a new weight for the current one)."""
    if not 0 <= weight <= 100:
        raise DomainError("Weight must be between 0 and 100.", field="weight")
    d = _locked(deployment)
    _check_version(d.model, version)
    if version.pk == d.live_version_id:
        raise DomainConflict(f"Version {version.number} is already live; canary another version.", field="version")
    old_version, old_weight = d.canary_version, d.canary_weight
    if d.canary_version_id != version.pk:
        d.canary_started_at = timezone.now()
        d.canary_breaches = d.canary_passes = 0
        kind = EventKind.CANARY
    else:
        kind = EventKind.WEIGHT
    d.canary_version, d.canary_weight = version, weight
    d.save()
    _event(
        d,
        kind,
        by,
        from_version=old_version,
        to_version=version,
        weight_from=old_weight,
        weight_to=weight,
        reason=reason,
    )
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
    gate, overridden = _gate_or_override(
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
    d = _locked(deployment)
    changed = {}
    for name, value in values.items():
        if name in SETTINGS_FIELDS and getattr(d, name) != value:
            changed[name] = [getattr(d, name), value]
            setattr(d, name, value)
    if changed:
        d.save()
        _event(d, EventKind.SETTINGS, by, reason=reason, detail={"changed": changed})
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


# -- canary analysis --------------------------------------------------------------------------
def canary_analyze(*, deployment_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Compare canary and live over the last interval; N breaching intervals roll the canary back,
    a whole passing window optionally promotes it. Safe to run twice (an interval is analysed once)."""
    from shipyard.serving.selectors import version_window_stats

    now = now or timezone.now()
    with transaction.atomic():
        d = Deployment.objects.select_for_update().select_related("project").filter(pk=deployment_id).first()
        if d is None or d.canary_version_id is None or d.canary_weight == 0:
            return {"status": "no_canary"}
        interval = dt.timedelta(seconds=d.canary_interval_s)
        if d.canary_analyzed_at and now - d.canary_analyzed_at < interval:
            return {"status": "not_due"}
        since = max(now - interval, d.canary_started_at or now - interval)
        canary = version_window_stats(deployment=d, version_id=d.canary_version_id, since=since)
        live = version_window_stats(deployment=d, version_id=d.live_version_id, since=since)
        d.canary_analyzed_at = now
        breaches: list[str] = []
        if canary["count"] < d.canary_min_requests:
            d.save(update_fields=["canary_analyzed_at"])
            return {"status": "insufficient_traffic", "canary": canary, "live": live}
        live_err = live["error_rate"] or 0.0
        if (canary["error_rate"] or 0.0) - live_err > d.canary_max_error_rate_delta:
            breaches.append(f"error rate {canary['error_rate']:.3f} vs live {live_err:.3f}")
        if (
            canary["p99_ms"] is not None
            and live["p99_ms"] is not None
            and canary["p99_ms"] > live["p99_ms"] * d.canary_max_p99_ratio
        ):
            breaches.append(f"p99 {canary['p99_ms']:.1f} ms vs live {live['p99_ms']:.1f} ms")
        quality = _feedback_quality(d, since)
        if quality is not None:
            cq, lq = quality.get(d.canary_version_id), quality.get(d.live_version_id)
            if cq is not None and lq is not None and lq - cq > d.canary_max_quality_drop:
                breaches.append(f"quality {cq:.3f} vs live {lq:.3f}")
        if breaches:
            d.canary_breaches += 1
            d.canary_passes = 0
        else:
            d.canary_passes += 1
            d.canary_breaches = 0
        d.save(update_fields=["canary_analyzed_at", "canary_breaches", "canary_passes"])
        breach_count, pass_count = d.canary_breaches, d.canary_passes
    result = {"status": "breach" if breaches else "pass", "breaches": breaches, "canary": canary, "live": live}
    if breaches and breach_count >= d.canary_breach_intervals:
        deployment_rollback(
            deployment=d,
            by=None,
            automatic=True,
            reason=f"Canary analysis: {breach_count} consecutive breaching intervals ({'; '.join(breaches)})",
            detail={"canary": canary, "live": live},
        )
        logger.warning("deployment %s: canary rolled back automatically: %s", d.pk, "; ".join(breaches))
        _notify(d, f"Canary of {d.name} rolled back automatically: {'; '.join(breaches)}")
        result["action"] = "rolled_back"
    elif not breaches and d.canary_auto_promote and pass_count >= d.canary_window_intervals:
        deployment_promote(deployment=d, by=None, reason=f"Canary analysis: passed {pass_count} consecutive intervals")
        result["action"] = "promoted"
    return result


def _feedback_quality(deployment: Deployment, since: dt.datetime) -> dict[int, float] | None:
    """Accuracy per version from user feedback, when the monitoring app provides a selector for it."""
    try:
        from shipyard.monitoring import selectors as monitoring_selectors  # type: ignore[attr-defined]

        fn = getattr(monitoring_selectors, "feedback_accuracy_by_version", None)
        if fn is None:
            return None
        return fn(deployment=deployment, since=since)  # type: ignore[no-any-return]
    except Exception:
        return None


def _notify(deployment: Deployment, message: str) -> None:
    """Notification hook: an audit event already records it; send to the notifications app when present."""
    try:
        from shipyard.monitoring import services as monitoring_services  # type: ignore[attr-defined]

        fn = getattr(monitoring_services, "notify", None)
        if fn is not None:
            fn(project=deployment.project, title=message, source="deployment", deployment=deployment)
    except Exception:
        logger.info("no notification channel for: %s", message)


# -- draining counters and the prediction log -------------------------------------------------
def drain_stats(redis_client: Any) -> int:
    """Fold the per-minute counters the web processes pushed to Redis into PredictionRollup."""
    current_minute = int(timezone.now().timestamp() // 60)
    folded = 0
    for raw in redis_client.smembers(protocol.STATS_KEYS):
        key = raw.decode() if isinstance(raw, bytes) else raw
        try:
            _, _, _, dep, ver, minute = key.split(":")
            dep_id, ver_id, minute_n = int(dep), int(ver), int(minute)
        except ValueError:
            redis_client.srem(protocol.STATS_KEYS, key)
            continue
        pipe = redis_client.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.delete(key)
        if minute_n < current_minute - 1:
            pipe.srem(protocol.STATS_KEYS, key)
        values, _, *_ = pipe.execute()
        if not values:
            if minute_n < current_minute - 1:
                continue
            continue
        fields = {k.decode(): v.decode() for k, v in values.items()}
        _rollup_add(dep_id, ver_id, dt.datetime.fromtimestamp(minute_n * 60, tz=dt.UTC), 60, fields)
        folded += 1
    return folded


def _rollup_add(dep_id: int, ver_id: int, start: dt.datetime, seconds: int, f: dict[str, str]) -> None:
    hist_len = len(LATENCY_EDGES_MS) + 1
    hist = [int(f.get(f"h{i}", 0)) for i in range(hist_len)]
    with transaction.atomic():
        if not Deployment.objects.filter(pk=dep_id).exists():
            return
        row, _ = PredictionRollup.objects.select_for_update().get_or_create(
            deployment_id=dep_id,
            version_id=ver_id,
            bucket_start=start,
            bucket_seconds=seconds,
            defaults={"latency_hist": [0] * hist_len},
        )
        row.count += int(f.get("count", 0))
        row.errors += int(f.get("errors", 0))
        row.timeouts += int(f.get("timeouts", 0))
        row.violations += int(f.get("violations", 0))
        row.latency_ms_sum += float(f.get("lat_sum", 0.0))
        row.confidence_sum += float(f.get("conf_sum", 0.0))
        row.confidence_count += int(f.get("conf_n", 0))
        old = row.latency_hist or []
        row.latency_hist = [(old[i] if i < len(old) else 0) + hist[i] for i in range(hist_len)]
        row.save()


def drain_prediction_log(redis_client: Any, batch: int = 5000, max_batches: int = 20) -> int:
    """Move buffered prediction-log records from Redis into the partitioned table, in bulk."""
    written = 0
    for _ in range(max_batches):
        raw = redis_client.lpop(protocol.PLOG, batch)
        if not raw:
            break
        objs = []
        for item in raw:
            try:
                r = json.loads(item)
                objs.append(
                    PredictionLog(
                        created_at=dt.datetime.fromtimestamp(float(r["t"]), tz=dt.UTC),
                        deployment_id=int(r["d"]),
                        version_id=int(r["v"]),
                        request_id=str(r["id"])[:40],
                        inputs=r["x"],
                        outputs=r["y"],
                        confidence=r.get("c"),
                        latency_ms=float(r.get("ms", 0.0)),
                        status="ok",
                        violations=r.get("vi") or [],
                        routing_key=str(r.get("k") or "")[:200],
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue
        PredictionLog.objects.bulk_create(objs, batch_size=1000)
        written += len(objs)
        if len(raw) < batch:
            break
    return written


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def prediction_log_partitions_ensure(months_ahead: int = 2) -> list[str]:
    """Create the monthly partitions of serving_predictionlog from this month to ``months_ahead`` ahead.

    (Rows that already landed in the DEFAULT partition for such a month are moved into it.)
    """
    created = []
    start = _month_start(timezone.now().date())
    with connection.cursor() as cur:
        for _ in range(months_ahead + 1):
            end = _next_month(start)
            name = f"serving_predictionlog_{start:%Y%m}"
            cur.execute("SELECT to_regclass(%s)", [name])
            if cur.fetchone()[0] is None:
                with transaction.atomic():
                    # rows of that month that landed in DEFAULT must move before the partition exists
                    cur.execute(
                        "CREATE TEMP TABLE _plog_move AS SELECT * FROM serving_predictionlog_default "
                        "WHERE created_at >= %s AND created_at < %s",
                        [start, end],
                    )
                    cur.execute(
                        "DELETE FROM serving_predictionlog_default WHERE created_at >= %s AND created_at < %s",
                        [start, end],
                    )
                    cur.execute(
                        f'CREATE TABLE "{name}" PARTITION OF serving_predictionlog FOR VALUES FROM (%s) TO (%s)',
                        [start.isoformat(), end.isoformat()],
                    )
                    cur.execute("INSERT INTO serving_predictionlog SELECT * FROM _plog_move")
                    cur.execute("DROP TABLE _plog_move")
                created.append(name)
            start = end
    return created


def rollups_compact(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Fold minute rollups older than ``older_than`` into hour rows (months stay cheap to read)."""
    cutoff = (timezone.now() - older_than).replace(minute=0, second=0, microsecond=0)
    folded = 0
    minute_rows = PredictionRollup.objects.filter(bucket_seconds=60, bucket_start__lt=cutoff).order_by("id")[:20000]
    groups: dict[tuple[int, int, dt.datetime], list[PredictionRollup]] = {}
    for row in minute_rows:
        groups.setdefault((row.deployment_id, row.version_id, row.bucket_start.replace(minute=0)), []).append(row)
    for (dep, ver, hour), rows in groups.items():
        fields: dict[str, Any] = {
            "count": 0,
            "errors": 0,
            "timeouts": 0,
            "violations": 0,
            "lat_sum": 0.0,
            "conf_sum": 0.0,
            "conf_n": 0,
        }
        for r in rows:
            fields["count"] += r.count
            fields["errors"] += r.errors
            fields["timeouts"] += r.timeouts
            fields["violations"] += r.violations
            fields["lat_sum"] += r.latency_ms_sum
            fields["conf_sum"] += r.confidence_sum
            fields["conf_n"] += r.confidence_count
            for i, n in enumerate(r.latency_hist or []):
                fields[f"h{i}"] = fields.get(f"h{i}", 0) + n
        with transaction.atomic():
            _rollup_add(dep, ver, hour, 3600, {k: str(v) for k, v in fields.items()})
            PredictionRollup.objects.filter(pk__in=[r.pk for r in rows]).delete()
        folded += len(rows)
    return folded
