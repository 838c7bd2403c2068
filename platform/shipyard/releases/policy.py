"""A deployment's push policy: which pushes it accepts. A refused push is a 403 (the rules on who may
push what: enabled, branch, model) or a 409 (the CI state of the commit), naming the rule in the error's
field and nothing is stored or deployed."""

from __future__ import annotations

from typing import Any

from shipyard.ci.models import CIRun, RunStatus
from shipyard.core.errors import DomainConflict, DomainError
from shipyard.releases.models import PushPolicy

#: the error code of a push refused because the commit's CI run is not recorded or not finished yet
#: (the CLI retries those for a while: the run's report may still be on its way)
CI_PENDING = "ci_pending"

#: the default branch when neither the policy nor the project's CI settings name one
FALLBACK_BRANCH = "main"


class PushRefused(DomainError):
    """A rule of the push policy refused the push (403); ``field`` names the rule."""

    status_code = 403
    code = "push_refused"


class PushConflict(DomainConflict):
    """The commit's CI state refuses the push (409); ``field`` names the rule."""

    code = "push_refused"


def policy_of(deployment: Any) -> PushPolicy:
    """The deployment's policy, or the defaults (not saved) when it has none."""
    found = PushPolicy.objects.filter(deployment=deployment).first()
    return found if found is not None else PushPolicy(deployment=deployment)


def default_branch_of(policy: PushPolicy) -> str:
    if policy.default_branch:
        return policy.default_branch
    from shipyard.ci.selectors import config_of

    config = config_of(policy.deployment.project)
    return (config.default_branch if config is not None else "") or FALLBACK_BRANCH


def ci_run_for(*, project: Any, commit: str, ci_run: str) -> CIRun | None:
    """The CI run named by the push (its external id), else a passing run of the commit, else its latest run."""
    runs = CIRun.objects.filter(project=project)
    if ci_run:
        return runs.filter(external_id=ci_run).order_by("-id").first()
    if not commit:
        return None
    of_commit = runs.filter(commit__startswith=commit.lower()).order_by("-id")
    return of_commit.filter(status=RunStatus.PASSED).first() or of_commit.first()


def check_push(
    *, deployment: Any, policy: PushPolicy, model_name: str, branch: str, commit: str, run: CIRun | None
) -> None:
    """Raise PushRefused / PushConflict naming the first rule the push breaks."""
    if not policy.enabled:
        raise PushRefused(
            f"Push refused by rule 'enabled': deployment '{deployment.name}' does not accept pushes.", field="enabled"
        )
    allowed = list(policy.allowed_models) or [deployment.model.name]
    if model_name not in allowed:
        raise PushRefused(
            f"Push refused by rule 'models': model '{model_name}' is not one of the models deployment "
            f"'{deployment.name}' accepts ({', '.join(allowed)}).",
            field="model",
        )
    if model_name != deployment.model.name:
        raise PushConflict(
            f"Deployment '{deployment.name}' serves model '{deployment.model.name}', not '{model_name}'.",
            field="model",
        )
    if policy.default_branch_only:
        expected = default_branch_of(policy)
        if branch != expected:
            raise PushRefused(
                f"Push refused by rule 'default_branch_only': branch '{branch or '(none)'}' is not the default "
                f"branch '{expected}'.",
                field="branch",
            )
    if policy.require_ci_pass:
        if run is None:
            raise PushConflict(
                f"Push refused by rule 'require_ci_pass': no CI run is recorded for commit {commit[:12] or '(none)'}.",
                field="ci_run",
                code=CI_PENDING,
            )
        if (
            commit
            and not run.commit.lower().startswith(commit.lower())
            and not commit.lower().startswith(run.commit.lower() or "-")
        ):
            raise PushConflict(
                f"Push refused by rule 'require_ci_pass': CI run {run.external_id} built commit "
                f"{run.commit[:12] or '(none)'}, not {commit[:12]}.",
                field="ci_run",
            )
        if run.status != RunStatus.PASSED:
            raise PushConflict(
                f"Push refused by rule 'require_ci_pass': CI run {run.external_id} for commit {commit[:12]} "
                f"is {run.status}, not passed.",
                field="ci_run",
                code=CI_PENDING if run.status in (RunStatus.RUNNING, RunStatus.UNKNOWN) else None,
            )
