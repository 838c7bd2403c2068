from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipyard.accounts.models import Team, slug_validator
from shipyard.core.models import TimeStampedModel


class Project(TimeStampedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="projects")
    slug = models.CharField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="", max_length=5000)
    #: passing evidence younger than this makes a rubric test "verified automated"
    evidence_window_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    #: rubric data-6: the median feature lead time (dataset column added -> first deployed use) passes at or under this
    feature_lead_time_target_days = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    #: the SVG badge is private (team members only) unless this is set
    badge_public = models.BooleanField(default=False)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug
