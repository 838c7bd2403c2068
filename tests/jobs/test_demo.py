"""The demo's measuring jobs: queued after the registry's demo models, run by a real worker, and
their data-2, data-3 and model-3 evidence passes on digits-classifier with the declared settings."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.jobs.demo import BORDER_PIXELS
from shipyard.jobs.demo import seed as jobs_seed
from shipyard.jobs.models import Job
from shipyard.registry.demo import seed as registry_seed
from shipyard.rubric.models import Evidence
from tests.jobs.conftest import wait_for
from tests.registry.test_demo import Ctx

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]


def test_demo_jobs_measure_digits_classifier(celery_worker: Any) -> None:
    ctx = Ctx(skip_heavy=False)
    registry_seed(ctx)
    jobs_seed(ctx)
    jobs = list(Job.objects.filter(project=ctx.projects["digits-classifier"]).order_by("id"))
    assert [j.kind for j in jobs] == ["feature_importance", "tune"]
    for job in jobs:
        done = wait_for(job.pk, timeout=300, worker=celery_worker)
        assert done.status == "succeeded", (done.kind, done.message)
    importance = Job.objects.get(pk=jobs[0].pk).result
    assert importance["flagged"] == [] and importance["exempt"] == sorted(BORDER_PIXELS)
    assert importance["cost"]["passed"] and importance["cost"]["key"] == "storage_bytes"
    wait_for(jobs[1].pk, timeout=10)
    verdicts = {
        e.test_id: e.passed for e in Evidence.objects.filter(project=ctx.projects["digits-classifier"], source="job")
    }
    assert verdicts == {"data-2": True, "data-3": True, "model-3": True}
    jobs_seed(ctx)  # a second run queues nothing
    assert Job.objects.count() == 2
