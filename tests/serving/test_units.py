"""Traffic split, validation, post-processing, the worker's requeue of a dead worker's requests, canary analysis."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shipyard.serving import drain, gate, lifecycle, protocol
from shipyard.serving.canary import canary_analyze
from shipyard.serving.models import LATENCY_EDGES_MS, Deployment, DeploymentEvent, PredictionRollup
from shipyard.serving.routing import choose_canary
from shipyard.serving.validation import InputError, build_schema, validate
from shipyard_ml.inference import postprocess
from tests.serving.conftest import fake_version


@pytest.mark.parametrize("weight", [0, 5, 20, 50, 100])
def test_split_within_two_points_over_10000_requests(weight: int) -> None:
    share = sum(choose_canary(weight) for _ in range(10_000)) / 100
    assert abs(share - weight) <= 2


def test_routing_key_is_sticky_and_split_holds() -> None:
    keys = [f"user-{i}" for i in range(10_000)]
    first = [choose_canary(20, k, "7") for k in keys]
    assert first == [choose_canary(20, k, "7") for k in keys]
    assert abs(sum(first) / 100 - 20) <= 2
    # raising the weight only moves keys onto the canary
    raised = [choose_canary(40, k, "7") for k in keys]
    assert all(r for f, r in zip(first, raised, strict=True) if f)


SIG = {"inputs": [{"name": "x", "dtype": "float32", "shape": [-1, 3]}], "features": ["age", "income", "plan"]}
DS = {
    "features": [
        {"name": "age", "dtype": "integer", "min": 18, "max": 99},
        {"name": "income", "dtype": "numeric", "min": 0, "max": 1e6, "nullable": True},
        {"name": "plan", "dtype": "categorical", "categories": ["free", "pro"]},
    ]
}


def test_validation_names_the_feature() -> None:
    schema = build_schema(SIG, DS)
    rows, violations = validate([[30, 100.0, "pro"], {"age": 40, "income": None, "plan": "free"}], schema, reject=True)
    assert rows == [[30, 100.0, "pro"], [40, None, "free"]] and violations == []
    for bad, field in [
        ([[30, 1.0]], "inputs[0]"),
        ([[17, 1.0, "pro"]], "age"),
        ([[30.5, 1.0, "pro"]], "age"),
        ([[30, "lots", "pro"]], "income"),
        ([[30, 1.0, "gold"]], "plan"),
        ([{"age": 30, "zip": 1}], "zip"),
        ([[30, float("nan"), "pro"]], "income"),
        ([], "inputs"),
        ("nope", "inputs"),
    ]:
        with pytest.raises(InputError) as err:
            validate(bad, schema, reject=True)
        assert err.value.field == field, bad
    rows, violations = validate([[17, 1.0, "gold"]], schema, reject=False)
    assert [v["kind"] for v in violations] == ["out_of_range", "unknown_category"]
    with pytest.raises(InputError):  # a wrong type is rejected whatever the policy
        validate([[30, "lots", "pro"]], schema, reject=False)
    # only a signature shape: width and finiteness are still checked
    bare = build_schema({"inputs": [{"name": "x", "shape": [-1, 2]}]}, None)
    assert validate([[1, 2]], bare, reject=True)[0] == [[1, 2]]
    with pytest.raises(InputError):
        validate([[1, True]], bare, reject=True)


def _verdict(rows: Any, schema: Any, reject: bool) -> Any:
    try:
        return validate(rows, schema, reject=reject)
    except InputError as exc:
        return ("error", exc.field, exc.message)


_values = st.one_of(
    st.sampled_from([float("nan"), float("inf"), -float("inf"), -0.5, 16.5, 10**400, True]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(
    base=st.lists(st.one_of(st.floats(min_value=0, max_value=16), st.integers(0, 16)), min_size=4, max_size=4),
    odd=st.lists(st.tuples(st.integers(0, 3), _values), max_size=2),
    reject=st.booleans(),
    nullable=st.booleans(),
)
@example(base=[1.0, 2.0, 3.0, 4.0], odd=[(1, float("nan"))], reject=False, nullable=False)
def test_uniform_bounds_fast_path_never_changes_a_verdict(
    base: list[Any], odd: list[tuple[int, Any]], reject: bool, nullable: bool
) -> None:
    """Rows of a schema whose features share their bounds skip the per-value loop when every value is
    a finite number in range: the verdict must be exactly the per-value loop's."""
    row = list(base)
    for position, value in odd:
        row[position] = value
    features = [{"name": f"p{i}", "dtype": "numeric", "min": 0, "max": 16, "nullable": nullable} for i in range(4)]
    fast = build_schema({"features": [f["name"] for f in features]}, {"features": features})
    slow = build_schema({"features": [f["name"] for f in features]}, {"features": features})
    slow.uniform = None
    assert fast.uniform == (0, 16)
    assert _verdict([row], fast, reject) == _verdict([row], slow, reject)


@settings(max_examples=300, deadline=None)
@given(
    row=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=4, max_size=4),
    reject=st.booleans(),
)
@example(row=[1.0, float("nan"), 3.0, 4.0], reject=False)
@example(row=[1.0, 2.0, 30.0, 4.0], reject=True)
def test_rows_known_to_be_floats_get_the_same_verdict(row: list[float], reject: bool) -> None:
    """A decoder that has checked every value is a float (the Open Inference Protocol's one-pass
    path) lets validation skip its type scan: the verdict must not change."""
    features = [{"name": f"p{i}", "dtype": "numeric", "min": 0, "max": 16} for i in range(4)]
    schema = build_schema({"features": [f["name"] for f in features]}, {"features": features})
    assert schema.uniform == (0, 16)

    def verdict(floats: bool) -> Any:
        try:
            return validate([list(row)], schema, reject=reject, floats=floats)
        except InputError as exc:
            return ("error", exc.field, exc.message)

    assert verdict(True) == verdict(False)


def test_postprocess_logits_probabilities_regression_and_labels() -> None:
    logits = postprocess([np.array([[2.0, 0.0], [0.0, 3.0]], dtype=np.float32)])
    assert logits.outputs == [0, 1] and abs(sum(logits.probabilities[0]) - 1) < 1e-6 and logits.confidence[1] > 0.9
    probs = postprocess([np.array([[0.25, 0.75]], dtype=np.float32)])
    assert probs.probabilities == [[0.25, 0.75]] and probs.confidence == [0.75]
    assert postprocess([np.array([[1.5], [2.5]], dtype=np.float32)]).outputs == [1.5, 2.5]
    sk = postprocess([np.array([1, 0]), np.array([[0.1, 0.9], [0.8, 0.2]], dtype=np.float32)])
    assert sk.outputs == [1, 0] and sk.confidence == [0.9, 0.8]


def test_dead_worker_requests_are_requeued(redis_client: Any) -> None:
    from shipyard.serving.worker import ServingWorker

    dead = "dead-worker"
    msg = protocol.Request(
        id="m1", version_key="1:x", artifact_key="k", format="onnx", rows=[[1]], reply="r", deadline=9e9
    ).dumps()
    redis_client.lpush(protocol.processing_key(dead), msg)
    redis_client.sadd(protocol.WORKERS, dead)
    live = ServingWorker(redis_url=redis_client.connection_pool.connection_kwargs and _url(redis_client))
    live.heartbeat()
    assert live.reap() == 1
    assert redis_client.lrange(protocol.QUEUE, 0, -1) == [msg.encode()]
    assert not redis_client.exists(protocol.processing_key(dead))
    assert redis_client.smembers(protocol.WORKERS) == {live.id.encode()}
    # a live worker's in-flight requests are left alone
    redis_client.lpush(live.processing, msg)
    assert live.reap() == 0


def _url(client: Any) -> str:
    kw = client.connection_pool.connection_kwargs
    return f"redis://{kw['host']}:{kw['port']}/{kw['db']}"


def _rollup(d: Deployment, version: Any, minute: dt.datetime, count: int, errors: int, latency_bucket: int) -> None:
    hist = [0] * (len(LATENCY_EDGES_MS) + 1)
    hist[latency_bucket] = count
    PredictionRollup.objects.create(
        deployment=d, version=version, bucket_start=minute, count=count, errors=errors, latency_hist=hist
    )


def test_canary_analysis_rolls_back_after_n_breaching_intervals(world: Any) -> None:
    from django.utils import timezone

    live, canary = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=live.model, version=live, by=world.owner
    )
    lifecycle.deployment_canary(deployment=d, version=canary, weight=20, by=world.owner)
    d.refresh_from_db()
    d.canary_started_at = timezone.now() - dt.timedelta(hours=1)
    d.canary_interval_s, d.canary_breach_intervals = 60, 3
    d.save()
    now = timezone.now().replace(second=30, microsecond=0)
    results = []
    for i in range(3):
        minute = (now - dt.timedelta(minutes=3 - i)).replace(second=0)
        _rollup(d, live, minute, 200, 0, 3)
        _rollup(d, canary, minute, 50, 10, 3)  # 20 % errors vs 0 %
        results.append(canary_analyze(deployment_id=d.pk, now=now - dt.timedelta(minutes=2 - i)))
    assert [r["status"] for r in results] == ["breach", "breach", "breach"]
    assert results[-1]["action"] == "rolled_back"
    d.refresh_from_db()
    assert d.canary_weight == 0 and d.live_version == live
    event = DeploymentEvent.objects.filter(kind="auto_rollback").get()
    assert event.actor is None and "error rate" in event.reason
    assert world.project.evidence.filter(test_id="infra-7", passed=True).exists()
    assert canary_analyze(deployment_id=d.pk)["status"] == "no_canary"
    # serving's notice reaches the monitoring app (a signal: serving never imports monitoring)
    from shipyard.monitoring.models import Alert

    alert = Alert.objects.get(project=world.project, source="deployment")
    assert "rolled back automatically" in alert.title and alert.deployment_id == d.pk


def test_monitoring_feeds_the_canary_its_feedback_quality() -> None:
    """The canary's quality-breach check has its source: a missing one would turn it off silently."""
    from shipyard.monitoring.selectors import feedback_accuracy_by_version
    from shipyard.serving import canary

    assert canary._quality_sources == [feedback_accuracy_by_version]


def test_canary_analysis_passing_window_promotes(world: Any) -> None:
    from django.utils import timezone

    live, canary = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=live.model, version=live, by=world.owner
    )
    lifecycle.deployment_canary(deployment=d, version=canary, weight=20, by=world.owner)
    Deployment.objects.filter(pk=d.pk).update(
        canary_started_at=timezone.now() - dt.timedelta(hours=1), canary_window_intervals=2, canary_auto_promote=True
    )
    now = timezone.now().replace(second=30, microsecond=0)
    for i in range(2):
        minute = (now - dt.timedelta(minutes=2 - i)).replace(second=0)
        _rollup(d, live, minute, 100, 1, 5)
        _rollup(d, canary, minute, 30, 0, 4)
        result = canary_analyze(deployment_id=d.pk, now=now - dt.timedelta(minutes=1 - i))
    assert result["status"] == "pass" and result["action"] == "promoted"
    d.refresh_from_db()
    assert d.live_version == canary and d.canary_version is None
    # running it again for the same interval is a no-op
    assert canary_analyze(deployment_id=d.pk)["status"] == "no_canary"


def test_drain_and_partitions(world: Any, redis_client: Any) -> None:
    import time

    from shipyard.serving.models import PredictionLog
    from shipyard.serving.stats import StatsBuffer

    live = fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=live.model, version=live, by=world.owner
    )
    buf = StatsBuffer(lambda: redis_client)
    buf.record(
        deployment_id=d.pk,
        version_id=live.pk,
        latency_ms=2.5,
        status="ok",
        confidences=[0.9],
        logs=[
            protocol.LogRecord(
                t=time.time(),
                deployment_id=d.pk,
                version_id=live.pk,
                request_id="abc-0",
                inputs=[1],
                outputs=3,
                confidence=0.9,
                latency_ms=2.5,
            )
        ],
    )
    buf.record(deployment_id=d.pk, version_id=live.pk, latency_ms=40, status="timeout")
    buf.flush()
    redis_client.rpush(protocol.PLOG, b"not json", b'{"t": 1}')  # skipped, not fatal
    redis_client.sadd(protocol.STATS_KEYS, "shipyard:serving:stats:x:y:z")  # forgotten
    assert drain.drain_stats(redis_client) == 1
    assert not redis_client.sismember(protocol.STATS_KEYS, "shipyard:serving:stats:x:y:z")
    assert drain.drain_prediction_log(redis_client) == 1
    row = PredictionRollup.objects.get()
    assert (row.count, row.errors, row.timeouts, row.confidence_count) == (2, 1, 1, 1)
    assert sum(row.latency_hist) == 2
    created = drain.prediction_log_partitions_ensure(months_ahead=1)
    assert len(created) == 2
    assert drain.prediction_log_partitions_ensure(months_ahead=1) == []
    log = PredictionLog.objects.get()
    assert log.request_id == "abc-0" and log.outputs == 3
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM serving_predictionlog")
        assert cur.fetchone()[0].startswith("serving_predictionlog_2")
    json.dumps(gate.quality_gate(deployment=d, version=live, live=None).as_dict())


def test_web_process_never_imports_onnxruntime_or_torch() -> None:
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT, worker_env

    code = (
        "import django, sys; django.setup(); import shipyard.config.urls, shipyard.serving.gateway, "
        "shipyard.serving.api.views; print(sorted(m for m in ('onnxruntime', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=worker_env(), cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_deployment_settings_have_one_definition() -> None:
    """The API's settings fields and their ranges come from the model's one list."""
    from shipyard.serving.api.serializers import DeploymentCreateSerializer, DeploymentUpdateSerializer

    settings = set(Deployment.SETTINGS_FIELDS)
    assert set(DeploymentUpdateSerializer().fields) == settings | {"reason"}
    assert settings <= set(DeploymentCreateSerializer().fields)
    update = DeploymentUpdateSerializer(data={"canary_interval_s": 86_401})
    assert not update.is_valid() and list(update.errors) == ["canary_interval_s"]
    update = DeploymentUpdateSerializer(data={"quality_threshold": None, "canary_min_requests": 5})
    assert update.is_valid(), update.errors


def test_wire_records_round_trip() -> None:
    record = protocol.LogRecord(
        t=1.5,
        deployment_id=3,
        version_id=7,
        request_id="r-0",
        inputs=[1.0, "a"],
        outputs=2,
        confidence=None,
        latency_ms=1.25,
    )
    assert protocol.LogRecord.loads(record.dumps()) == record
    reply = protocol.Reply(ok=True, worker="w", outputs=[1], probabilities=[[0.1, 0.9]], confidence=[0.9])
    assert protocol.Reply.loads(reply.dumps()) == reply
    failed = protocol.Reply(ok=False, worker="w", code="inference_failed", message="bad shape")
    assert protocol.Reply.loads(failed.dumps()) == failed
    delta = protocol.StatsDelta(count=2, errors=1, lat_sum=3.5, hist={0: 1, 4: 1})
    assert protocol.StatsDelta.from_hash({k.encode(): str(v).encode() for k, v in delta.to_hash().items()}) == delta
    assert protocol.parse_stats_key(protocol.stats_key(3, 7, 99).encode()) == (3, 7, 99)
    with pytest.raises(ValueError):
        protocol.parse_stats_key("shipyard:serving:queue")
    with pytest.raises(protocol.ProtocolError):
        protocol.LogRecord.loads(b'{"t": "x"}')
