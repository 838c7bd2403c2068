"""How the monitoring app hears from the serving app (which sits below it and never imports it)."""

from __future__ import annotations

from typing import Any


def on_deployment_notice(*, sender: Any, deployment: Any, message: str, **_: Any) -> None:
    """A deployment notice (e.g. an automatic rollback) becomes an info alert, delivered."""
    from shipyard.monitoring.alerts import notify

    notify(project=deployment.project, title=message, source="deployment", deployment=deployment)


def connect() -> None:
    from shipyard.monitoring.selectors import feedback_accuracy_by_version, feedback_outcomes
    from shipyard.serving.bandit_service import outcome_source_register
    from shipyard.serving.canary import quality_source_register
    from shipyard.serving.signals import deployment_notice

    deployment_notice.connect(on_deployment_notice, dispatch_uid="monitoring.deployment_notice")
    quality_source_register(feedback_accuracy_by_version)
    outcome_source_register(feedback_outcomes)
