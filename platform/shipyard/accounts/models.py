from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from shipyard.accounts.roles import Role
from shipyard.core.models import TimeStampedModel

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$"
slug_validator = RegexValidator(
    SLUG_PATTERN, "Use 1-50 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
)


class Team(TimeStampedModel):
    slug = models.CharField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Membership(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.role}"


class TokenExpiry(models.Model):
    """When an API token stops being accepted (absent: it never expires on its own)."""

    token = models.OneToOneField("authtoken.Token", on_delete=models.CASCADE, primary_key=True, related_name="expiry")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token of user {self.token.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"
