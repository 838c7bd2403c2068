"""The project feature policy (rubric data-4): meta-level rules every registered feature must meet.

Checked against each dataset version's schema (with the columns' declared ``feature_meta``) and
each model version's signature (its feature names, with the metadata its training dataset declares)
when they are registered. In ``block`` mode a violation refuses the version with a 409 naming the
rule and the feature; in ``warn`` mode the version is registered and its violations recorded. Either
way the check is stored on the version (``policy_check``) and recorded as data-4 evidence.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from shipyard.accounts.roles import Role
from shipyard.core.errors import DomainConflict, DomainError
from shipyard.projects.models import Project
from shipyard.registry import privacy
from shipyard.registry.models import DatasetVersion, FeaturePolicy, ModelVersion, PolicyMode

LIST_MAX = 200
ITEM_MAX = 200
META_KEYS = {"owner", "source", "sensitive"}


@dataclass(frozen=True)
class FeatureInfo:
    name: str
    owner: str = ""
    source: str = ""
    sensitive: bool = False


@dataclass(frozen=True)
class Violation:
    rule: str
    feature: str
    message: str


class PolicyViolation(DomainConflict):
    """A version refused by a ``block`` policy: 409, ``fields`` names every violating feature."""

    code = "policy_violation"

    def __init__(self, violations: list[Violation], *, field: str) -> None:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"Feature policy: {first.message} [rule {first.rule}]{more}", field=field)
        self.violations = violations
        self.fields = {field: [f"{v.feature}: {v.message} [rule {v.rule}]" for v in violations]}


# ---- input checks ----------------------------------------------------------------------------


def _check_patterns(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > LIST_MAX:
        raise DomainError(f"must be a list of at most {LIST_MAX} strings", field=field)
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > ITEM_MAX or "\x00" in item:
            raise DomainError(f"each entry is a non-empty string of at most {ITEM_MAX} characters", field=field)
        if item.strip() not in out:
            out.append(item.strip())
    return out


def check_feature_meta(value: Any, columns: list[str], field: str = "feature_meta") -> dict[str, dict[str, Any]]:
    """``{"<column>": {"owner": str, "source": str, "sensitive": bool}}``; every column must exist."""
    import json

    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DomainError("must be a JSON object of column -> {owner, source, sensitive}", field=field) from None
    if not isinstance(value, dict) or len(value) > 10_000:
        raise DomainError("must be a JSON object of column -> {owner, source, sensitive}", field=field)
    known = set(columns)
    out: dict[str, dict[str, Any]] = {}
    for column, meta in value.items():
        if column not in known:
            raise DomainError(f"'{str(column)[:100]}' is not a column of the dataset", field=field)
        if not isinstance(meta, dict) or set(meta) - META_KEYS:
            raise DomainError(f"'{column}': an object with only owner, source and sensitive", field=field)
        entry: dict[str, Any] = {}
        for key in ("owner", "source"):
            item = meta.get(key, "")
            if not isinstance(item, str) or len(item) > ITEM_MAX:
                raise DomainError(f"'{column}'.{key} must be a string of at most {ITEM_MAX} characters", field=field)
            if item:
                entry[key] = item
        sensitive = meta.get("sensitive", False)
        if not isinstance(sensitive, bool):
            raise DomainError(f"'{column}'.sensitive must be true or false", field=field)
        if sensitive:
            entry["sensitive"] = True
        if entry:
            out[column] = entry
    return out


def check_policy(data: dict[str, Any]) -> dict[str, Any]:
    """The writable fields of a policy, validated (each failure names its field)."""
    mode = data.get("mode", PolicyMode.BLOCK)
    if mode not in PolicyMode.values:
        raise DomainError(f"must be one of: {', '.join(PolicyMode.values)}", field="mode")
    role = data.get("sensitive_min_role", Role.MAINTAINER)
    if role not in Role.values:
        raise DomainError(f"must be one of: {', '.join(Role.values)}", field="sensitive_min_role")
    out: dict[str, Any] = {"mode": mode, "sensitive_min_role": role}
    for name in ("forbidden_features", "allowed_owners", "approved_sources"):
        out[name] = _check_patterns(data.get(name), name)
    for name in ("require_owner", "forbid_sensitive_inputs"):
        flag = data.get(name, False)
        if not isinstance(flag, bool):
            raise DomainError("must be true or false", field=name)
        out[name] = flag
    return out


# ---- the rules ---------------------------------------------------------------------------------


def _matches(value: str, patterns: list[str]) -> str | None:
    lowered = value.lower()
    return next((p for p in patterns if fnmatch.fnmatchcase(lowered, p.lower())), None)


def evaluate(policy: FeaturePolicy, features: list[FeatureInfo], *, model: bool) -> list[Violation]:
    """Every violation of ``policy`` by ``features`` (in feature order, then rule order)."""
    found: list[Violation] = []
    for f in features:
        pattern = _matches(f.name, policy.forbidden_features)
        if pattern is not None:
            found.append(Violation("forbidden_features", f.name, f"'{f.name}' is a forbidden feature ('{pattern}')"))
        if policy.require_owner and not f.owner:
            found.append(Violation("require_owner", f.name, f"'{f.name}' declares no owner"))
        if f.owner and policy.allowed_owners and f.owner not in policy.allowed_owners:
            found.append(
                Violation("allowed_owners", f.name, f"'{f.name}' is owned by '{f.owner}', not an allowed owner")
            )
        if policy.approved_sources:
            if not f.source:
                found.append(Violation("approved_sources", f.name, f"'{f.name}' declares no source"))
            elif _matches(f.source, policy.approved_sources) is None:
                found.append(
                    Violation("approved_sources", f.name, f"'{f.name}' comes from '{f.source}', not an approved source")
                )
        if model and policy.forbid_sensitive_inputs and f.sensitive:
            found.append(
                Violation(
                    "forbid_sensitive_inputs", f.name, f"'{f.name}' is declared sensitive and may not be an input"
                )
            )
    return found


def dataset_features(schema: dict[str, Any], feature_meta: dict[str, Any]) -> list[FeatureInfo]:
    """The dataset's features (not its label) with their declared metadata."""
    out = []
    for column in schema.get("features", []):
        if column.get("role") == "label":
            continue
        meta = feature_meta.get(column["name"], {})
        out.append(
            FeatureInfo(column["name"], meta.get("owner", ""), meta.get("source", ""), bool(meta.get("sensitive")))
        )
    return out


def model_features(
    signature: dict[str, Any], training_dataset: DatasetVersion | None, parent: ModelVersion | None
) -> list[FeatureInfo] | None:
    """The model version's input features: the signature's names (else its training dataset's
    features), with the metadata that dataset declares. A derived version (an export, a quantised
    copy) without either takes its parent's. None when nothing names the features."""
    names = list(signature.get("features") or [])
    depth = 0
    while not names and training_dataset is None and parent is not None and depth < 20:
        names = list((parent.signature or {}).get("features") or [])
        training_dataset, parent, depth = parent.training_dataset, parent.parent, depth + 1
    meta = training_dataset.feature_meta if training_dataset is not None else {}
    if not names and training_dataset is not None:
        return dataset_features(training_dataset.schema, meta)
    if not names:
        return None
    out = []
    for name in names:
        m = meta.get(name, {})
        out.append(FeatureInfo(name, m.get("owner", ""), m.get("source", ""), bool(m.get("sensitive"))))
    return out


def _model_violations(policy: FeaturePolicy, features: list[FeatureInfo] | None) -> list[Violation]:
    if features is None:
        message = "the signature names no features and no training dataset is given, so the policy cannot be checked"
        return [Violation("feature_names", "", message)]
    return evaluate(policy, features, model=True)


def policy_of(project: Project) -> FeaturePolicy | None:
    return FeaturePolicy.objects.filter(project=project).first()


def report(policy: FeaturePolicy, violations: list[Violation], *, features: int) -> dict[str, Any]:
    return {
        "mode": policy.mode,
        "checked_at": timezone.now().isoformat(),
        "features": features,
        "passed": not violations,
        "violations": [asdict(v) for v in violations],
    }


def check_dataset(
    project: Project, schema: dict[str, Any], feature_meta: dict[str, Any]
) -> tuple[FeaturePolicy | None, dict[str, Any]]:
    """Check a dataset version about to be registered; raise PolicyViolation when the policy blocks."""
    policy = policy_of(project)
    if policy is None:
        return None, {}
    features = dataset_features(schema, feature_meta)
    violations = evaluate(policy, features, model=False)
    if violations and policy.mode == PolicyMode.BLOCK:
        fields = {v.rule for v in violations}
        raise PolicyViolation(violations, field="file" if fields == {"forbidden_features"} else "feature_meta")
    return policy, report(policy, violations, features=len(features))


def check_model(
    project: Project,
    signature: dict[str, Any],
    training_dataset: DatasetVersion | None,
    parent: ModelVersion | None,
) -> tuple[FeaturePolicy | None, dict[str, Any]]:
    """Check a model version about to be registered; raise PolicyViolation when the policy blocks."""
    policy = policy_of(project)
    if policy is None:
        return None, {}
    features = model_features(signature, training_dataset, parent)
    violations = _model_violations(policy, features)
    if violations and policy.mode == PolicyMode.BLOCK:
        raise PolicyViolation(violations, field="signature")
    return policy, report(policy, violations, features=len(features or []))


# ---- evidence ----------------------------------------------------------------------------------


def _record_evidence(
    *, project: Any, check: dict[str, Any], what: str, meets: str, link: str, key: str, detail: dict[str, Any], by: Any
) -> None:
    """data-4 evidence of one version's policy check: ``what`` names the version, ``meets`` what passed."""
    from shipyard.rubric.services import evidence_record

    n = len(check["violations"])
    evidence_record(
        project=project,
        test_id="data-4",
        source="registry",
        passed=check["passed"],
        title=f"{what}: {meets} meet the feature policy"
        if check["passed"]
        else f"{what}: {n} feature policy violation{'s' if n != 1 else ''}",
        link=link,
        key=key,
        detail={**detail, **check},
        by=by,
    )


def record_dataset_evidence(version: DatasetVersion, *, by: Any) -> None:
    check = version.policy_check
    if not check:
        return
    dataset = version.dataset
    _record_evidence(
        project=dataset.project,
        check=check,
        what=f"Dataset {dataset.name} v{version.number}",
        meets=f"{check['features']} features",
        link=f"/projects/{dataset.project.slug}/datasets/{dataset.name}?version={version.number}",
        key=f"policy:dataset:{dataset.name}",
        detail={"dataset": dataset.name, "dataset_version": version.number, "dataset_version_id": version.pk},
        by=by,
    )


def record_model_evidence(version: ModelVersion, *, by: Any) -> None:
    check = version.policy_check
    if not check:
        return
    model = version.model
    _record_evidence(
        project=model.project,
        check=check,
        what=f"Model {model.name} v{version.number}",
        meets=f"its {check['features']} input features",
        link=f"/projects/{model.project.slug}/models/{model.name}/versions/{version.number}",
        key=f"policy:model:{model.name}",
        detail={"model": model.name, "version": version.number, "model_version_id": version.pk},
        by=by,
    )


# ---- writes ------------------------------------------------------------------------------------


@transaction.atomic
def feature_policy_set(*, project: Project, data: dict[str, Any], by: Any) -> FeaturePolicy:
    """Create or replace the project's policy, then re-check the latest version of every dataset
    and model against it (recorded on those versions and as data-4 evidence; nothing is removed)."""
    fields = check_policy(data)
    before = policy_of(project)
    policy, _ = FeaturePolicy.objects.update_or_create(project=project, defaults={**fields, "updated_by": by})
    recheck_latest(project=project, policy=policy, by=by)
    if (before.sensitive_min_role if before else Role.MAINTAINER) != policy.sensitive_min_role:
        privacy.rejudge_latest(project=project)  # data-5 depends on who may download sensitive columns
    return policy


@transaction.atomic
def feature_policy_delete(*, project: Project) -> None:
    removed = FeaturePolicy.objects.filter(project=project).first()
    FeaturePolicy.objects.filter(project=project).delete()
    if removed is not None and removed.sensitive_min_role != Role.MAINTAINER:
        privacy.rejudge_latest(project=project)


def recheck_latest(*, project: Project, policy: FeaturePolicy, by: Any) -> None:
    latest_datasets = (
        DatasetVersion.objects.filter(dataset__project=project)
        .select_related("dataset__project")
        .order_by("dataset_id", "-number")
        .distinct("dataset_id")
    )
    for dv in latest_datasets:
        features = dataset_features(dv.schema, dv.feature_meta)
        dv.policy_check = report(policy, evaluate(policy, features, model=False), features=len(features))
        dv.save(update_fields=["policy_check", "updated_at"])
        record_dataset_evidence(dv, by=by)
    latest_models = (
        ModelVersion.objects.filter(model__project=project, produced_by_job_id__isnull=True)
        .select_related("model__project", "training_dataset", "parent")
        .order_by("model_id", "-number")
        .distinct("model_id")
    )
    for mv in latest_models:
        model_feats = model_features(mv.signature, mv.training_dataset, mv.parent)
        found = _model_violations(policy, model_feats)
        mv.policy_check = report(policy, found, features=len(model_feats or []))
        mv.save(update_fields=["policy_check", "updated_at"])
        record_model_evidence(mv, by=by)
