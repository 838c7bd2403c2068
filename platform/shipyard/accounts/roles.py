from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    MAINTAINER = "maintainer", "Maintainer"
    ADMIN = "admin", "Admin"


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.MAINTAINER: 2, Role.ADMIN: 3}


def role_at_least(role: Role | str, minimum: Role | str) -> bool:
    return _RANK[Role(role)] >= _RANK[Role(minimum)]
