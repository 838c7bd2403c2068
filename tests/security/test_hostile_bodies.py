"""Hostile request bodies and headers against the generic parts of the API and the HTML pages.

Each test performs the attack against the real stack (PostgreSQL, the full middleware chain and
URL configuration): deep JSON nesting, NUL characters, an unknown API path posted with a session
but no CSRF token, a service that blows up, and the Content-Security-Policy on HTML responses.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from shipyard.projects.models import Project
from shipyard.rubric.models import Assessment
from tests.jobs.conftest import MLP_CONFIG

pytestmark = pytest.mark.django_db

DEEP = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000
ASSESSMENTS = "/api/v1/projects/fraud-model/assessments/"


def post_raw(client: Client, url: str, body: str) -> Any:
    return client.post(url, data=body.encode(), content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    error: dict[str, Any] = json.loads(response.content)["error"]
    assert error["code"] == code
    assert error["message"]
    return error


# -- deep nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deep_json_to_the_anonymous_token_endpoint_is_a_400(body: str) -> None:
    response = post_raw(APIClient(), "/api/v1/auth/token/", body)
    error = assert_error(response, 400, "parse_error")
    assert "nested deeper than 200" in error["message"]


def test_deep_json_to_project_create_is_a_400(world: Any) -> None:
    response = post_raw(world.client(world.teammate), "/api/v1/projects/", DEEP)
    assert_error(response, 400, "parse_error")
    assert Project.objects.count() == 2


def test_deep_json_in_an_assessment_is_a_400(world: Any) -> None:
    nested = "[" * 10_000 + "]" * 10_000
    body = '{"answers": {"data-1": {"status": "manual", "note": "x", "links": ' + nested + "}}}"
    response = post_raw(world.client(world.teammate), ASSESSMENTS, body)
    assert_error(response, 400, "parse_error")
    assert not Assessment.objects.exists()


def test_nesting_past_the_limit_but_within_the_interpreter_is_a_400(world: Any) -> None:
    # 300 levels decode without a RecursionError; the parser's own limit refuses them.
    body = json.dumps({"answers": {"data-1": {"status": "manual", "links": json.loads("[" * 300 + "]" * 300)}}})
    response = post_raw(world.client(world.teammate), ASSESSMENTS, body)
    error = assert_error(response, 400, "parse_error")
    assert "nested deeper than 200" in error["message"]


def test_ordinary_nesting_still_parses(world: Any) -> None:
    links = json.loads("[" * 50 + "]" * 50)
    response = world.client(world.teammate).post(
        ASSESSMENTS, {"answers": {"data-1": {"status": "manual", "links": links}}}, format="json"
    )
    # Reaches the serializer, which names the malformed field: the parser let it through.
    error = assert_error(response, 400, "invalid")
    assert any(name.startswith("answers") for name in error["fields"])


# -- NUL characters -----------------------------------------------------------------------------


def test_nul_in_a_json_field_value_is_a_400_naming_its_path(world: Any) -> None:
    body = {"answers": {"data-1": {"status": "manual", "note": "before\x00after", "links": []}}}
    response = world.client(world.teammate).post(ASSESSMENTS, body, format="json")
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"answers.data-1.note": ["NUL characters are not allowed."]}
    assert not Assessment.objects.exists()


@pytest.fixture
def version(world: Any) -> Any:
    from shipyard.registry.models import ModelVersion, RegisteredModel

    model = RegisteredModel.objects.create(project=world.project, name="digits-mlp")
    return ModelVersion.objects.create(
        model=model,
        number=1,
        format="state_dict",
        artifact_key="sha256/00/" + "0" * 62,
        artifact_sha256="0" * 64,
        artifact_size=1,
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
    )


@pytest.mark.parametrize(
    ("config", "field"),
    [({"note": "a\x00b"}, "params.config.note"), ({"n\x00": "ab"}, "params.config.n")],
    ids=["value", "key"],
)
def test_nul_in_a_job_params_json_value_or_key_is_a_400(
    world: Any, version: Any, config: dict[str, Any], field: str
) -> None:
    # The recipe config is stored as jsonb unchanged: PostgreSQL refused the NUL with a 500.
    from shipyard.jobs.models import Job

    body = {
        "project": "fraud-model",
        "kind": "training_tests",
        "model_version": version.pk,
        "params": {"config": config},
    }
    response = world.client(world.teammate).post("/api/v1/jobs/", body, format="json")
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {field: ["NUL characters are not allowed."]}
    assert not Job.objects.exists()


def test_nul_in_a_json_field_key_is_a_400_naming_its_path(world: Any) -> None:
    body = {"answers": {"data-1": {"status": "manual", "note": "ok", "links": [], "x\x00y": 1}}}
    response = world.client(world.teammate).post(ASSESSMENTS, body, format="json")
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"answers.data-1.xy": ["NUL characters are not allowed."]}
    assert not Assessment.objects.exists()


def test_nul_inside_a_list_names_the_index(world: Any) -> None:
    body = {"answers": {"data-1": {"status": "manual", "links": ["https://a.example", "b\x00"]}}}
    response = world.client(world.teammate).post(ASSESSMENTS, body, format="json")
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"answers.data-1.links[1]": ["NUL characters are not allowed."]}


def test_nul_in_a_char_field_is_a_400_naming_the_field(world: Any) -> None:
    body = {"team": "acme", "name": "Fraud", "slug": "fraud-2", "description": "a\x00b"}
    response = world.client(world.teammate).post("/api/v1/projects/", body, format="json")
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["description"]
    assert not Project.objects.filter(slug="fraud-2").exists()


def test_nul_in_the_anonymous_token_request_is_a_400() -> None:
    response = APIClient().post("/api/v1/auth/token/", {"username": "a\x00", "password": "x"}, format="json")
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"username": ["NUL characters are not allowed."]}


def test_nul_in_a_query_parameter_is_still_a_400(world: Any) -> None:
    response = world.client(world.teammate).get("/api/v1/projects/", {"search": "a\x00"})
    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"search": ["NUL characters are not allowed."]}


# -- no debug output --------------------------------------------------------------------------


def test_an_unexpected_error_is_a_json_500_without_details(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from shipyard.projects import services

    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom at /srv/secret/settings.py with SECRET_KEY=hunter2")

    monkeypatch.setattr(services, "project_create", explode)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.teammate)
    response = client.post("/api/v1/projects/", {"team": "acme", "name": "X", "slug": "x"}, format="json")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": {"code": "server_error", "message": "Internal server error."}}
    text = response.content.decode()
    for leak in ("boom", "/srv/", "SECRET_KEY", "Traceback", "RuntimeError", "settings"):
        assert leak not in text


# -- CSRF on unknown and known API paths --------------------------------------------------------


def test_unknown_api_post_with_a_session_and_no_csrf_token_is_a_json_404(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.teammate)
    response = client.post("/api/v1/no-such-thing/", data=b"{}", content_type="application/json")
    error = assert_error(response, 404, "not_found")
    assert error["message"] == "No API endpoint at /api/v1/no-such-thing/."
    anonymous = Client(enforce_csrf_checks=True).post("/api/nothing", data=b"{}", content_type="application/json")
    assert_error(anonymous, 404, "not_found")


def test_known_api_post_with_a_session_and_no_csrf_token_is_a_json_403(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.teammate)
    response = client.post(
        "/api/v1/projects/",
        data=json.dumps({"team": "acme", "name": "X", "slug": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"].startswith("CSRF Failed")
    assert not Project.objects.filter(slug="x").exists()


@pytest.mark.parametrize("path", ["/api/v1/anything/", "/serve/acme/model/predict"])
def test_the_csrf_failure_view_answers_in_json_for_api_and_serving_paths(path: str) -> None:
    from django.test import RequestFactory

    from shipyard.core.views import csrf_failure

    response = csrf_failure(RequestFactory().post(path), reason="CSRF cookie not set.")
    assert_error(response, 403, "csrf_failed")
    assert "CSRF cookie not set" in json.loads(response.content)["error"]["message"]


def test_the_admin_login_keeps_djangos_csrf_page(world: Any) -> None:
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "CSRF verification failed" in response.content.decode()


# -- Content-Security-Policy and the API docs -----------------------------------------------------


def csp_directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict_csp(response: Any) -> None:
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]


def test_the_app_page_carries_a_strict_csp() -> None:
    response = Client().get("/")
    assert response["Content-Type"].startswith("text/html")
    assert_strict_csp(response)


def test_the_api_docs_carry_a_strict_csp_and_load_nothing_from_elsewhere() -> None:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert_strict_csp(response)
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "https://" not in html and "http://" not in html
    assert "<script>" not in html  # no inline script: the start-up script is a file of its own
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    script = Client().get(next(s for s in sources if "script" in s and s.startswith("/api/docs/")))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_the_admin_carries_a_strict_csp() -> None:
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert_strict_csp(response)


def test_json_responses_carry_no_page_policy(world: Any) -> None:
    response = world.client(world.teammate).get("/api/v1/projects/")
    assert "Content-Security-Policy" not in response
