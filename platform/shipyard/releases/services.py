"""Push-to-deploy: accept a push (policy, upload, evaluate job), then move its rollout forward as the
evaluation finishes and the deployment's canary analysis decides. Every step is safe to run twice."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shipyard.core.errors import DomainError
from shipyard.jobs.models import Job, JobKind, JobStatus
from shipyard.jobs.services import job_create
from shipyard.registry import validation
from shipyard.registry.models import DatasetVersion, ModelVersion
from shipyard.registry.versions import WEIGHTS_FORMATS, model_version_create
from shipyard.releases.models import FINAL_STATUSES, Push, PushPolicy, PushStatus
from shipyard.releases.policy import check_push, ci_run_for, policy_of
from shipyard.serving.gate import quality_gate, require_admin
from shipyard.serving.lifecycle import deployment_canary
from shipyard.serving.models import Deployment, DeploymentEvent, EventKind

logger = logging.getLogger(__name__)

#: formats a serving worker loads as they are (weights-only formats need a built-in recipe)
SERVABLE_FORMATS = ("onnx", "torchscript", "torch_export")

#: the fields of a push policy the API may change
POLICY_FIELDS = (
    "enabled",
    "default_branch_only",
    "default_branch",
    "allowed_models",
    "require_ci_pass",
    "canary_weight",
)


def _sha256_of(artifact: Any) -> str:
    blob = getattr(artifact, "blob", None)
    if blob is not None:
        return str(blob.sha256)
    digest = hashlib.sha256()
    artifact.seek(0)
    while chunk := artifact.read(1024 * 1024):
        digest.update(chunk)
    artifact.seek(0)
    return digest.hexdigest()


def push_create(
    *,
    deployment: Deployment,
    artifact: Any,
    model_name: str,
    format: str,
    commit: str,
    branch: str,
    by: Any,
    ci_run: str = "",
    ci_url: str = "",
    recipe: str = "",
    recipe_config: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    signature: dict[str, Any] | None = None,
    dataset: DatasetVersion | None = None,
    description: str = "",
) -> tuple[Push, bool]:
    """Register the pushed artifact as a version (with its commit, branch and CI run) and start its
    evaluate job. Returns (push, created): the same artifact pushed again is the same version and the
    same push (one rollout). A push the policy refuses stores nothing."""
    commit = validation.check_git_commit(commit, "commit")
    if not commit:
        raise DomainError("the commit the artifact was built from is required", field="commit")
    policy = policy_of(deployment)
    run = ci_run_for(project=deployment.project, commit=commit, ci_run=ci_run)
    check_push(deployment=deployment, policy=policy, model_name=model_name, branch=branch, commit=commit, run=run)
    if format not in SERVABLE_FORMATS and not (recipe and format in WEIGHTS_FORMATS):
        raise DomainError(
            f"a {format} artifact cannot be served without a recipe; push ONNX, TorchScript, a torch.export "
            "program, or weights with their recipe",
            field="format",
        )
    sha256 = _sha256_of(artifact)
    tags = {
        "branch": branch,
        "ci_run": run.external_id if run else ci_run,
        "ci_url": ci_url or (run.url if run else ""),
    }
    version = model_version_create(
        project=deployment.project,
        model_name=model_name,
        artifact_file_or_path=artifact,
        format=format,
        recipe=recipe,
        recipe_config=recipe_config,
        metrics=metrics,
        signature=signature,
        tags={k: v for k, v in tags.items() if v},
        git_commit=commit,
        description=description,
        idempotency_key=f"push:{sha256}",
        create_model=False,
        by=by,
    )
    existing = Push.objects.filter(deployment=deployment, version=version).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            job = job_create(
                project=deployment.project, kind=JobKind.EVALUATE, model_version=version, dataset_version=dataset, by=by
            )
            push = Push.objects.create(
                deployment=deployment,
                version=version,
                commit=commit,
                branch=branch,
                ci_run=run,
                ci_url=ci_url or (run.url if run else ""),
                evaluate_job=job,
                canary_weight=policy.canary_weight,
                message=f"v{version.number} uploaded; evaluate job {job.pk} queued",
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:  # the same artifact pushed concurrently: the first push is the rollout
        return Push.objects.get(deployment=deployment, version=version), False
    return push, True


def _finish(push: Push, status: str, message: str) -> None:
    push.status, push.message, push.finished_at = status, message[:2000], timezone.now()


def _last_event(deployment: Deployment, kinds: tuple[str, ...], **version: ModelVersion) -> DeploymentEvent | None:
    return DeploymentEvent.objects.filter(deployment=deployment, kind__in=kinds, **version).order_by("-id").first()


def _after_evaluation(push: Push, deployment: Deployment) -> None:
    job: Job | None = push.evaluate_job
    if job is None:
        _finish(push, PushStatus.FAILED, "The evaluate job no longer exists.")
        return
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return
    if job.status != JobStatus.SUCCEEDED:
        _finish(
            push,
            PushStatus.FAILED if not job.result else PushStatus.GATE_FAILED,
            f"Evaluation {job.status}: {job.message}",
        )
        return
    version = push.version
    if deployment.live_version_id == version.pk:
        _finish(push, PushStatus.PROMOTED, f"v{version.number} is already live.")
        return
    gate = quality_gate(deployment=deployment, version=version, live=deployment.live_version)
    push.gate = gate.as_dict()
    if not gate.passed:
        _finish(push, PushStatus.GATE_FAILED, f"Quality gate failed: {gate.message} Nothing was deployed.")
        return
    try:
        deployment_canary(
            deployment=deployment,
            version=version,
            weight=push.canary_weight,
            by=push.created_by,
            reason=f"Push of commit {push.commit[:12]} ({push.branch}): {gate.message}",
        )
    except DomainError as exc:
        _finish(push, PushStatus.FAILED, f"The canary could not start: {exc.message}")
        return
    push.status = PushStatus.CANARY
    push.canary_started_at = timezone.now()
    push.message = f"{gate.message} Canary v{version.number} at {push.canary_weight} % under canary analysis."


def _follow_canary(push: Push, deployment: Deployment) -> None:
    version = push.version
    if deployment.live_version_id == version.pk:
        event = _last_event(deployment, (EventKind.PROMOTE, EventKind.DEPLOY), to_version=version)
        _finish(push, PushStatus.PROMOTED, f"v{version.number} promoted: {event.reason if event else 'it is live'}")
    elif deployment.canary_version_id != version.pk:
        _finish(push, PushStatus.SUPERSEDED, f"v{version.number} is no longer the canary (another change replaced it).")
    elif deployment.canary_weight == 0:
        event = _last_event(deployment, (EventKind.AUTO_ROLLBACK, EventKind.ROLLBACK), from_version=version)
        _finish(push, PushStatus.ROLLED_BACK, f"v{version.number} rolled back: {event.reason if event else 'weight 0'}")


def push_advance(*, push_id: int) -> Push | None:
    """Move the push's rollout forward: after its evaluation, the gate and the canary; during the
    canary, the outcome of the deployment's canary analysis (promotion or rollback)."""
    with transaction.atomic():
        push = (
            Push.objects.select_for_update(of=("self",))
            .select_related("version", "evaluate_job", "created_by")
            .filter(pk=push_id)
            .first()
        )
        if push is None or push.status in FINAL_STATUSES:
            return push
        deployment = Deployment.objects.select_related("project", "model", "live_version").get(pk=push.deployment_id)
        before = push.status
        if push.status == PushStatus.EVALUATING:
            _after_evaluation(push, deployment)
        else:
            _follow_canary(push, deployment)
        push.save()
    if push.status != before:
        logger.info("push %s: %s -> %s: %s", push.pk, before, push.status, push.message)
    return push


def pushes_pending() -> list[int]:
    return list(Push.objects.exclude(status__in=FINAL_STATUSES).values_list("pk", flat=True))


@transaction.atomic
def policy_update(*, deployment: Deployment, values: dict[str, Any], by: Any) -> PushPolicy:
    """Change what the deployment accepts from CI (an admin's decision: it decides what reaches production)."""
    require_admin(
        by=by,
        project=deployment.project,
        field="policy",
        message="Only an admin may change a deployment's push policy.",
    )
    policy = PushPolicy.objects.select_for_update().filter(deployment=deployment).first() or PushPolicy(
        deployment=deployment
    )
    for name, value in values.items():
        if name in POLICY_FIELDS:
            setattr(policy, name, value)
    policy.save()
    return policy
