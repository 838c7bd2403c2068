"""Monitoring app: incremental ingest, drift table and rules, other monitors, alerts, crash handling."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.core import mail
from django.utils import timezone

from shipyard.monitoring import alerts, feedback, ingest, monitors, reference, selectors
from shipyard.monitoring.models import Alert, DriftResult, DriftRule, MonitorConfig, MonitorRun, WindowBucket
from tests.monitoring.conftest import FEATURES, log_predictions, make_setup

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(5)


def drifted_rows(n: int = 600) -> np.ndarray:
    rows = RNG.normal(size=(n, 4))
    rows[:, 0] = rows[:, 0] * 1.5 + 2.0  # f0 drifts strongly
    return rows


def test_no_traffic_is_no_data_not_an_error(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    out = monitors.monitors_run(deployment_id=d.pk)
    assert out["drift"] == "no_data"
    table = world.client(world.owner).get(f"/api/v1/projects/fraud-model/deployments/{d.name}/drift/").json()
    assert table["status"] == "no_data"
    assert {f["feature"] for f in table["features"]} == {*FEATURES, "prediction"}
    assert all(f["status"] == "no_data" for f in table["features"])
    assert not Alert.objects.filter(status="open").exists()
    assert MonitorConfig.objects.get(deployment=d).last_error == ""


def test_incremental_buckets_equal_full_recomputation(world: Any, tmp_path: Any) -> None:
    from shipyard_ml import summaries

    d = make_setup(world.project, tmp_path)
    config = reference.config_for(d)
    reference.reference_ensure(config)
    rows_a, rows_b = RNG.normal(size=(300, 4)), RNG.normal(size=(200, 4))
    log_predictions(d, rows_a, prefix="a", start=timezone.now() - dt.timedelta(minutes=20))
    assert ingest.ingest(config) == 300
    # 200 rows one second apart, all in the past (a row in the future may fall after the window's end)
    log_predictions(d, rows_b, prefix="b", start=timezone.now() - dt.timedelta(minutes=4))
    assert ingest.ingest(config) == 200
    assert ingest.ingest(config) == 0  # safe to run twice: the cursor moved
    ref = summaries.Reference.from_dict(config.reference)
    window, n, _ = ingest.window_summaries(config, ref, timezone.now())
    assert n == 500
    full = summaries.summarize(
        ref, {name: np.concatenate([rows_a[:, i], rows_b[:, i]]) for i, name in enumerate(FEATURES)}
    )
    for name in FEATURES:
        assert np.array_equal(window[name].counts, full[name].counts)
        assert np.allclose(window[name].sums, full[name].sums)
    assert WindowBucket.objects.filter(deployment=d).count() >= 2


def test_drift_flags_drifted_feature_and_api(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    log_predictions(d, drifted_rows())
    monitors.monitors_run(deployment_id=d.pk)
    client = world.client(world.teammate)
    table = client.get(f"/api/v1/projects/fraud-model/deployments/{d.name}/drift/").json()
    by_name = {f["feature"]: f for f in table["features"]}
    assert table["status"] == "fail"
    assert by_name["f0"]["status"] == "fail"
    assert by_name["f0"]["value"] > 0.2
    assert all(by_name[n]["status"] == "ok" for n in ("f1", "f2", "f3"))
    assert {f["feature"] for f in table["features"][:2]} == {"f0", "prediction"}  # worst first
    assert by_name["prediction"]["status"] == "fail"  # argmax of the drifted rows favours class 0
    hist = by_name["f0"]["histogram"]
    assert len(hist["labels"]) == len(hist["reference"]) == len(hist["current"])
    assert by_name["f0"]["metrics"]["ks"] > 0.4
    assert by_name["f0"]["series"]
    # Values agree with scipy on the same data (binned KS within the fine-bin width).
    from scipy.stats import ks_2samp

    from tests.monitoring.conftest import training_frame

    assert abs(by_name["f1"]["metrics"]["ks"] - ks_2samp(training_frame()["f1"], table_f1_values(d)).statistic) < 0.005

    # Edit the rule: f0 passes with a looser threshold after the next run.
    url = f"/api/v1/projects/fraud-model/deployments/{d.name}/drift/rules/f0/"
    response = client.put(url, {"metric": "ks", "operator": "gt", "threshold": 0.99}, format="json")
    assert response.status_code == 200, response.content
    monitors.monitors_run(deployment_id=d.pk, force_drift=True)
    table = client.get(f"/api/v1/projects/fraud-model/deployments/{d.name}/drift/").json()
    f0 = next(f for f in table["features"] if f["feature"] == "f0")
    assert (f0["status"], f0["metric"], f0["threshold"]) == ("ok", "ks", 0.99)
    assert len(f0["series"]) == 2
    # Only the latest run keeps histograms.
    assert DriftResult.objects.filter(deployment=d).exclude(histogram={}).count() == 5


def table_f1_values(d: Any) -> np.ndarray:
    from shipyard.serving.models import PredictionLog

    return np.array([r[1] for r in PredictionLog.objects.filter(deployment_id=d.pk).values_list("inputs", flat=True)])


@pytest.mark.parametrize(
    "body,field",
    [
        ({"metric": "nope", "operator": "gt", "threshold": 1}, "metric"),
        ({"metric": "psi", "operator": "~", "threshold": 1}, "operator"),
        ({"metric": "psi", "operator": "gt", "threshold": "x"}, "threshold"),
        ({"metric": "psi", "operator": "gt"}, "threshold"),
        ({"metric": "psi", "operator": "gt", "threshold": 1, "extra": 1}, "extra"),
    ],
)
def test_rule_bad_input_names_the_field_and_writes_nothing(world: Any, tmp_path: Any, body: dict, field: str) -> None:
    d = make_setup(world.project, tmp_path)
    reference.reference_ensure(reference.config_for(d))
    before = list(DriftRule.objects.filter(deployment=d).values_list("feature", "metric", "operator", "threshold"))
    response = world.client(world.owner).put(
        f"/api/v1/projects/fraud-model/deployments/{d.name}/drift/rules/f0/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert (
        list(DriftRule.objects.filter(deployment=d).values_list("feature", "metric", "operator", "threshold")) == before
    )


def test_unknown_feature_rule_is_404(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    reference.reference_ensure(reference.config_for(d))
    response = world.client(world.owner).put(
        f"/api/v1/projects/fraud-model/deployments/{d.name}/drift/rules/nope/",
        {"metric": "psi", "operator": "gt", "threshold": 1},
        format="json",
    )
    assert response.status_code == 404


def test_outsider_sees_nothing(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    log_predictions(d, drifted_rows(100))
    monitors.monitors_run(deployment_id=d.pk)
    client = world.client(world.outsider)
    base = f"/api/v1/projects/fraud-model/deployments/{d.name}/"
    for path in ("drift/", "monitoring/", "flywheel/"):
        assert client.get(base + path).status_code == 404
    assert (
        client.put(
            base + "drift/rules/f0/", {"metric": "psi", "operator": "gt", "threshold": 1}, format="json"
        ).status_code
        == 404
    )
    assert client.patch(base + "monitoring/", {"window_kind": "hour"}, format="json").status_code == 404
    assert client.post(base + "flywheel/export/", {}, format="json").status_code == 404
    assert client.get("/api/v1/alerts/").json()["results"] == []
    assert client.get("/api/v1/monitoring/overview/").json()["results"] == []
    alert = Alert.objects.filter(project=world.project).first()
    assert alert is not None
    assert client.post(f"/api/v1/alerts/{alert.pk}/resolve/").status_code == 404


def test_settings_patch_and_bad_input(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    client = world.client(world.teammate)
    url = f"/api/v1/projects/fraud-model/deployments/{d.name}/monitoring/"
    ok = client.patch(url, {"window_kind": "last_n", "window_n": 100, "email_to": "ops@example.com"}, format="json")
    assert ok.status_code == 200, ok.content
    for body, field in (
        ({"window_kind": "week"}, "window_kind"),
        ({"window_n": 1}, "window_n"),
        ({"webhook_url": "not a url"}, "webhook_url"),
        ({"email_to": "nobody"}, "email_to"),
        ({"bogus": 1}, "bogus"),
    ):
        response = client.patch(url, body, format="json")
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
    config = MonitorConfig.objects.get(deployment=d)
    assert (config.window_kind, config.window_n, config.webhook_url) == ("last_n", 100, "")


def test_last_n_window(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    reference.config_update(deployment=d, values={"window_kind": "last_n", "window_n": 100})
    log_predictions(d, RNG.normal(size=(300, 4)), prefix="old", start=timezone.now() - dt.timedelta(hours=3))
    log_predictions(d, drifted_rows(100), prefix="new")
    monitors.monitors_run(deployment_id=d.pk)
    f0 = next(f for f in selectors.drift_table(deployment=d)["features"] if f["feature"] == "f0")
    assert f0["n_current"] == 100
    assert f0["status"] == "fail"


def test_alert_lifecycle_dedupe_webhook_email_resolve(world: Any, tmp_path: Any, hook: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the webhook receiver listens on 127.0.0.1
    d = make_setup(world.project, tmp_path)
    reference.config_update(deployment=d, values={"webhook_url": hook.url, "email_to": "ops@example.com"})
    log_predictions(d, drifted_rows())
    now = timezone.now()
    monitors.monitors_run(deployment_id=d.pk, now=now)
    alert = Alert.objects.get(key=f"monitor:{d.pk}:drift")
    assert alert.status == "open"
    assert alert.evidence is not None and alert.evidence.test_id == "monitor-3" and not alert.evidence.passed
    assert alert.link.endswith("?tab=drift")
    alerts.alert_deliver(alert_id=alert.pk)
    assert len(hook.bodies) == 1 and "f0" in hook.bodies[0]["text"]
    assert set(hook.bodies[0]) == {"text"}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@example.com"]
    assert alerts.alert_deliver(alert_id=alert.pk) == []  # delivered once
    # Still drifting: the same alert, seen again.
    monitors.monitors_run(deployment_id=d.pk, now=now + dt.timedelta(minutes=6))
    assert Alert.objects.filter(key=f"monitor:{d.pk}:drift").count() == 1
    alert.refresh_from_db()
    assert alert.occurrences == 2
    # The condition clears: resolved.
    for feature in ("f0", "prediction"):
        reference.drift_rule_update(deployment=d, feature=feature, metric="psi", operator="gt", threshold=1000.0)
    monitors.monitors_run(deployment_id=d.pk, now=now + dt.timedelta(minutes=12))
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_at is not None
    # Listed in-app with its evidence link.
    listed = world.client(world.owner).get("/api/v1/alerts/?status=resolved").json()["results"]
    assert listed[0]["evidence"]["test_id"] == "monitor-3"
    assert world.client(world.owner).get("/api/v1/alerts/?status=bogus").status_code == 400
    # ?team= narrows to one of the caller's teams; another team's slug lists nothing
    ours = world.client(world.owner).get("/api/v1/alerts/?team=acme").json()["results"]
    assert ours and len(ours) == len(world.client(world.owner).get("/api/v1/alerts/").json()["results"])
    assert world.client(world.owner).get("/api/v1/alerts/?team=rival").json()["results"] == []
    # Fires again as a new alert.
    reference.drift_rule_update(deployment=d, feature="f0", metric="psi", operator="gt", threshold=0.2)
    monitors.monitors_run(deployment_id=d.pk, now=now + dt.timedelta(minutes=18))
    assert Alert.objects.filter(key=f"monitor:{d.pk}:drift").count() == 2


def test_crashing_monitor_keeps_results_and_alerts_about_itself(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    log_predictions(d, drifted_rows(200))
    monitors.monitors_run(deployment_id=d.pk)
    before = DriftResult.objects.filter(deployment=d).count()
    assert before == 5
    # Corrupt the stored reference: the drift monitor crashes on the next run.
    MonitorConfig.objects.filter(deployment=d).update(
        reference={"features": [{"name": "f0"}], "input_features": FEATURES}
    )
    out = monitors.monitors_run(deployment_id=d.pk, force_drift=True)
    assert out["drift"] == "error"
    assert DriftResult.objects.filter(deployment=d).count() == before
    assert selectors.drift_table(deployment=d)["features"][0]["histogram"]["labels"]
    crash = Alert.objects.get(key=f"monitor-error:{d.pk}:drift", status="open")
    assert crash.severity == "error" and "crashed" in crash.title
    assert "drift" in MonitorConfig.objects.get(deployment=d).last_error
    # The other monitors still ran.
    assert out["staleness"] == "ok"
    # Fixed: the crash alert resolves.
    MonitorConfig.objects.filter(deployment=d).update(reference={}, reference_version=None)
    monitors.monitors_run(deployment_id=d.pk, force_drift=True)
    crash.refresh_from_db()
    assert crash.status == "resolved"


def test_invariants_numerics_staleness_performance_quality(world: Any, tmp_path: Any) -> None:
    from shipyard.rubric.models import Evidence
    from shipyard.serving.models import PredictionRollup

    d = make_setup(world.project, tmp_path)
    rows = RNG.normal(size=(100, 4))
    outputs: list[Any] = [0] * 100
    outputs[3] = "NaN"  # jsonb has no NaN: the log keeps non-finite numbers as strings
    violations = {i: [{"feature": "f2", "kind": "max"}] for i in range(5)}
    ids = log_predictions(d, rows, outputs=outputs, violations=violations)
    PredictionRollup.objects.create(
        deployment=d,
        version=d.live_version,
        bucket_start=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=1),
        count=100,
        latency_ms_sum=200,
        latency_hist=[0, 0, 0, 100] + [0] * 21,
    )
    for rid in ids[10:20]:
        feedback.feedback_submit(deployment=d, request_id=rid, label=0 if rid != ids[10] else 1)
    monitors.monitors_run(deployment_id=d.pk)
    status = {m["kind"]: m for m in selectors.monitor_status(deployment=d)["monitors"]}
    assert status["invariants"]["status"] == "fail"  # 5 % > 1 %
    assert status["invariants"]["detail"]["violations"] == {"f2": {"max": 5}}
    assert status["numerics"]["status"] == "fail" and status["numerics"]["value"] == 1
    assert status["staleness"]["status"] == "ok"
    assert status["performance"]["status"] == "ok" and status["performance"]["value"] == 2
    assert status["quality"]["value"] == pytest.approx(0.9)
    tests = set(Evidence.objects.filter(project=world.project, source="monitor").values_list("test_id", flat=True))
    assert {"monitor-2", "monitor-4", "monitor-5", "monitor-6", "monitor-7"} <= tests
    # Staleness fails past the limit.
    reference.config_update(deployment=d, values={"staleness_limit_days": 1})
    monitors.monitors_run(deployment_id=d.pk, now=timezone.now() + dt.timedelta(days=3))
    assert MonitorRun.objects.filter(deployment=d, kind="staleness").first().status == "fail"
    overview = world.client(world.owner).get("/api/v1/monitoring/overview/").json()["results"]
    assert overview[0]["deployment"] == d.name and overview[0]["status"] == "fail"
    # A run evaluated before the version existed (backfilled history) reports age 0, not a negative age.
    monitors.monitors_run(deployment_id=d.pk, now=timezone.now() - dt.timedelta(days=2))
    early = MonitorRun.objects.filter(deployment=d, kind="staleness").order_by("-computed_at").last()
    assert early.value == 0 and early.detail["model_age_days"] == 0 and early.status == "ok"


def test_quality_and_latency_regressions_against_previous_version(world: Any, tmp_path: Any) -> None:
    from shipyard.registry.models import ModelVersion
    from shipyard.serving.models import PredictionLog, PredictionRollup

    d = make_setup(world.project, tmp_path)
    old = d.live_version
    new = ModelVersion.objects.create(
        model=old.model,
        number=2,
        format="onnx",
        artifact_key=old.artifact_key,
        artifact_sha256=old.artifact_sha256,
        artifact_size=old.artifact_size,
        signature=old.signature,
        training_dataset=old.training_dataset,
    )
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    for version, bucket, hist in ((old, 3, [0, 0, 0, 50]), (new, 18, [0] * 18 + [50])):
        PredictionRollup.objects.create(
            deployment=d,
            version=version,
            bucket_start=minute - dt.timedelta(minutes=bucket),
            count=50,
            latency_hist=hist + [0] * (25 - len(hist)),
        )
    d.live_history = [old.pk]
    d.live_version = new
    d.save()
    for i, (version, correct) in enumerate([(old, True)] * 10 + [(new, True)] * 5 + [(new, False)] * 5):
        PredictionLog.objects.create(
            created_at=now - dt.timedelta(minutes=1),
            deployment_id=d.pk,
            version_id=version.pk,
            request_id=f"q-{i}",
            inputs=[0.0] * 4,
            outputs=1,
            latency_ms=1,
        )
        feedback.feedback_submit(deployment=d, request_id=f"q-{i}", label=1 if correct else 2)
    monitors.monitors_run(deployment_id=d.pk)
    status = {m["kind"]: m for m in selectors.monitor_status(deployment=d)["monitors"]}
    assert status["quality"]["status"] == "fail" and status["quality"]["detail"]["regressed"] is True
    assert status["performance"]["status"] == "fail" and status["performance"]["detail"]["regressed"] is True
    assert selectors.feedback_accuracy_by_version(deployment=d, since=now - dt.timedelta(days=1)) == {
        old.pk: 1.0,
        new.pk: 0.5,
    }


def test_skew_replays_logged_inputs_offline(world: Any, tmp_path: Any) -> None:
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml import skew

    d = make_setup(world.project, tmp_path)
    rows = RNG.normal(size=(50, 4))
    offline = skew.replay(artifact_path(d.live_version), "onnx", rows.tolist())
    online = list(offline)
    for i in (1, 7, 9):
        online[i] = (online[i] + 1) % 3
    log_predictions(d, rows, outputs=online)
    assert monitors.skew_run(deployment_id=d.pk) == "fail"
    run = MonitorRun.objects.get(deployment=d, kind="skew")
    assert run.detail["mismatches"] == 3 and run.value == pytest.approx(3 / 50)
    assert {e["request_id"] for e in run.detail["examples"]} == {"r-1", "r-7", "r-9"}
    assert Alert.objects.filter(key=f"monitor:{d.pk}:skew", status="open").exists()


def test_notify_hook_used_by_serving(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    alert = alerts.notify(project=world.project, title="Canary of x rolled back", deployment=d)
    assert alert.severity == "info" and alert.source == "deployment"
