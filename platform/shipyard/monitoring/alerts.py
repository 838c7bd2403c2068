"""Evidence and alerts: fire, resolve, deliver (through the outbound-HTTP module) and notify."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shipyard.core import outbound
from shipyard.monitoring.models import (
    RUBRIC_TEST,
    Alert,
    AlertStatus,
    MonitorConfig,
    MonitorKind,
    MonitorRun,
    Status,
)
from shipyard.monitoring.reference import monitoring_link

logger = logging.getLogger(__name__)


def monitor_evidence(config: MonitorConfig, kind: str, run: MonitorRun) -> Any:
    """Rubric evidence for the monitor's test: on a status change, else at most hourly."""
    from shipyard.rubric.models import Evidence
    from shipyard.rubric.services import evidence_record

    if run.status in {Status.NO_DATA, Status.ERROR}:
        return None
    deployment = config.deployment
    key = f"monitor:{deployment.pk}:{kind}"
    passed = run.status == Status.OK
    last = Evidence.objects.filter(project_id=deployment.project_id, key=key).order_by("-observed_at").first()
    if last is not None and last.passed == passed and run.computed_at - last.observed_at < dt.timedelta(hours=1):
        return last
    return evidence_record(
        project=deployment.project,
        test_id=RUBRIC_TEST[MonitorKind(kind)],
        source="monitor",
        passed=passed,
        title=f"{MonitorKind(kind).label} monitor on {deployment.name}: {run.summary}"[:300],
        link=monitoring_link(deployment, kind),
        key=key,
        detail={"deployment": deployment.name, "kind": kind, "status": run.status, "value": run.value},
        observed_at=run.computed_at,
    )


@transaction.atomic
def alert_fire(
    *,
    project: Any,
    key: str,
    title: str,
    message: str = "",
    deployment: Any = None,
    link: str = "",
    evidence: Any = None,
    severity: str = "warning",
    source: str = "monitor",
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> tuple[Alert, bool]:
    """Open an alert, or bump the open one with the same key (deduplicated). Returns (alert, created)."""
    now = now or timezone.now()
    alert = Alert.objects.select_for_update().filter(project=project, key=key, status=AlertStatus.OPEN).first()
    if alert is not None:
        alert.last_seen_at = now
        alert.occurrences += 1
        alert.title, alert.message = title[:300], message
        if evidence is not None:
            alert.evidence = evidence
        alert.detail = detail or alert.detail
        alert.save()
        return alert, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                project=project,
                deployment=deployment,
                key=key[:300],
                title=title[:300],
                message=message,
                link=link[:500],
                evidence=evidence,
                severity=severity,
                source=source,
                detail=detail or {},
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # a concurrent run opened it
        alert = Alert.objects.get(project=project, key=key, status=AlertStatus.OPEN)
        return alert, False
    alert_id = alert.pk
    transaction.on_commit(lambda: _enqueue_delivery(alert_id))
    return alert, True


def _enqueue_delivery(alert_id: int) -> None:
    from shipyard.monitoring.tasks import deliver_alert

    try:
        deliver_alert.delay(alert_id)
    except Exception:  # the broker is down: deliver in-process rather than lose it
        logger.warning("broker unavailable; delivering alert %s in-process", alert_id)
        alert_deliver(alert_id=alert_id)


@transaction.atomic
def alert_resolve(*, project: Any, key: str, now: dt.datetime | None = None) -> Alert | None:
    alert = Alert.objects.select_for_update().filter(project=project, key=key, status=AlertStatus.OPEN).first()
    if alert is None:
        return None
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now or timezone.now()
    alert.save(update_fields=["status", "resolved_at", "updated_at"])
    return alert


def notify(*, project: Any, title: str, source: str = "deployment", deployment: Any = None) -> Alert:
    """A one-off notification from another app (e.g. an automatic rollback): an info alert, delivered."""
    alert, _ = alert_fire(
        project=project,
        key=f"{source}:{timezone.now().isoformat()}:{title}"[:300],
        title=title,
        deployment=deployment,
        severity="info",
        source=source,
    )
    return alert


def _post_webhook(url: str, body: dict[str, Any]) -> outbound.OutboundResult:
    """POST through the outbound module: the address is checked again at send time, no redirects."""
    return outbound.post_json(url, body, timeout=settings.MONITORING_WEBHOOK_TIMEOUT_S)


def alert_deliver(*, alert_id: int) -> list[dict[str, Any]]:
    """Send an alert to the deployment's webhook (Slack-compatible ``{"text"}``) and email; record results.

    A webhook failure is recorded in the outbound module's fixed vocabulary, never with remote text."""
    from django.core.mail import send_mail

    alert = Alert.objects.select_related("project", "deployment").filter(pk=alert_id).first()
    if alert is None or alert.deliveries:
        return []
    config = MonitorConfig.objects.filter(deployment=alert.deployment).first() if alert.deployment_id else None
    base = str(getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    link = f"{base}{alert.link}" if alert.link else ""
    text = f"[{alert.severity}] {alert.project.slug}: {alert.title}" + (f"\n{alert.message}" if alert.message else "")
    if link:
        text += f"\n{link}"
    results: list[dict[str, Any]] = []
    if config and config.webhook_url:
        sent = _post_webhook(config.webhook_url, {"text": text})
        results.append(
            {
                "channel": "webhook",
                "ok": sent.ok,
                "error": "" if sent.ok else sent.status[:300],
                "at": timezone.now().isoformat(),
            }
        )
    if config and config.email_to:
        recipients = [a.strip() for a in config.email_to.split(",") if a.strip()]
        try:
            send_mail(f"Shipyard alert: {alert.title}"[:200], text, None, recipients)
            results.append({"channel": "email", "ok": True, "error": "", "at": timezone.now().isoformat()})
        except (smtplib.SMTPException, OSError, ValueError) as exc:  # the server's answer stays in the log
            logger.warning("alert %s: email delivery failed: %s", alert.pk, exc)
            results.append(
                {"channel": "email", "ok": False, "error": outbound.ERROR_FAILED, "at": timezone.now().isoformat()}
            )
    if results:
        Alert.objects.filter(pk=alert.pk).update(deliveries=results)
    return results
