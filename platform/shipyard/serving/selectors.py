"""Reads for serving. Every lookup by the API is scoped to the caller's teams (another team's is a 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound

from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import restrict
from shipyard.projects.models import Project
from shipyard.serving import protocol
from shipyard.serving.bandit import BanditConfig
from shipyard.serving.models import LATENCY_EDGES_MS, Deployment, DeploymentEvent, PredictionRollup
from shipyard.serving.routing import DeploymentRoute, VersionRoute
from shipyard.serving.validation import build_schema


def deployments_of(project: Project) -> QuerySet[Deployment]:
    return Deployment.objects.filter(project=project).select_related(
        "model", "live_version", "canary_version", "project"
    )


def deployments_for(*, user: Any, team: str = "") -> QuerySet[Deployment]:
    """Every deployment of the caller's teams (optionally one team's, by slug), by project then name."""
    queryset = restrict(Deployment.objects.all(), user, team_path="project__team")
    if team:
        queryset = queryset.filter(project__team__slug=team)
    return queryset.select_related("model", "live_version", "canary_version", "project").order_by(
        "project__slug", "name"
    )


def deployment_get(*, project: Project, name: str) -> Deployment:
    deployment = deployments_of(project).filter(name=name).first()
    if deployment is None:
        raise NotFound(f"No deployment '{name}' in project '{project.slug}'.")
    return deployment


def deployment_for(
    *, user: Any, project: str, name: str, minimum: Role = Role.VIEWER, action: str = "change deployments"
) -> Deployment:
    """The control plane's one way to a deployment: a project of the caller's teams (404 for another
    team's), the role ``minimum`` in it (403), then the deployment by name (404)."""
    from shipyard.projects.selectors import project_get

    return deployment_get(project=project_get(user=user, ref=project, minimum=minimum, action=action), name=name)


def events_of(deployment: Deployment) -> QuerySet[DeploymentEvent]:
    return deployment.events.select_related("actor", "from_version", "to_version")


def version_route(version: Any) -> VersionRoute:
    """What the data plane knows of one version: its artifact, format, input schema and signature."""
    return _version_route(version)


def _version_route(version: Any) -> VersionRoute:
    dataset_schema = version.training_dataset.schema if version.training_dataset_id else None
    label = version.training_dataset.label_column if version.training_dataset_id else ""
    ensemble = ((version.params or {}).get("ensemble") or {}) if version.format == "ensemble" else {}
    members: tuple[VersionRoute, ...] = ()
    if ensemble:
        from shipyard.registry.models import ModelVersion

        found = ModelVersion.objects.select_related("training_dataset").in_bulk(ensemble.get("members") or [])
        members = tuple(_version_route(found[int(m)]) for m in ensemble.get("members") or [] if int(m) in found)
    return VersionRoute(
        version_id=version.pk,
        number=version.number,
        version_key=protocol.version_key(version.pk, version.artifact_sha256),
        artifact_key=version.artifact_key,
        format=version.format,
        schema=build_schema(version.signature, dataset_schema, label),
        signature=dict(version.signature or {}),
        combine=str(ensemble.get("combine") or ""),
        weights=tuple(float(w) for w in ensemble.get("weights") or ()),
        members=members,
    )


def deployments_routed() -> QuerySet[Deployment]:
    return Deployment.objects.select_related(
        "project",
        "live_version__training_dataset",
        "canary_version__training_dataset",
        "shadow_version__training_dataset",
    ).prefetch_related("bandit_arms__version__training_dataset", "outlier_detectors")


def bandit_config(deployment: Deployment) -> BanditConfig | None:
    """The deployment's bandit as the data plane sees it; None without one."""
    arms = [a.version_id for a in deployment.bandit_arms.all()]
    if not deployment.bandit_policy or len(arms) < 2 or deployment.bandit_started_at is None:
        return None
    return BanditConfig(
        policy=deployment.bandit_policy,
        epsilon=deployment.bandit_epsilon,
        min_share=deployment.bandit_min_share,
        epoch=bandit_epoch(deployment),
        arms=tuple(arms),
    )


def bandit_epoch(deployment: Deployment) -> int:
    """The bandit's epoch: its start in milliseconds (0 without one)."""
    started = deployment.bandit_started_at
    return int(started.timestamp() * 1000) if started is not None else 0


def deployment_route(*, project: str, name: str) -> DeploymentRoute | None:
    """Everything the predict path needs, in two queries; None when there is no such deployment."""
    deployment = deployments_routed().filter(project__slug=project, name=name).first()
    return None if deployment is None else route_of(deployment)


def deployment_routes() -> list[tuple[str, DeploymentRoute]]:
    """(project slug, route) of every deployment (the gateway's full rebuild)."""
    return [(d.project.slug, route_of(d)) for d in deployments_routed().prefetch_related("api_keys")]


def route_of(deployment: Deployment) -> DeploymentRoute:
    """A deployment's routing config (its unrevoked API keys' hashes included)."""
    keys = frozenset(k.key_hash for k in deployment.api_keys.all() if k.revoked_at is None)
    canary = deployment.canary_version if deployment.canary_version_id and deployment.canary_weight > 0 else None
    bandit = bandit_config(deployment)
    shadow_on = deployment.shadow_version_id is not None and deployment.shadow_share > 0
    return DeploymentRoute(
        deployment_id=deployment.pk,
        project_id=deployment.project_id,
        team_id=deployment.project.team_id,
        name=deployment.name,
        live=_version_route(deployment.live_version),
        canary=_version_route(canary) if canary is not None else None,
        weight=deployment.canary_weight if canary is not None else 0,
        max_batch=deployment.max_batch_size,
        max_delay_ms=deployment.max_delay_ms,
        timeout_s=deployment.request_timeout_ms / 1000.0,
        reject_invalid=deployment.validation_policy == "reject",
        sample_rate=deployment.log_sample_rate,
        key_hashes=keys,
        bandit=bandit,
        arms=tuple(_version_route(a.version) for a in deployment.bandit_arms.all()) if bandit else (),
        shadow=_version_route(deployment.shadow_version) if shadow_on else None,
        shadow_share=deployment.shadow_share if shadow_on else 0.0,
        detectors=tuple(
            (od.version_id, od.artifact_key, float(od.threshold))
            for od in deployment.outlier_detectors.all()
            if od.state == "ready" and od.artifact_key and od.threshold is not None
        ),
    )


def percentile_from_hist(hist: list[int], q: float) -> float | None:
    """The upper edge of the histogram bucket holding quantile ``q`` (ms); None without data."""
    total = sum(hist)
    if total == 0:
        return None
    target = q * total
    seen = 0
    for index, n in enumerate(hist):
        seen += n
        if seen >= target:
            return float(LATENCY_EDGES_MS[index]) if index < len(LATENCY_EDGES_MS) else float(LATENCY_EDGES_MS[-1]) * 2
    return float(LATENCY_EDGES_MS[-1]) * 2


def _merge_hist(a: list[int], b: list[int]) -> list[int]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(n)]


def version_window_stats(
    *, deployment: Deployment, version_id: int, since: dt.datetime, until: dt.datetime | None = None
) -> dict[str, Any]:
    """Counts, error rate, p50/p99 for one version over a window of minute rollups."""
    rows = PredictionRollup.objects.filter(
        deployment=deployment,
        version_id=version_id,
        bucket_seconds=60,
        bucket_start__gt=since - dt.timedelta(seconds=60),  # minute buckets overlapping the window
    )
    if until is not None:
        rows = rows.filter(bucket_start__lt=until)
    count = errors = 0
    hist: list[int] = []
    conf_sum = 0.0
    conf_n = 0
    for row in rows:
        count += row.count
        errors += row.errors
        hist = _merge_hist(hist, row.latency_hist)
        conf_sum += row.confidence_sum
        conf_n += row.confidence_count
    return {
        "count": count,
        "errors": errors,
        "error_rate": (errors / count) if count else None,
        "p50_ms": percentile_from_hist(hist, 0.5),
        "p99_ms": percentile_from_hist(hist, 0.99),
        "mean_confidence": (conf_sum / conf_n) if conf_n else None,
    }


def deployment_timeseries(*, deployment: Deployment, minutes: int = 60) -> dict[str, Any]:
    """Per version and minute: requests/s, error rate, p50 and p99 latency (for the deployment page)."""
    minutes = max(1, min(minutes, 7 * 24 * 60))
    since = timezone.now() - dt.timedelta(minutes=minutes)
    bucket_seconds = 60 if minutes <= 48 * 60 else 3600
    rows = (
        PredictionRollup.objects.filter(deployment=deployment, bucket_start__gte=since)
        .select_related("version")
        .order_by("bucket_start")
    )
    points: dict[str, dict[int, dict[str, Any]]] = {}
    for row in rows:
        step = bucket_seconds
        start = row.bucket_start
        if row.bucket_seconds != bucket_seconds:
            if bucket_seconds == 3600 and row.bucket_seconds == 60:
                start = start.replace(minute=0)
            else:
                step = row.bucket_seconds
        key = start.isoformat()
        entry = points.setdefault(key, {})
        agg = entry.setdefault(row.version.number, {"count": 0, "errors": 0, "hist": [], "seconds": step})
        agg["count"] += row.count
        agg["errors"] += row.errors
        agg["hist"] = _merge_hist(agg["hist"], row.latency_hist)
    series = []
    for key in sorted(points):
        for number, agg in sorted(points[key].items()):
            series.append(
                {
                    "t": key,
                    "version": number,
                    "requests": agg["count"],
                    "rps": round(agg["count"] / agg["seconds"], 3),
                    "error_rate": round(agg["errors"] / agg["count"], 5) if agg["count"] else 0.0,
                    "p50_ms": percentile_from_hist(agg["hist"], 0.5),
                    "p99_ms": percentile_from_hist(agg["hist"], 0.99),
                }
            )
    return {"bucket_seconds": bucket_seconds, "series": series}


_LIVE_KINDS = {"create", "deploy", "promote"}
_ROLLBACK_KINDS = {"rollback", "auto_rollback"}


def _periods_of(version_id: int, events: list[DeploymentEvent]) -> list[dict[str, Any]]:
    """When ``version_id`` was live or the canary (with traffic) of one deployment, from its events in
    order: [{role, start, end (None while it lasts)}]."""
    live: int | None = None
    canary: int | None = None
    periods: list[dict[str, Any]] = []
    open_: dict[str, dict[str, Any]] = {}
    for e in events:
        new_live, new_canary = live, canary
        scope = (e.detail or {}).get("scope")
        if e.kind in _LIVE_KINDS or (e.kind in _ROLLBACK_KINDS and scope == "live"):
            new_live = e.to_version_id
            if e.kind == "promote" or canary == new_live:
                new_canary = None
        elif e.kind in {"canary", "weight"}:
            new_canary = e.to_version_id if (e.weight_to or 0) > 0 else None
        elif e.kind in _ROLLBACK_KINDS and scope == "canary":
            new_canary = None
        at = e.created_at.isoformat()
        for role, old, new in (("live", live, new_live), ("canary", canary, new_canary)):
            if old == version_id and new != version_id and role in open_:
                open_.pop(role)["end"] = at
            if new == version_id and old != version_id:
                open_[role] = {"role": role, "start": at, "end": None}
                periods.append(open_[role])
        live, canary = new_live, new_canary
    return periods


def deployments_using(version: Any) -> list[dict[str, Any]]:
    """The deployments that serve this version (live or as the canary) or served it before, each with
    the periods it was live or the canary (for the registry's version page: "was live 12:03–12:04")."""
    ids = set(
        DeploymentEvent.objects.filter(Q(to_version=version) | Q(from_version=version)).values_list(
            "deployment_id", flat=True
        )
    )
    ids |= set(
        Deployment.objects.filter(Q(live_version=version) | Q(canary_version=version)).values_list("id", flat=True)
    )
    rows = Deployment.objects.filter(pk__in=ids).order_by("name")[:50]
    events: dict[int, list[DeploymentEvent]] = {}
    for e in DeploymentEvent.objects.filter(deployment__in=rows).order_by("created_at", "id"):
        events.setdefault(e.deployment_id, []).append(e)
    out = []
    for d in rows:
        if d.live_version_id == version.pk:
            role = "live"
        elif d.canary_version_id == version.pk:
            role = "canary"
        else:
            role = "past"
        out.append(
            {
                "id": d.pk,
                "kind": "deployment",
                "name": d.name,
                "role": role,
                "periods": _periods_of(version.pk, events.get(d.pk, [])),
            }
        )
    return out


def canary_comparison(*, deployment: Deployment, now: dt.datetime | None = None) -> dict[str, Any]:
    """The canary against live since the canary started (what the promote dialog shows): counts, error
    rates and p99 of both, the canary-analysis thresholds, the limits it breaches, and whether the
    canary has had any traffic at all."""
    now = now or timezone.now()
    d = deployment
    thresholds = {
        "max_error_rate_delta": d.canary_max_error_rate_delta,
        "max_p99_ratio": d.canary_max_p99_ratio,
        "min_requests": d.canary_min_requests,
    }
    if d.canary_version_id is None:
        return {
            "canary": None,
            "live": None,
            "since": None,
            "no_traffic": True,
            "thresholds": thresholds,
            "breaches": [],
        }
    since = d.canary_started_at or now - dt.timedelta(hours=1)
    canary = version_window_stats(deployment=d, version_id=d.canary_version_id, since=since)
    live = version_window_stats(deployment=d, version_id=d.live_version_id, since=since)
    breaches: list[str] = []
    if canary["count"] and live["count"]:
        delta = (canary["error_rate"] or 0.0) - (live["error_rate"] or 0.0)
        if delta > d.canary_max_error_rate_delta:
            breaches.append("error_rate")
        if canary["p99_ms"] and live["p99_ms"] and canary["p99_ms"] > live["p99_ms"] * d.canary_max_p99_ratio:
            breaches.append("p99")
    return {
        "canary": {"version": d.canary_version.number, "weight": d.canary_weight, **canary},  # type: ignore[union-attr]
        "live": {"version": d.live_version.number, **live},
        "since": since.isoformat(),
        "no_traffic": canary["count"] == 0,
        "enough_traffic": canary["count"] >= d.canary_min_requests,
        "thresholds": thresholds,
        "breaches": breaches,
    }
