"""Writes for the CI app: secrets, deliveries, runs, tagging, metrics, dependency changes, notifications."""

from __future__ import annotations

import fnmatch
import logging
import secrets as pysecrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shipyard.ci import analysis, payloads
from shipyard.ci.feature_coverage import coverage_record
from shipyard.ci.junit import Case
from shipyard.ci.models import (
    CIConfig,
    CIRun,
    DependencyChange,
    MetricPolicy,
    MetricValue,
    Notification,
    RunStatus,
    TagRule,
    TestCase,
    Verdict,
)
from shipyard.core.errors import DomainConflict, DomainError
from shipyard.rubric.ids import RUBRIC_TEST_IDS
from shipyard.rubric.services import evidence_record

logger = logging.getLogger(__name__)

LOCKFILE_LIMIT = 2 * 1024 * 1024


def grace_hours_default() -> int:
    return int(settings.CI_SECRET_GRACE_HOURS)


@transaction.atomic
def config_for(*, project: Any) -> CIConfig:
    config, _ = CIConfig.objects.get_or_create(project=project)
    return config


@transaction.atomic
def secret_rotate(*, project: Any, grace_hours: int | None = None) -> tuple[CIConfig, str]:
    """A new random secret; the previous one stays valid for ``grace_hours`` (default 24)."""
    config, _ = CIConfig.objects.select_for_update().get_or_create(project=project)
    hours = grace_hours_default() if grace_hours is None else grace_hours
    now = timezone.now()
    new = "sys_" + pysecrets.token_urlsafe(32)
    if config.secret and hours > 0:
        config.previous_secret = config.secret
        config.previous_valid_until = now + timedelta(hours=hours)
    else:
        config.previous_secret, config.previous_valid_until = "", None
    config.secret = new
    config.rotated_at = now
    config.save(update_fields=["secret", "previous_secret", "previous_valid_until", "rotated_at", "updated_at"])
    return config, new


@transaction.atomic
def config_update(
    *,
    project: Any,
    default_branch: str | None = None,
    baseline_runs: int | None = None,
    notify_url: str | None = None,
    feature_code_globs: list[str] | None = None,
    feature_coverage_min: float | None = None,
) -> CIConfig:
    from shipyard.ci.notify import UnsafeURL, check_url

    config, _ = CIConfig.objects.select_for_update().get_or_create(project=project)
    if default_branch is not None:
        config.default_branch = branch_name(default_branch.strip())
    if baseline_runs is not None:
        config.baseline_runs = baseline_runs
    if notify_url is not None:
        if notify_url:
            try:
                check_url(notify_url)
            except UnsafeURL as exc:
                raise DomainError(str(exc), field="notify_url")
        config.notify_url = notify_url
    if feature_code_globs is not None:
        config.feature_code_globs = [g.strip() for g in feature_code_globs]
    if feature_coverage_min is not None:
        config.feature_coverage_min = feature_coverage_min
    config.save()
    return config


def branch_name(ref: str) -> str:
    """A branch name as people write it: ``refs/heads/main`` and Jenkins' ``origin/main`` become ``main``."""
    for prefix in ("refs/heads/", "origin/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _run_upsert(*, project: Any, provider: str, report: payloads.Report) -> CIRun:
    run, _ = CIRun.objects.get_or_create(project=project, provider=provider, external_id=report.external_id[:200])
    return CIRun.objects.select_for_update().get(pk=run.pk)


@transaction.atomic
def run_record(*, project: Any, provider: str, report: payloads.Report, received_at: datetime | None = None) -> CIRun:
    """Create or update the run a report describes, with its cases, metrics, dependencies and coverage."""
    run = _run_upsert(project=project, provider=provider, report=report)
    for attr in ("name", "branch", "commit", "url"):
        value = getattr(report, attr)
        if value:
            setattr(run, attr, branch_name(value) if attr == "branch" else value)
    run.started_at = report.started_at or run.started_at
    run.finished_at = report.finished_at or run.finished_at
    if report.cases is not None:
        _cases_replace(run, report.cases)
    status = report.status or ""
    if not status and report.cases is not None:
        status = RunStatus.FAILED if (run.tests_failed or run.tests_errored) else RunStatus.PASSED
    if status:
        run.status = status
    if run.status != RunStatus.RUNNING and run.finished_at is None:
        run.finished_at = received_at or timezone.now()
    if report.duration_s is not None:
        run.duration_s = report.duration_s
    elif run.started_at and run.finished_at and run.finished_at >= run.started_at:
        run.duration_s = (run.finished_at - run.started_at).total_seconds()
    elif report.cases:
        run.duration_s = round(sum(case.duration_s for case in report.cases), 3)
    run.save()
    config = config_for(project=project)
    observed = run.finished_at or timezone.now()
    # Only the default branch speaks for the project: a feature branch's runs are stored and shown,
    # judged against the default branch's baseline and notified, but they are not rubric evidence.
    evidence = run.branch in config.default_branches
    if report.cases is not None and evidence:
        _evidence_for_cases(run, observed)
    if report.metrics:
        _metrics_record(run, report.metrics, config, observed, evidence=evidence)
    if report.lockfile is not None:
        _dependencies_record(run, report.lockfile, config, observed, evidence=evidence)
    if report.coverage is not None:
        coverage_record(run=run, report=report.coverage, config=config, observed=observed, evidence=evidence)
    return run


def _rules_for(project: Any) -> list[tuple[str, str]]:
    return list(TagRule.objects.filter(project=project).values_list("pattern", "rubric_id"))


def tags_for(case: Case, rules: list[tuple[str, str]]) -> list[str]:
    tags = [t for t in case.tags if t in RUBRIC_TEST_IDS]
    candidates = (case.name, case.classname, f"{case.classname}::{case.name}", f"{case.classname}.{case.name}")
    for pattern, rubric_id in rules:
        if rubric_id not in tags and any(fnmatch.fnmatchcase(c, pattern) for c in candidates if c):
            tags.append(rubric_id)
    return tags


def _cases_replace(run: CIRun, cases: list[Case]) -> None:
    TestCase.objects.filter(run=run).delete()
    rules = _rules_for(run.project)
    TestCase.objects.bulk_create(
        [
            TestCase(
                run=run,
                name=case.name[:1000],
                classname=case.classname[:1000],
                status=case.status,
                duration_s=case.duration_s,
                message=case.message,
                rubric_ids=tags_for(case, rules),
            )
            for case in cases
        ],
        batch_size=1000,
    )
    run.tests_total = len(cases)
    run.tests_failed = sum(case.status == "failed" for case in cases)
    run.tests_errored = sum(case.status == "error" for case in cases)
    run.tests_skipped = sum(case.status == "skipped" for case in cases)


def _evidence_for_cases(run: CIRun, observed: datetime) -> None:
    for case in TestCase.objects.filter(run=run).exclude(rubric_ids=[]).exclude(status="skipped"):
        for rubric_id in case.rubric_ids:
            evidence_record(
                project=run.project,
                test_id=rubric_id,
                source="ci",
                passed=case.status == "passed",
                title=case.name,
                link=run.url,
                key=f"ci:{case.classname}::{case.name}",
                detail={
                    "run": run.pk,
                    "provider": run.provider,
                    "branch": run.branch,
                    "commit": run.commit,
                    "status": case.status,
                    "duration_s": case.duration_s,
                    "message": case.message[:500],
                },
                observed_at=observed,
            )


def _policies_for(project: Any) -> dict[str, analysis.Policy]:
    return {
        p.metric: analysis.Policy(p.direction, p.tolerance, p.relative, p.kind)
        for p in MetricPolicy.objects.filter(project=project)
    }


def policy_for(metric: str, policies: dict[str, analysis.Policy]) -> analysis.Policy:
    return policies.get(metric) or analysis.default_policy(metric)


def _metrics_record(
    run: CIRun, metrics: dict[str, float], config: CIConfig, observed: datetime, *, evidence: bool
) -> None:
    """Judge each metric against the default branch's recent median.

    With no history, a default-branch run establishes the baseline (verdict ``baseline``) and is
    evidence that the metric is tracked; a feature branch stays ``unjudged`` until the default
    branch reports the metric.
    """
    policies = _policies_for(run.project)
    judged: dict[str, list[MetricValue]] = {"quality": [], "performance": []}
    for name, value in metrics.items():
        policy = policy_for(name, policies)
        history = list(
            MetricValue.objects.filter(
                run__project=run.project,
                run__branch__in=config.default_branches,
                name=name,
                run__created_at__lte=run.created_at,
            )
            .exclude(run=run)
            .order_by("-run__created_at", "-run_id")
            .values_list("value", flat=True)[: max(1, config.baseline_runs)]
        )
        judgement = analysis.judge(value, history, policy)
        baseline = judgement.baseline
        if baseline is not None:
            verdict = Verdict.REGRESSION if judgement.regression else Verdict.OK
        elif evidence:
            verdict, baseline = Verdict.BASELINE, value
        else:
            verdict = Verdict.UNJUDGED
        metric, _ = MetricValue.objects.update_or_create(
            run=run,
            name=name,
            defaults={
                "value": value,
                "baseline": baseline,
                "regression": judgement.regression,
                "verdict": verdict,
                "kind": policy.kind,
                "direction": policy.direction,
            },
        )
        if verdict != Verdict.UNJUDGED:
            judged[policy.kind].append(metric)
    for kind, test_id, title in (
        ("performance", "monitor-6", "Computing performance"),
        ("quality", "monitor-7", "Prediction quality"),
    ):
        values = judged[kind]
        if not values:
            continue
        regressed = [m for m in values if m.verdict == Verdict.REGRESSION]
        if evidence:
            compared = [m for m in values if m.verdict != Verdict.BASELINE]
            if regressed:
                headline = f"{len(regressed)} {kind} metric(s) regressed on {run.branch}"
            elif compared:
                headline = f"{title} has not regressed on {run.branch}"
            else:
                headline = f"{title} tracked on {run.branch}: baseline established"
            evidence_record(
                project=run.project,
                test_id=test_id,
                source="ci",
                passed=not regressed,
                title=headline,
                link=run.url,
                key=f"ci:metrics:{kind}:{run.branch}",
                detail={
                    "run": run.pk,
                    "baseline_branches": config.default_branches,
                    "metrics": {
                        m.name: {"value": m.value, "baseline": m.baseline, "verdict": m.verdict} for m in values
                    },
                },
                observed_at=observed,
            )
        if regressed:
            text = f"[{run.project.slug}] {kind} regression on {run.branch} ({run.commit[:8]}): " + ", ".join(
                f"{m.name} {m.value:g} vs baseline {m.baseline:g}" for m in regressed if m.baseline is not None
            )
            notification_create(project=run.project, run=run, kind="regression", text=text, config=config)


def _dependencies_record(run: CIRun, lockfile: str, config: CIConfig, observed: datetime, *, evidence: bool) -> None:
    if len(lockfile) > LOCKFILE_LIMIT:
        lockfile = lockfile[:LOCKFILE_LIMIT]
    run.lockfile = lockfile
    run.packages = analysis.parse_lockfile(lockfile)
    run.save(update_fields=["lockfile", "packages", "updated_at"])
    previous = (
        CIRun.objects.filter(project=run.project, branch=run.branch, created_at__lte=run.created_at)
        .exclude(pk=run.pk)
        .exclude(lockfile="")
        .order_by("-created_at", "-id")
        .first()
    )
    if previous is None:
        return
    diff = analysis.diff_packages(previous.packages, run.packages)
    if not diff.empty:
        DependencyChange.objects.update_or_create(
            run=run,
            defaults={
                "project": run.project,
                "previous_run": previous,
                "added": diff.added,
                "removed": diff.removed,
                "changed": diff.changed,
            },
        )
        text = f"[{run.project.slug}] dependencies changed on {run.branch} ({run.commit[:8]}): {diff.summary()}"
        notification_create(project=run.project, run=run, kind="dependencies", text=text[:3000], config=config)
    if not evidence:
        return
    evidence_record(
        project=run.project,
        test_id="monitor-1",
        source="ci",
        passed=True,
        title=f"Dependency changes tracked on {run.branch or 'unknown branch'}",
        link=run.url,
        key=f"ci:dependencies:{run.branch}",
        detail={
            "run": run.pk,
            "previous_run": previous.pk,
            "added": len(diff.added),
            "removed": len(diff.removed),
            "changed": len(diff.changed),
            "outbound_webhook": bool(config.notify_url),
        },
        observed_at=observed,
    )


@transaction.atomic
def notification_create(*, project: Any, run: CIRun | None, kind: str, text: str, config: CIConfig) -> Notification:
    notification = Notification.objects.create(project=project, run=run, kind=kind, text=text)
    if config.notify_url:
        from shipyard.ci.tasks import notify_outbound

        pk = notification.pk
        transaction.on_commit(lambda: notify_outbound.delay(pk))
    return notification


def notification_send(*, notification_id: int) -> Notification | None:
    """Post one notification to the project's outbound webhook. Safe to run twice (sent once)."""
    from shipyard.ci import notify

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("project").filter(pk=notification_id).first()
        )
        if notification is None or notification.outbound_status:
            return notification
        notification.outbound_status = "sending"
        notification.save(update_fields=["outbound_status"])
        url = config_for(project=notification.project).notify_url
    status = notify.post(url, notification.text) if url else "no outbound webhook configured"
    Notification.objects.filter(pk=notification_id).update(outbound_status=status[:200])
    notification.outbound_status = status
    return notification


@transaction.atomic
def tag_rule_create(*, project: Any, pattern: str, rubric_id: str) -> TagRule:
    if rubric_id not in RUBRIC_TEST_IDS:
        raise DomainError(f"Unknown rubric test id '{rubric_id}'.", field="rubric_id")
    if TagRule.objects.filter(project=project, pattern=pattern, rubric_id=rubric_id).exists():
        raise DomainConflict("This rule already exists.", field="pattern")
    return TagRule.objects.create(project=project, pattern=pattern, rubric_id=rubric_id)


@transaction.atomic
def tag_rule_update(*, rule: TagRule, pattern: str | None = None, rubric_id: str | None = None) -> TagRule:
    if rubric_id is not None:
        if rubric_id not in RUBRIC_TEST_IDS:
            raise DomainError(f"Unknown rubric test id '{rubric_id}'.", field="rubric_id")
        rule.rubric_id = rubric_id
    if pattern is not None:
        rule.pattern = pattern
    if (
        TagRule.objects.filter(project=rule.project, pattern=rule.pattern, rubric_id=rule.rubric_id)
        .exclude(pk=rule.pk)
        .exists()
    ):
        raise DomainConflict("This rule already exists.", field="pattern")
    rule.save()
    return rule


@transaction.atomic
def tag_rule_delete(*, rule: TagRule) -> None:
    rule.delete()


@transaction.atomic
def metric_policy_set(
    *, project: Any, metric: str, direction: str, tolerance: float, relative: bool, kind: str
) -> MetricPolicy:
    policy, _ = MetricPolicy.objects.update_or_create(
        project=project,
        metric=metric,
        defaults={"direction": direction, "tolerance": tolerance, "relative": relative, "kind": kind},
    )
    return policy


@transaction.atomic
def metric_policy_delete(*, policy: MetricPolicy) -> None:
    policy.delete()
