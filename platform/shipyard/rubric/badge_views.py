"""GET /badge/{project}.svg: the project's ML Test Score as a README badge.

Private by default: only members of the project's team see it (session or API token); anyone
else gets a 404, as for every other team-owned object. Public when ``project.badge_public``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from shipyard.accounts.scoping import teams_of
from shipyard.projects.models import Project
from shipyard.rubric import reports, scoring, selectors


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    try:
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def badge(request: HttpRequest, project: str) -> HttpResponse:
    found = Project.objects.select_related("team").filter(slug=project).first()
    if found is None:
        raise Http404
    if not found.badge_public:
        user = _user(request)
        if user is None or not teams_of(user).filter(pk=found.team_id).exists():
            raise Http404
    latest = selectors.assessment_latest(found)
    if request.GET.get("score") == "verified":
        result = selectors.project_score(found)["verified"]
        label = "ML Test Score (verified)"
        final, band_id = result["final"], result["band"]["id"]
    else:
        label = "ML Test Score"
        final = latest.score_final if latest else 0.0
        band_id = scoring.band_for(final).id
    value = reports.fmt(final) if latest else "not assessed"
    response = HttpResponse(reports.badge_svg(label=label, value=value, band_id=band_id), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=300" if found.badge_public else "private, no-cache, max-age=0"
    return response
