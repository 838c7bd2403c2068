from __future__ import annotations

from typing import Any

import pytest

from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def viewer(world: Any) -> Any:
    """A viewer of team acme: may read the rubric screens, may not answer."""
    user = UserFactory(username="watcher")
    MembershipFactory(user=user, team=world.team, role="viewer")
    return user


def answers(**statuses: str) -> dict[str, Any]:
    """answers(data_1="manual") -> {"data-1": {"status": "manual"}}"""
    return {key.replace("_", "-"): {"status": value} for key, value in statuses.items()}
