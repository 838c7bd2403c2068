"""The attack sweep: every route in the OpenAPI schema (plus the data-plane routes), called as an
outsider would call it.

Two teams. Team ``acme`` owns a full set of objects (project, dataset, model, version, deployment,
API key, alias, job, CI run, tag rule, metric policy, assessment, alert). Every route is called

- anonymously (401 unless the route is public),
- as ``rival``'s admin, member and viewer with acme's identifiers in the path (404, never a 403
  that leaks existence, never acme's data in a list, nothing written),
- as acme's viewer, member and maintainer where the route needs a higher role (403, nothing written),
- with a browser session but no CSRF token (403, nothing written),
- as acme's admin with hostile bodies: JSON nested 10,000 deep, NUL characters, a huge body,
  wrong top-level types and wrong field types (a 4xx in the error envelope, never a 5xx).

Failures are collected and reported together, so one run shows every hole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.monitoring.conftest import make_setup

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")
METHODS = ("get", *UNSAFE)
SECRET_PROJECT = "zz-acme-secret"
SECRET_NAME = "acmehidden"
SECRET_TEXT = "acme-confidential-description"
MARKERS = (SECRET_PROJECT, SECRET_NAME, SECRET_TEXT)

#: routes that authenticate by something other than a user (signatures): exempt from the user checks
SIGNED = re.compile(r"/ci/webhook/$")
#: account routes every signed-in user may call whatever their roles
ACCOUNT = re.compile(r"^/api/v1/auth/")
#: unsafe routes that use no ambient credential (the username and password travel in the body),
#: so a cross-site request can do nothing with the victim's session: no CSRF token needed
CREDENTIALS_IN_BODY = {("post", "/api/v1/auth/token/")}
#: unsafe routes and the role they need in the owning team (first match wins; default: member)
ROLE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/api/v1/teams/\{slug\}/members/"), "admin"),
    (re.compile(r"^/api/v1/projects/\{project\}/$"), "member"),  # PUT/PATCH; DELETE below
    (re.compile(r"/ci/(secret|settings)/$"), "maintainer"),
    (re.compile(r"/aliases/"), "maintainer"),
    (re.compile(r"^/api/v1/projects/\{project\}/deployments/\{name\}/replay/$"), "member"),  # starts a job
    (re.compile(r"^/api/v1/projects/\{project\}/deployments/$"), "maintainer"),
    (re.compile(r"^/api/v1/projects/\{project\}/deployments/\{name\}/"), "maintainer"),
]
RANK = {"viewer": 0, "member": 1, "maintainer": 2, "admin": 3}


def required_role(path: str, method: str) -> str:
    if method == "delete" and path == "/api/v1/projects/{project}/":
        return "admin"
    for pattern, role in ROLE_RULES:
        if pattern.search(path):
            return role
    return "member"


@dataclass
class Op:
    path: str
    method: str
    public: bool
    json_body: bool
    body_required: bool = False
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sweep:
    failures: list[str] = field(default_factory=list)

    def expect(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)

    def report(self) -> None:
        assert not self.failures, f"{len(self.failures)} problem(s):\n" + "\n".join(self.failures[:200])


def _schema_ops() -> list[Op]:
    client = Client()
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    ops = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            security = op.get("security") or [{}]
            public = {} in security
            body = op.get("requestBody") or {}
            content = body.get("content", {})
            props: dict[str, Any] = {}
            json_body = "application/json" in content
            if json_body:
                ref = content["application/json"].get("schema", {})
                props = _properties(schema, ref)
            ops.append(Op(path, method, public, json_body, bool(body.get("required")), props))
    return ops


def _properties(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in ref:
        name = ref["$ref"].rsplit("/", 1)[-1]
        ref = schema["components"]["schemas"][name]
    return dict(ref.get("properties") or {})


@dataclass
class World:
    users: dict[str, Any]
    params: dict[str, str]
    team: Any
    project: Any
    deployment: Any


def _world(tmp_path: Path) -> World:
    from django.utils import timezone

    from shipyard.accounts.services import token_for
    from shipyard.ci.models import CIRun, MetricPolicy, TagRule, TestCase
    from shipyard.jobs.models import Job
    from shipyard.monitoring.models import Alert
    from shipyard.registry.models import Alias
    from shipyard.releases.models import Push
    from shipyard.rubric.services import assessment_create
    from shipyard.serving.models import ApiKey

    acme, rival = TeamFactory(slug="acme", name="Acme"), TeamFactory(slug="rival", name="Rival")
    users = {}
    for team, prefix in ((acme, "acme"), (rival, "rival")):
        for role in RANK:
            user = UserFactory(username=f"{prefix}-{role}")
            MembershipFactory(user=user, team=team, role=role)
            users[f"{prefix}-{role}"] = user
    project = ProjectFactory(team=acme, slug=SECRET_PROJECT, name="Acme secret", description=SECRET_TEXT)
    ProjectFactory(team=rival, slug="rival-project", name="Rival project")
    deployment = make_setup(project, tmp_path, name=SECRET_NAME)
    version = deployment.live_version
    dataset_version = version.training_dataset
    job = Job.objects.create(project=project, kind="evaluate", model_version=version, status="succeeded")
    run = CIRun.objects.create(project=project, provider="generic", external_id="run-1", name="ci", status="passed")
    TestCase.objects.create(run=run, name="test_secret", status="passed")
    rule = TagRule.objects.create(project=project, pattern="*secret*", rubric_id="data-1")
    MetricPolicy.objects.create(project=project, metric="accuracy", direction="higher", tolerance=0.01, kind="quality")
    key = ApiKey.objects.create(deployment=deployment, name="k", key_hash="0" * 64, prefix="sk_0")
    Alias.objects.create(model=version.model, name="champion", version=version)
    push = Push.objects.create(
        deployment=deployment, version=version, commit="a" * 40, branch="main", ci_run=run, evaluate_job=job
    )
    assessment, _ = assessment_create(
        project=project, answers={"data-1": {"status": "manual", "note": "x"}}, base_id=None, by=None
    )
    now = timezone.now()
    alert = Alert.objects.create(
        project=project, deployment=deployment, key="k", title="drift", opened_at=now, last_seen_at=now
    )
    for user in users.values():
        user.token = token_for(user=user)
    params = {
        "project": project.slug,
        "assessment": str(assessment.pk),
        "metric": "accuracy",
        "run": str(run.pk),
        "rule": str(rule.pk),
        "deployment": deployment.name,
        "feature": "f0",
        "key_id": str(key.pk),
        "model": version.model.name,
        "alias": "champion",
        "number": str(version.number),
        "alert_id": str(alert.pk),
        "push_id": str(push.pk),
        "id": str(job.pk),
        "team": acme.slug,
        "slug": acme.slug,
    }
    params["_dataset"] = dataset_version.dataset.name
    params["_dataset_number"] = str(dataset_version.number)
    return World(users, params, acme, project, deployment)


def _url(op: Op, params: dict[str, str]) -> str:
    path = op.path
    if "/datasets/{name}" in path:
        path = path.replace("{name}", params["_dataset"]).replace("{number}", params["_dataset_number"])
    else:
        path = path.replace("{name}", params["deployment"])
    return re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)


def _call(client: Client, method: str, url: str, body: Any = None, raw: bytes | None = None, **headers: str) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if method != "get":
        if raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        elif body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def _token(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {user.token}"}


TRACKED_APPS = ("accounts", "projects", "rubric", "ci", "registry", "jobs", "serving", "monitoring")
#: rows that reads legitimately touch (lazy rubric catalogue, throttling, heartbeats)
UNTRACKED = {"rubric.rubric", "rubric.rubricsection", "rubric.rubrictest"}


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label not in TRACKED_APPS or label in UNTRACKED:
            continue
        out[label] = list(model.objects.order_by("pk").values())
    return out


def _diff(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]


def _envelope(response: Any) -> bool:
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]


@pytest.fixture
def sweep_world(tmp_path: Path, settings: Any) -> World:
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    return _world(tmp_path)


def test_sweep_anonymous_outsiders_roles_csrf(sweep_world: World) -> None:
    w, s = sweep_world, Sweep()
    ops = _schema_ops()
    assert len(ops) > 60, "the schema lost its routes"
    client = Client(raise_request_exception=False)

    # 1. anonymous: every non-public route is a 401 in the envelope
    for op in ops:
        url = _url(op, w.params)
        r = _call(client, op.method, url, {} if op.method != "get" else None)
        s.expect(r.status_code < 500, f"anonymous {op.method.upper()} {url}: {r.status_code}")
        if not op.public:
            s.expect(r.status_code == 401 and _envelope(r), f"anonymous {op.method.upper()} {url}: {r.status_code}")

    # 2. another team's admin, member and viewer: 404 on acme's objects, nothing of acme in lists
    before = _snapshot()
    for who in ("rival-admin", "rival-member", "rival-viewer"):
        headers = _token(w.users[who])
        for op in ops:
            url = _url(op, w.params)
            scoped = "{" in op.path and not SIGNED.search(op.path)
            if op.method == "get" and not scoped:
                for query in ("", "?team=acme", f"?project={SECRET_PROJECT}"):
                    r = _call(client, "get", url + query, **headers)
                    s.expect(r.status_code < 500, f"{who} GET {url}{query}: {r.status_code}")
                    text = r.content.decode(errors="replace")
                    leaked = [m for m in MARKERS if m in text]
                    s.expect(not leaked, f"{who} GET {url}{query} shows acme's {leaked}")
                continue
            if not scoped:
                continue
            r = _call(client, op.method, url, {} if op.method != "get" else None, **headers)
            s.expect(
                r.status_code == 404 and _envelope(r), f"{who} {op.method.upper()} {url}: {r.status_code} (want 404)"
            )
        # collection writes that name acme's objects in the body
        # (a team is named in the body: the same 400 for another team's slug as for an unknown one)
        for url, body, want in (
            ("/api/v1/projects/", {"slug": "planted", "name": "planted", "team": "acme"}, 400),
            (
                "/api/v1/jobs/",
                {"project": SECRET_PROJECT, "kind": "evaluate", "model_version": w.params["number"]},
                404,
            ),
            (
                "/api/v1/jobs/",
                {"project": SECRET_PROJECT, "kind": "evaluate", "model_version": w.deployment.live_version_id},
                404,
            ),
        ):
            r = _call(client, "post", url, body, **headers)
            s.expect(r.status_code == want, f"{who} POST {url} naming acme: {r.status_code} (want {want})")
            s.expect(not any(m in r.content.decode() for m in MARKERS[2:]), f"{who} POST {url} echoes acme's data")
    s.expect(not (changed := _diff(before, _snapshot())), f"outsiders changed rows in {changed}")

    # 3. lower roles inside acme: 403 where the route needs more, nothing written
    before = _snapshot()
    for role in ("viewer", "member", "maintainer"):
        headers = _token(w.users[f"acme-{role}"])
        for op in ops:
            if op.method not in UNSAFE or SIGNED.search(op.path) or ACCOUNT.search(op.path):
                continue
            if op.path in ("/api/v1/teams/", "/api/v1/projects/", "/api/v1/jobs/"):
                continue  # creates in a team of the caller's choosing: covered below
            if RANK[role] >= RANK[required_role(op.path, op.method)]:
                continue
            url = _url(op, w.params)
            r = _call(client, op.method, url, {} if op.method != "delete" else None, **headers)
            s.expect(
                r.status_code == 403 and _envelope(r),
                f"acme-{role} {op.method.upper()} {url}: {r.status_code} (needs {required_role(op.path, op.method)})",
            )
    viewer = _token(w.users["acme-viewer"])
    for url, body in (
        ("/api/v1/projects/", {"slug": "by-viewer", "name": "by viewer", "team": "acme"}),
        (
            "/api/v1/jobs/",
            {"project": SECRET_PROJECT, "kind": "evaluate", "model_version": w.deployment.live_version_id},
        ),
    ):
        r = _call(client, "post", url, body, **viewer)
        s.expect(r.status_code == 403, f"acme-viewer POST {url}: {r.status_code} (want 403)")
    s.expect(not (changed := _diff(before, _snapshot())), f"lower roles changed rows in {changed}")

    # 4. a browser session without the CSRF token: 403 on every unsafe route, nothing written
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    browser.force_login(w.users["acme-admin"])
    before = _snapshot()
    for op in ops:
        if op.method not in UNSAFE or SIGNED.search(op.path) or (op.method, op.path) in CREDENTIALS_IN_BODY:
            continue
        url = _url(op, w.params)
        r = _call(browser, op.method, url, {} if op.method != "delete" else None)
        s.expect(
            r.status_code == 403 and _envelope(r), f"session without CSRF {op.method.upper()} {url}: {r.status_code}"
        )
    for path in ("predict", "feedback", "explain"):
        url = f"/serve/{SECRET_PROJECT}/{SECRET_NAME}/{path}"
        r = _call(
            browser, "post", url, {"request_id": "x", "label": 1} if path == "feedback" else {"inputs": [[0, 0, 0, 0]]}
        )
        s.expect(r.status_code == 403 and _envelope(r), f"session without CSRF POST {url}: {r.status_code}")
    s.expect(not (changed := _diff(before, _snapshot())), f"CSRF-less requests changed rows in {changed}")

    # 5. the data plane: authenticate first, then 404; another team's token is a 404
    for path in ("predict", "feedback", "explain"):
        for project, name in ((SECRET_PROJECT, SECRET_NAME), ("no-such-project", "nothing")):
            url = f"/serve/{project}/{name}/{path}"
            r = _call(client, "post", url, {"inputs": [[0, 0, 0, 0]]})
            s.expect(r.status_code == 401 and _envelope(r), f"anonymous POST {url}: {r.status_code} (want 401)")
            r = _call(client, "post", url, {"inputs": [[0, 0, 0, 0]]}, **_token(w.users["rival-admin"]))
            s.expect(r.status_code == 404 and _envelope(r), f"rival-admin POST {url}: {r.status_code} (want 404)")
    s.report()


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _wrong(prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    if kind in ("integer", "number", "boolean"):
        return {"nested": ["x"]}
    if kind == "string":
        return [["x"], {"y": 1}]
    return 12345


def test_sweep_hostile_bodies(sweep_world: World) -> None:
    w, s = sweep_world, Sweep()
    client = Client(raise_request_exception=False)
    headers = _token(w.users["acme-admin"])
    ops = [op for op in _schema_ops() if op.method in ("post", "put", "patch") and not SIGNED.search(op.path)]
    # Destructive routes run after the others so that the world stays whole while it is attacked.
    ops.sort(key=lambda op: ("rollback" in op.path or "revoke" in op.path or "logout" in op.path, op.path))
    huge = json.dumps({"x": "a" * (30 * 1024 * 1024)}).encode()
    for op in ops:
        url = _url(op, w.params)
        name = f"{op.method.upper()} {url}"
        if not op.json_body:
            r = _call(client, op.method, url, raw=_deep(10_000), **headers)
            s.expect(r.status_code < 500, f"{name} deep (non-JSON route): {r.status_code}")
            continue
        r = _call(client, op.method, url, raw=_deep(10_000), **headers)
        s.expect(r.status_code == 400 and _envelope(r), f"{name} nested 10,000 deep: {r.status_code} (want 400)")
        r = _call(client, op.method, url, raw=b'{"a":' * 5000 + b"1" + b"}" * 5000, **headers)
        s.expect(r.status_code == 400 and _envelope(r), f"{name} object nested 5,000 deep: {r.status_code}")
        nul_body = {key: "bad\u0000value" for key in op.properties} or {"name": "bad\u0000value"}
        r = _call(client, op.method, url, nul_body, **headers)
        s.expect(r.status_code == 400 and _envelope(r), f"{name} NUL in values: {r.status_code} (want 400)")
        r = _call(client, op.method, url, {"bad\u0000key": 1, **{k: "x" for k in list(op.properties)[:1]}}, **headers)
        s.expect(r.status_code == 400 and _envelope(r), f"{name} NUL in a key: {r.status_code} (want 400)")
        r = _call(client, op.method, url, raw=huge, **headers)
        s.expect(r.status_code == 413 and _envelope(r), f"{name} 30 MB body: {r.status_code} (want 413)")
        for top in (b"[1, 2]", b'"text"', b"12", b"null", b"{", b"\xff\xfe"):
            if top == b"null" and not op.body_required:
                continue  # an optional body may be absent, and JSON null says just that
            r = _call(client, op.method, url, raw=top, **headers)
            s.expect(400 <= r.status_code < 500 and _envelope(r), f"{name} body {top!r}: {r.status_code}")
        for key, prop in op.properties.items():
            if prop.get("readOnly"):
                continue
            r = _call(client, op.method, url, {key: _wrong(prop)}, **headers)
            s.expect(r.status_code < 500, f"{name} wrong type for {key}: {r.status_code}")
    for path in ("predict", "feedback", "explain"):
        url = f"/serve/{SECRET_PROJECT}/{SECRET_NAME}/{path}"
        r = _call(client, "post", url, raw=_deep(10_000), **headers)
        s.expect(r.status_code == 400 and _envelope(r), f"POST {url} nested 10,000 deep: {r.status_code}")
        r = _call(client, "post", url, {"inputs": [["\u0000"]], "request_id": "\u0000", "label": "\u0000"}, **headers)
        s.expect(r.status_code == 400 and _envelope(r), f"POST {url} NUL: {r.status_code}")
    r = _call(
        client,
        "post",
        f"/serve/{SECRET_PROJECT}/{SECRET_NAME}/predict",
        raw=b'{"inputs": [' + b"[1.0]," * 9_000_000 + b"[1.0]]}",
        **headers,
    )
    s.expect(r.status_code == 413 and _envelope(r), f"predict 50 MB body: {r.status_code} (want 413)")
    s.report()
