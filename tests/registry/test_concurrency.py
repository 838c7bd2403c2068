"""Concurrent version numbering and alias moves on real PostgreSQL (separate connections per thread)."""

from __future__ import annotations

import io
import itertools
import threading
from typing import Any

import pytest
from django.db import connection

from shipyard.core.errors import DomainConflict
from shipyard.registry.aliases import alias_set
from shipyard.registry.models import Alias, AliasMove, ModelVersion
from shipyard.registry.versions import model_version_create
from tests.factories import ProjectFactory, onnx_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(n: int, target: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_concurrent_uploads_get_distinct_consecutive_numbers() -> None:
    project = ProjectFactory(slug="race")
    payloads = [onnx_bytes(seed=i) for i in range(6)]

    def create(i: int) -> int:
        version = model_version_create(
            project=project, model_name="racer", artifact_file_or_path=io.BytesIO(payloads[i]), format="onnx"
        )
        return version.number

    results = run_threads(6, create)
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == [1, 2, 3, 4, 5, 6]
    assert ModelVersion.objects.filter(model__name="racer").count() == 6


def test_concurrent_alias_moves_form_one_consistent_history() -> None:
    project = ProjectFactory(slug="race-alias")
    versions = [
        model_version_create(
            project=project, model_name="m", artifact_file_or_path=io.BytesIO(onnx_bytes(seed=i)), format="onnx"
        )
        for i in range(5)
    ]

    results = run_threads(5, lambda i: alias_set(version=versions[i], name="champion").pk)
    assert all(isinstance(r, int) for r in results), results
    assert Alias.objects.filter(name="champion").count() == 1
    moves = list(AliasMove.objects.filter(alias_name="champion").order_by("id"))
    assert len(moves) == 5
    assert moves[0].from_version_id is None
    for earlier, later in itertools.pairwise(moves):
        assert later.from_version_id == earlier.to_version_id  # no lost update: each move saw the previous one
    assert Alias.objects.get(name="champion").version_id == moves[-1].to_version_id


def test_racing_conditional_moves_from_the_same_version_one_wins() -> None:
    project = ProjectFactory(slug="race-cas")
    versions = [
        model_version_create(
            project=project, model_name="m", artifact_file_or_path=io.BytesIO(onnx_bytes(seed=i)), format="onnx"
        )
        for i in range(3)
    ]
    alias_set(version=versions[0], name="champion")
    results = run_threads(
        2, lambda i: alias_set(version=versions[i + 1], name="champion", expected_version=1).version.number
    )
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, DomainConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert Alias.objects.get(name="champion").version.number == winners[0]
    assert AliasMove.objects.filter(alias_name="champion").count() == 2
