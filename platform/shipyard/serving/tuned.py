"""Rubric model-3 from the serving side: a deployment that puts a tuned version in front of traffic.

A version the ``tune`` job registered (its best trial) records ``params.tuned_by_job``; serving it
is the issue's first pass rule ("the version being served comes from a tuned configuration"). A
version without it records nothing here: the tune job's ranking of that version decides.
"""

from __future__ import annotations

from typing import Any


def served_tuned_evidence(deployment: Any, version: Any) -> None:
    from shipyard.rubric.services import evidence_record

    params = version.params or {}
    job = params.get("tuned_by_job")
    if not isinstance(job, int) or isinstance(job, bool):
        return
    evidence_record(
        project=deployment.project,
        test_id="model-3",
        source="deployment",
        passed=True,
        title=(
            f"{deployment.name} serves {version.model.name} v{version.number}, the best trial "
            f"({params.get('trial')}) of tune job {job}"
        )[:300],
        link=f"/jobs/{job}",
        key=f"deployment:{deployment.pk}:tuned",
        detail={
            "deployment": deployment.name,
            "version": version.number,
            "tune_job": job,
            "trial": params.get("trial"),
            "study_trials": params.get("study_trials"),
        },
    )
