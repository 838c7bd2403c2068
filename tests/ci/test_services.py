"""Processing deliveries: runs, cases, tagging, evidence, metrics and regressions, dependency changes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from shipyard.ci import analysis, deliveries, services
from shipyard.ci.models import CIRun, Delivery, DependencyChange, MetricValue, Notification, TagRule
from shipyard.ci.notify import UnsafeURL, check_url
from shipyard.core.errors import DomainError
from shipyard.rubric.models import Evidence
from tests.ci.conftest import fixture_bytes


def deliver(
    project: Any,
    body: dict[str, Any] | bytes,
    *,
    provider: str = "shipyard",
    event: str = "report",
    content_type: str = "application/json",
    query: dict[str, str] | None = None,
) -> Delivery:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    delivery, created = deliveries.delivery_receive(
        project=project,
        provider=provider,
        delivery_id=f"d-{Delivery.objects.count()}",
        event=event,
        body=raw,
        content_type=content_type,
        query=query or {},
    )
    assert created
    deliveries.delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_native_report_records_run_cases_and_evidence(world: Any) -> None:
    delivery = deliver(
        world.project,
        {
            "run": {"id": "r1", "branch": "main", "commit": "c" * 40, "url": "https://ci/1"},
            "junit": fixture_bytes("pytest-junit.xml").decode(),
        },
    )
    assert delivery.status == "processed", delivery.error
    run = delivery.run
    assert run is not None
    assert (run.tests_total, run.tests_failed, run.tests_skipped, run.status) == (5, 1, 1, "failed")
    evidence = {e.test_id: e for e in Evidence.objects.filter(project=world.project)}
    assert set(evidence) == {"infra-1", "model-2"}
    assert evidence["infra-1"].passed is True and evidence["infra-1"].source == "ci"
    assert evidence["infra-1"].key == "ci:test_model_checks::test_training_is_reproducible"
    assert evidence["infra-1"].link == "https://ci/1"
    assert evidence["model-2"].passed is False
    assert not Evidence.objects.filter(project=world.other_project).exists()


def test_processing_twice_changes_nothing(world: Any) -> None:
    delivery = deliver(
        world.project, {"run": {"id": "r1", "branch": "main"}, "junit": fixture_bytes("pytest-junit.xml").decode()}
    )
    deliveries.delivery_process(delivery_id=delivery.pk)
    assert Evidence.objects.count() == 2
    assert CIRun.objects.count() == 1


def test_tag_rules_and_native_tests_list(world: Any) -> None:
    services.tag_rule_create(project=world.project, pattern="package/name2::*", rubric_id="infra-3")
    services.tag_rule_create(project=world.project, pattern="*TestTwo", rubric_id="infra-4")
    delivery = deliver(
        world.project,
        {
            "run": {"id": "r2", "branch": "main"},
            "junit": fixture_bytes("go-junit-report.xml").decode(),
            "tests": [{"name": "canary passes", "status": "passed", "rubric_ids": ["monitor-5"]}],
        },
    )
    run = delivery.run
    assert run is not None and run.tests_total == 5
    tags = {(c.classname, c.name): c.rubric_ids for c in run.cases.all()}
    assert tags[("package/name2", "TestOne")] == ["infra-3"]
    assert tags[("package/name2", "TestTwo")] == ["infra-3", "infra-4"]
    assert tags[("package/name1", "TestTwo")] == ["infra-4"]
    assert tags[("", "canary passes")] == ["monitor-5"]
    failing = Evidence.objects.get(key="ci:package/name2::TestOne")
    assert failing.test_id == "infra-3" and failing.passed is False


def test_unknown_tag_ids_are_ignored(world: Any) -> None:
    deliver(world.project, {"run": {"id": "r"}, "tests": [{"name": "t [mlts:infra-9]", "status": "passed"}]})
    assert not Evidence.objects.exists()


def test_tag_rule_service_validates(world: Any) -> None:
    with pytest.raises(DomainError) as excinfo:
        services.tag_rule_create(project=world.project, pattern="*", rubric_id="infra-99")
    assert excinfo.value.field == "rubric_id"
    assert not TagRule.objects.exists()


def test_xml_attack_in_json_marks_delivery_failed_with_reason(world: Any) -> None:
    attack = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&e;"/></testsuite>'
    delivery = deliver(world.project, {"run": {"id": "bad"}, "junit": attack})
    assert delivery.status == "failed"
    assert "DTDs and entities are not allowed" in delivery.error
    assert not CIRun.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"run": "x"}).encode(),
        json.dumps({"metrics": {"acc": "high"}}).encode(),
        json.dumps({"tests": [{"status": "passed"}]}).encode(),
    ],
)
def test_bad_native_bodies_fail_with_reason(world: Any, body: bytes) -> None:
    delivery = deliver(world.project, body)
    assert delivery.status == "failed" and delivery.error
    assert not CIRun.objects.exists()


def test_xml_body_with_query_fields(world: Any) -> None:
    delivery = deliver(
        world.project,
        fixture_bytes("jest-junit.xml"),
        content_type="application/xml",
        query={"id": "7", "branch": "dev", "commit": "abc"},
    )
    run = delivery.run
    assert run is not None and (run.external_id, run.branch, run.commit, run.tests_total) == ("7", "dev", "abc", 4)
    assert [c.rubric_ids for c in run.cases.exclude(rubric_ids=[])] == [["infra-2"]]
    assert not Evidence.objects.exists()  # "dev" is not the default branch


@pytest.mark.parametrize(
    ("fixture", "provider", "event", "expected"),
    [
        (
            "github-workflow_run.json",
            "github",
            "workflow_run",
            ("main", "acb5820ced9479c074f688cc328bf03f341a511d", "passed"),
        ),
        (
            "github-check_suite.json",
            "github",
            "check_suite",
            ("changes", "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "failed"),
        ),
        (
            "github-check_run.json",
            "github",
            "check_run",
            ("changes", "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "passed"),
        ),
        (
            "gitlab-pipeline.json",
            "gitlab",
            "Pipeline Hook",
            ("master", "bcbb5ec396a2c0f828686f14fac9b80b780504f2", "passed"),
        ),
        (
            "gitlab-job.json",
            "gitlab",
            "Job Hook",
            ("gitlab-script-trigger", "2293ada6b400935a1378653304eaf6221e0fdb8f", "failed"),
        ),
        (
            "circleci-workflow-completed.json",
            "circleci",
            "workflow-completed",
            ("main", "1dc6aa69429bff4806ad6afe58d3d8f57e25973e", "passed"),
        ),
        (
            "circleci-job-completed.json",
            "circleci",
            "job-completed",
            ("main", "1dc6aa69429bff4806ad6afe58d3d8f57e25973e", "failed"),
        ),
        (
            "buildkite-build.finished.json",
            "buildkite",
            "build.finished",
            ("main", "abcd0b72a1e580e90712cdd9eb26d3fb41cd09c8", "passed"),
        ),
    ],
)
def test_provider_payloads_import(
    world: Any, fixture: str, provider: str, event: str, expected: tuple[str, str, str]
) -> None:
    delivery = deliver(world.project, fixture_bytes(fixture), provider=provider, event=event)
    assert delivery.status == "processed", delivery.error
    run = delivery.run
    assert run is not None
    assert (run.branch, run.commit, run.status) == expected
    assert run.url.startswith("http")
    assert run.finished_at is not None


def test_github_ping_is_ignored(world: Any) -> None:
    delivery = deliver(
        world.project, b'{"zen": "Keep it logically awesome.", "hook_id": 1}', provider="github", event="ping"
    )
    assert delivery.status == "ignored" and "ping" in delivery.error


def test_updates_to_one_workflow_run_update_one_run(world: Any) -> None:
    payload = json.loads(fixture_bytes("github-workflow_run.json"))
    payload["workflow_run"].update(status="in_progress", conclusion=None)
    deliver(world.project, json.dumps(payload).encode(), provider="github", event="workflow_run")
    assert CIRun.objects.get().status == "running"
    deliver(world.project, fixture_bytes("github-workflow_run.json"), provider="github", event="workflow_run")
    assert CIRun.objects.get().status == "passed"


def metrics_run(project: Any, run_id: str, branch: str, metrics: dict[str, float]) -> CIRun:
    run = deliver(project, {"run": {"id": run_id, "branch": branch, "commit": run_id * 4}, "metrics": metrics}).run
    assert run is not None
    return run


def test_metric_regressions_against_default_branch_baseline(world: Any) -> None:
    for i, (acc, lat) in enumerate([(0.90, 100.0), (0.91, 104.0), (0.90, 98.0)]):
        metrics_run(world.project, f"m{i}", "main", {"accuracy": acc, "latency_p99_ms": lat})
    ok = metrics_run(world.project, "m3", "main", {"accuracy": 0.895, "latency_p99_ms": 109.0})
    assert not ok.metrics.filter(regression=True).exists()
    assert Evidence.objects.filter(test_id="monitor-6", key="ci:metrics:performance:main").latest("id").passed
    assert Evidence.objects.filter(test_id="monitor-7", key="ci:metrics:quality:main").latest("id").passed
    evidence_before = Evidence.objects.count()

    # a feature branch is judged against main's baseline and notified, but is not rubric evidence
    bad = metrics_run(world.project, "f2", "feature", {"accuracy": 0.88, "latency_p99_ms": 115.0})
    values = {m.name: m for m in bad.metrics.all()}
    assert values["accuracy"].regression and values["accuracy"].baseline == pytest.approx(0.90)
    assert values["latency_p99_ms"].regression and values["latency_p99_ms"].kind == "performance"
    assert Notification.objects.filter(kind="regression", run=bad).count() == 2  # one per kind
    assert Evidence.objects.count() == evidence_before
    assert Evidence.objects.filter(test_id="monitor-7").latest("id").passed

    # the same regression on main marks both rubric tests failing
    metrics_run(world.project, "m4", "main", {"accuracy": 0.88, "latency_p99_ms": 130.0})
    assert not Evidence.objects.filter(test_id="monitor-6").latest("observed_at", "id").passed
    assert not Evidence.objects.filter(test_id="monitor-7").latest("observed_at", "id").passed


def test_first_default_branch_run_establishes_the_baseline(world: Any) -> None:
    early = metrics_run(world.project, "w", "feature", {"accuracy": 0.5})
    assert MetricValue.objects.get(run=early).verdict == "unjudged"  # main has not reported accuracy yet
    assert not Evidence.objects.exists()

    run = metrics_run(world.project, "x", "main", {"accuracy": 0.5, "latency_p50_ms": 20.0})
    values = {m.name: m for m in MetricValue.objects.filter(run=run)}
    assert values["accuracy"].verdict == "baseline" and values["accuracy"].baseline == 0.5
    assert not values["accuracy"].regression
    quality = Evidence.objects.get(test_id="monitor-7")
    assert quality.passed and "baseline established" in quality.title
    assert quality.detail["metrics"]["accuracy"]["verdict"] == "baseline"
    assert Evidence.objects.get(test_id="monitor-6").passed
    assert not Notification.objects.exists()

    second = metrics_run(world.project, "y", "main", {"accuracy": 0.45, "latency_p50_ms": 20.5})
    values = {m.name: m for m in MetricValue.objects.filter(run=second)}
    assert values["accuracy"].verdict == "regression" and values["latency_p50_ms"].verdict == "ok"
    assert not Evidence.objects.filter(test_id="monitor-7").latest("observed_at", "id").passed
    series = world.client(world.owner).get("/api/v1/projects/fraud-model/ci/metrics/?branch=main").json()["series"]
    assert [p["verdict"] for p in series["accuracy"]] == ["baseline", "regression"]


def test_project_metric_policy_overrides_default(world: Any) -> None:
    services.metric_policy_set(
        project=world.project, metric="accuracy", direction="higher", tolerance=0.05, relative=False, kind="quality"
    )
    metrics_run(world.project, "b", "main", {"accuracy": 0.90})
    run = metrics_run(world.project, "c", "dev", {"accuracy": 0.86})
    assert not run.metrics.get().regression


def test_default_policies() -> None:
    assert analysis.default_policy("accuracy") == analysis.Policy("higher", 0.01, False, "quality")
    assert analysis.default_policy("val_loss").direction == "lower"
    assert analysis.default_policy("latency_p50_ms") == analysis.Policy("lower", 0.10, True, "performance")
    assert analysis.default_policy("throughput_rps").direction == "higher"
    assert analysis.default_policy("model_size_mb").kind == "performance"


def test_lockfile_parsing() -> None:
    text = "# pinned\nnumpy==1.26.4\nScikit_Learn==1.5.0 ; python_version>'3'\ntorch==2.13.0  # cpu\n-r base.txt\nrequests>=2.32\n"
    assert analysis.parse_lockfile(text) == {
        "numpy": "1.26.4",
        "scikit-learn": "1.5.0",
        "torch": "2.13.0",
        "requests": ">=2.32",
    }
    poetry = '[[package]]\nname = "NumPy"\nversion = "1.26.4"\n\n[[package]]\nname = "pandas"\nversion = "2.2.2"\n'
    assert analysis.parse_lockfile(poetry) == {"numpy": "1.26.4", "pandas": "2.2.2"}
    npm = json.dumps(
        {"lockfileVersion": 3, "packages": {"": {"name": "app"}, "node_modules/react": {"version": "19.0.0"}}}
    )
    assert analysis.parse_lockfile(npm) == {"react": "19.0.0"}


class Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        Receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Any:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.bodies = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver.bodies
    server.shutdown()
    server.server_close()


def test_dependency_change_is_diffed_recorded_and_notified(
    world: Any, receiver: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url, bodies = receiver
    settings.OUTBOUND_ALLOW_PRIVATE = True
    services.config_update(project=world.project, notify_url=url)
    deliver(
        world.project,
        {"run": {"id": "d1", "branch": "main", "commit": "1" * 40}, "lockfile": "numpy==1.26.4\npandas==2.2.2\n"},
    )
    assert not DependencyChange.objects.exists()
    assert not Evidence.objects.filter(test_id="monitor-1").exists()  # nothing to compare with yet
    deliver(world.project, {"run": {"id": "other", "branch": "dev"}, "lockfile": "flask==3.0\n"})  # another branch
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivery = deliver(
            world.project,
            {"run": {"id": "d2", "branch": "main", "commit": "2" * 40}, "lockfile": "numpy==2.0.0\nscipy==1.13.0\n"},
        )
    change = DependencyChange.objects.get()
    assert change.run == delivery.run
    assert change.added == {"scipy": "1.13.0"}
    assert change.removed == {"pandas": "2.2.2"}
    assert change.changed == {"numpy": ["1.26.4", "2.0.0"]}
    notification = Notification.objects.get(kind="dependencies")
    assert "numpy 1.26.4 -> 2.0.0" in notification.text
    evidence = Evidence.objects.get(test_id="monitor-1")
    assert evidence.passed and evidence.detail["changed"] == 1
    assert callbacks  # the outbound post is queued after commit; send it here, in-process
    services.notification_send(notification_id=notification.pk)
    assert json.loads(bodies[0]) == {"text": notification.text}
    notification.refresh_from_db()
    assert notification.outbound_status == "200"
    services.notification_send(notification_id=notification.pk)  # safe to run twice: sent once
    assert len(bodies) == 1


def test_outbound_url_guard(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    for url in [
        "http://127.0.0.1:8000/x",
        "http://10.0.0.5/x",
        "http://169.254.169.254/latest",
        "http://localhost/x",
        "ftp://example.com/x",
        "http://[::1]/x",
    ]:
        with pytest.raises(UnsafeURL):
            check_url(url)
    check_url("https://hooks.slack.com/services/T000/B000/XXXX", resolve=False)


def test_internal_notify_url_is_refused_by_the_service(world: Any, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(DomainError) as excinfo:
        services.config_update(project=world.project, notify_url="http://127.0.0.1:9/hook")
    assert excinfo.value.field == "notify_url"


def tagged_run(project: Any, run_id: str, branch: str, status: str) -> CIRun:
    run = deliver(
        project,
        {"run": {"id": run_id, "branch": branch}, "tests": [{"name": "reproducible [mlts:infra-1]", "status": status}]},
    ).run
    assert run is not None
    return run


def test_failing_tagged_test_on_a_feature_branch_is_not_evidence(world: Any) -> None:
    tagged_run(world.project, "main-1", "main", "passed")
    feature = tagged_run(world.project, "feat-1", "feature/risky", "failed")
    assert feature.status == "failed" and feature.cases.get().rubric_ids == ["infra-1"]  # stored and shown
    assert [e.passed for e in Evidence.objects.filter(test_id="infra-1")] == [True]
    score = world.client(world.owner).get("/api/v1/projects/fraud-model/score/").json()
    assert score["tests"]["infra-1"]["evidence_state"] == "verified"
    tagged_run(world.project, "main-2", "main", "failed")
    assert not Evidence.objects.filter(test_id="infra-1").latest("observed_at", "id").passed


def test_default_branch_auto_accepts_master_and_a_configured_one_only_itself(world: Any) -> None:
    tagged_run(world.project, "a", "master", "passed")
    tagged_run(world.project, "b", "refs/heads/main", "passed")  # stored as "main"
    assert CIRun.objects.get(external_id="b").branch == "main"
    assert Evidence.objects.filter(test_id="infra-1").count() == 2
    services.config_update(project=world.project, default_branch="origin/trunk")
    assert services.config_for(project=world.project).default_branches == ["trunk"]
    tagged_run(world.project, "c", "main", "failed")
    tagged_run(world.project, "d", "master", "failed")
    tagged_run(world.project, "e", "", "failed")  # no branch: not evidence either
    assert Evidence.objects.filter(test_id="infra-1").count() == 2
    tagged_run(world.project, "f", "trunk", "passed")
    assert Evidence.objects.filter(test_id="infra-1").count() == 3


def test_feature_branch_dependency_change_is_shown_but_not_evidence(world: Any) -> None:
    deliver(world.project, {"run": {"id": "f1", "branch": "feature"}, "lockfile": "numpy==1.26.4\n"})
    deliver(world.project, {"run": {"id": "f2", "branch": "feature"}, "lockfile": "numpy==2.0.0\n"})
    assert DependencyChange.objects.get().changed == {"numpy": ["1.26.4", "2.0.0"]}
    assert Notification.objects.filter(kind="dependencies").count() == 1
    assert not Evidence.objects.filter(test_id="monitor-1").exists()
