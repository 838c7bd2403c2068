from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from shipyard.ci.models import CIConfig
from shipyard.core import crypto


def test_round_trip_and_tokens_differ(settings: Any) -> None:
    first, second = crypto.encrypt("s3cret"), crypto.encrypt("s3cret")
    assert first != second and first.startswith(crypto.PREFIX)
    assert crypto.decrypt(first) == crypto.decrypt(second) == "s3cret"
    assert crypto.decrypt("legacy-plain") == "legacy-plain"


def test_secret_key_rotation_with_fallbacks(settings: Any) -> None:
    token = crypto.encrypt("s3cret")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-0123456789-abcdefghijklmnop"
    assert crypto.decrypt(token) == "s3cret"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="SECRET_KEY_FALLBACKS"):
        crypto.decrypt(token)


def test_ci_secret_is_not_stored_in_plain_text(world: Any) -> None:
    CIConfig.objects.create(project=world.project, secret="webhook-secret-value")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM ci_ciconfig WHERE project_id = %s", [world.project.pk])
        stored = cursor.fetchone()[0]
    assert "webhook-secret-value" not in stored and stored.startswith(crypto.PREFIX)
    assert CIConfig.objects.get(project=world.project).secret == "webhook-secret-value"
