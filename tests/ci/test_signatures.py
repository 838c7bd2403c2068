"""Signature checks per provider, as pure functions (no database)."""

from __future__ import annotations

import time

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from shipyard.ci.signatures import (
    SignatureError,
    hmac_hex,
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
    header = shipyard_sign(SECRET, BODY, delivery_id="d-1", timestamp=int(time.time()) + skew)
    with pytest.raises(SignatureError, match="300 s"):
        verify_shipyard([SECRET], BODY, header, delivery_id="d-1")


def test_shipyard_timestamp_within_tolerance_is_accepted() -> None:
    now = 1_700_000_000
    for t in (now - 299, now + 299):
        header = shipyard_sign(SECRET, BODY, delivery_id="d-1", timestamp=t)
        assert verify_shipyard([SECRET], BODY, header, delivery_id="d-1", now=now)  # raises when refused


def test_shipyard_signature_covers_the_delivery_id() -> None:
    header = shipyard_sign(SECRET, BODY, delivery_id="d-1")
    assert verify_shipyard([SECRET], BODY, header, delivery_id="d-1")
    for other in ("d-2", "d-1 ", "", "d"):
        with pytest.raises(SignatureError):
            verify_shipyard([SECRET], BODY, header, delivery_id=other)


def test_shipyard_v1_without_the_delivery_id_is_refused_with_a_reason() -> None:
    t = int(time.time())
    header = f"t={t},v1={hmac_hex(SECRET, f'{t}.'.encode() + BODY)}"
    with pytest.raises(SignatureError, match="v1 does not cover the delivery id"):
        verify_shipyard([SECRET], BODY, header, delivery_id="d-1")


@pytest.mark.parametrize("provider", ["shipyard", "github", "circleci", "buildkite"])
def test_signed_schemes_return_the_verified_mac_as_replay_key(provider: str) -> None:
    headers = CaseInsensitiveMapping(signed_headers(provider, SECRET, BODY))
    key = identify_and_verify([SECRET], BODY, headers).replay_key
    assert key.startswith(f"{provider}:") and len(key) == len(provider) + 1 + 64
    # the same MAC under a reordered or padded header is the same key
    assert identify_and_verify(["other", SECRET], BODY, headers).replay_key == key


@pytest.mark.parametrize("provider", ["gitlab", "generic"])
def test_token_schemes_have_no_replay_key(provider: str) -> None:
    headers = CaseInsensitiveMapping(signed_headers(provider, SECRET, BODY))
    assert identify_and_verify([SECRET], BODY, headers).replay_key == ""


def test_stale_buildkite_signature_is_refused() -> None:
    now = 1_700_000_000
    headers = signed_headers("buildkite", SECRET, BODY, now=now - 400)
    with pytest.raises(SignatureError):
        verify_buildkite([SECRET], BODY, headers["X-Buildkite-Signature"], now=now)


def test_malformed_headers_are_refused() -> None:
    for header in ["", "t=abc,v2=00", "v2=00", "t=1", "t=abc,v1=00"]:
        with pytest.raises(SignatureError):
            verify_shipyard([SECRET], BODY, header, delivery_id="d-1")
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
