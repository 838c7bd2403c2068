"""Signature checks per provider, as pure functions (no database)."""

from __future__ import annotations

import time

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from shipyard.ci.signatures import (
    SignatureError,
    identify_and_verify,
    shipyard_sign,
    verify_buildkite,
    verify_circleci,
    verify_github,
    verify_shipyard,
)
from tests.ci.conftest import signed_headers

SECRET = "s3cret-value"
BODY = b'{"run": {"id": "1"}}'


def test_github_documented_test_vector_verifies() -> None:
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    verify_github(
        ["It's a Secret to Everybody"],
        b"Hello, World!",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )
    with pytest.raises(SignatureError):
        verify_github(
            ["It's a Secret to Everybody"],
            b"Hello, World?",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        )


@pytest.mark.parametrize("provider", ["shipyard", "github", "gitlab", "circleci", "buildkite", "generic"])
def test_each_provider_is_recognised_and_verified(provider: str) -> None:
    headers = CaseInsensitiveMapping(signed_headers(provider, SECRET, BODY))
    verified = identify_and_verify([SECRET], BODY, headers)
    assert verified.provider == provider
    assert verified.delivery_id


@pytest.mark.parametrize("provider", ["shipyard", "github", "circleci", "buildkite"])
def test_tampered_body_is_refused(provider: str) -> None:
    headers = CaseInsensitiveMapping(signed_headers(provider, SECRET, BODY))
    with pytest.raises(SignatureError):
        identify_and_verify([SECRET], BODY + b" ", headers)


@pytest.mark.parametrize("provider", ["shipyard", "github", "gitlab", "circleci", "buildkite", "generic"])
def test_wrong_secret_is_refused(provider: str) -> None:
    headers = CaseInsensitiveMapping(signed_headers(provider, "another-secret", BODY))
    with pytest.raises(SignatureError):
        identify_and_verify([SECRET], BODY, headers)


def test_missing_signature_is_refused() -> None:
    with pytest.raises(SignatureError, match="no recognised signature"):
        identify_and_verify([SECRET], BODY, CaseInsensitiveMapping({"Content-Type": "application/json"}))
    with pytest.raises(SignatureError):  # an event header without its signature
        identify_and_verify([SECRET], BODY, CaseInsensitiveMapping({"X-GitHub-Event": "workflow_run"}))


@pytest.mark.parametrize("skew", [-301, 301, -10_000])
def test_stale_or_future_shipyard_timestamp_is_refused(skew: int) -> None:
    header = shipyard_sign(SECRET, BODY, int(time.time()) + skew)
    with pytest.raises(SignatureError, match="300 s"):
        verify_shipyard([SECRET], BODY, header)


def test_shipyard_timestamp_within_tolerance_is_accepted() -> None:
    now = 1_700_000_000
    verify_shipyard([SECRET], BODY, shipyard_sign(SECRET, BODY, now - 299), now=now)
    verify_shipyard([SECRET], BODY, shipyard_sign(SECRET, BODY, now + 299), now=now)


def test_stale_buildkite_signature_is_refused() -> None:
    now = 1_700_000_000
    headers = signed_headers("buildkite", SECRET, BODY, now=now - 400)
    with pytest.raises(SignatureError):
        verify_buildkite([SECRET], BODY, headers["X-Buildkite-Signature"], now=now)


def test_malformed_headers_are_refused() -> None:
    for header in ["", "t=abc,v1=00", "v1=00", "t=1"]:
        with pytest.raises(SignatureError):
            verify_shipyard([SECRET], BODY, header)
    with pytest.raises(SignatureError):
        verify_circleci([SECRET], BODY, "v2=abc")
    with pytest.raises(SignatureError):
        verify_github([SECRET], BODY, "sha1=abc")


def test_previous_secret_is_a_candidate() -> None:
    headers = CaseInsensitiveMapping(signed_headers("github", "old", BODY))
    assert identify_and_verify(["new", "old"], BODY, headers).provider == "github"


def test_no_secret_configured_refuses_everything() -> None:
    headers = CaseInsensitiveMapping(signed_headers("generic", "", BODY))
    with pytest.raises(SignatureError, match="no CI secret"):
        identify_and_verify([], BODY, headers)


def test_circleci_delivery_id_comes_from_the_body() -> None:
    body = b'{"id": "3888f21b-eaa7-38e3-8f3d-75a63bba8895", "type": "workflow-completed"}'
    headers = CaseInsensitiveMapping(signed_headers("circleci", SECRET, body))
    assert identify_and_verify([SECRET], body, headers).delivery_id == "3888f21b-eaa7-38e3-8f3d-75a63bba8895"
