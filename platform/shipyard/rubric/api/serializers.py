"""Rubric API: input validation and the (documented) response shapes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from rest_framework import serializers

from shipyard.core.serializers import StrictSerializer
from shipyard.rubric.ids import RUBRIC_TEST_IDS
from shipyard.rubric.scoring import STATUSES
from shipyard.rubric.services import LINK_MAX_CHARS, LINKS_MAX, NOTE_MAX_CHARS

_url = URLValidator(schemes=["http", "https"])
ANSWER_KEYS = {"status", "note", "links"}


def validate_answers(raw: Any) -> dict[str, dict[str, Any]]:
    """Validate ``answers``; errors are keyed ``answers.<test>.<field>`` (all reported at once)."""
    if not isinstance(raw, dict):
        raise serializers.ValidationError({"answers": ["Expected an object keyed by rubric test id."]})
    errors: dict[str, Any] = {}
    clean: dict[str, dict[str, Any]] = {}
    for tid, answer in raw.items():
        if tid not in RUBRIC_TEST_IDS:
            errors[tid] = ["Unknown rubric test id; expected data-1..monitor-7."]
            continue
        if not isinstance(answer, dict):
            errors[tid] = ["Expected an object {status, note, links}."]
            continue
        field_errors: dict[str, list[str]] = {}
        for key in answer:
            if key not in ANSWER_KEYS:
                field_errors[key] = ["Unknown field."]
        status = answer.get("status")
        if status not in STATUSES:
            field_errors["status"] = [f"Must be one of: {', '.join(STATUSES)}."]
        note = answer.get("note", "")
        if not isinstance(note, str):
            field_errors["note"] = ["Must be a string."]
        elif "\x00" in note:
            field_errors["note"] = ["Must not contain NUL characters."]
        elif len(note) > NOTE_MAX_CHARS:
            field_errors["note"] = [f"At most {NOTE_MAX_CHARS} characters (got {len(note)})."]
        links = answer.get("links", [])
        if not isinstance(links, list):
            field_errors["links"] = ["Must be a list of http(s) URLs."]
        elif len(links) > LINKS_MAX:
            field_errors["links"] = [f"At most {LINKS_MAX} links."]
        else:
            for index, link in enumerate(links):
                if not isinstance(link, str) or len(link) > LINK_MAX_CHARS:
                    field_errors[f"links[{index}]"] = [
                        f"Must be an http(s) URL of at most {LINK_MAX_CHARS} characters."
                    ]
                    continue
                try:
                    _url(link)
                except DjangoValidationError:
                    field_errors[f"links[{index}]"] = ["Must be an http(s) URL."]
        if field_errors:
            errors[tid] = field_errors
            continue
        clean[tid] = {"status": status, "note": note.strip(), "links": [link.strip() for link in links]}
    if errors:
        raise serializers.ValidationError({"answers": errors})
    return clean


class AnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=list(STATUSES))
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_CHARS)
    links = serializers.ListField(child=serializers.URLField(max_length=LINK_MAX_CHARS), required=False)


class AssessmentCreateSerializer(StrictSerializer):
    """Validates a POST; ``answers`` is checked by :func:`validate_answers` so errors name the field."""

    answers = serializers.JSONField()
    base = serializers.IntegerField(allow_null=True, required=False, default=None, min_value=1)

    def validate_answers(self, value: Any) -> dict[str, dict[str, Any]]:
        try:
            return validate_answers(value)
        except serializers.ValidationError as exc:
            detail: Any = exc.detail
            raise serializers.ValidationError(detail["answers"]) from exc


class AssessmentCreateDocSerializer(serializers.Serializer):
    """The documented request shape of POST assessments/."""

    answers = serializers.DictField(
        child=AnswerSerializer(),
        help_text="keyed by rubric test id (data-1..monitor-7); unanswered tests are saved as 'none'",
    )
    base = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="id of the assessment the client edited (null for the first); a stale base is a 409",
    )


# --- responses (for the OpenAPI schema) -------------------------------------------------------


class BandSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    text = serializers.CharField()
    lower = serializers.FloatField(allow_null=True)
    upper = serializers.FloatField(allow_null=True)


class RubricTestSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    guidance = serializers.CharField()


class RubricSectionSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    tests = RubricTestSerializer(many=True)


class StatusOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    points = serializers.FloatField()


class RubricDocumentSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField()
    citation = serializers.CharField()
    statuses = StatusOptionSerializer(many=True)
    bands = BandSerializer(many=True)
    sections = RubricSectionSerializer(many=True)


class SectionScoresSerializer(serializers.Serializer):
    data = serializers.FloatField()  # type: ignore[assignment]
    model = serializers.FloatField()
    infra = serializers.FloatField()
    monitor = serializers.FloatField()


class StoredAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=list(STATUSES))
    note = serializers.CharField(allow_blank=True)
    links = serializers.ListField(child=serializers.CharField())


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField()
    rubric_version = serializers.IntegerField()
    base = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)
    sections = SectionScoresSerializer()
    final = serializers.FloatField()
    band = BandSerializer()
    answers = serializers.DictField(child=StoredAnswerSerializer(), required=False)


class AssessmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)
    base = serializers.IntegerField(allow_null=True)


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    test_id = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    key = serializers.CharField(allow_blank=True)
    passed = serializers.BooleanField()
    title = serializers.CharField()
    link = serializers.CharField(allow_blank=True)
    detail = serializers.DictField()
    observed_at = serializers.DateTimeField()


class TestPointsSerializer(serializers.Serializer):
    claimed = serializers.FloatField()
    verified = serializers.FloatField()


class TestVerdictSerializer(serializers.Serializer):
    section = serializers.CharField()
    claimed = serializers.ChoiceField(choices=list(STATUSES))
    verified = serializers.ChoiceField(choices=list(STATUSES))
    points = TestPointsSerializer()
    holds = serializers.ChoiceField(choices=["evidence", "claim", "unverified", "failing"])
    why = serializers.CharField()
    evidence_state = serializers.ChoiceField(choices=["verified", "failing", "stale", "none"])
    evidence = EvidenceSerializer(many=True)


class VerifiedScoreSerializer(serializers.Serializer):
    sections = SectionScoresSerializer()
    final = serializers.FloatField()
    band = BandSerializer()
    weakest = serializers.ListField(child=serializers.CharField())


class ScoreSerializer(serializers.Serializer):
    project = serializers.CharField()
    window_days = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    assessment = AssessmentRefSerializer(allow_null=True)
    sections = SectionScoresSerializer()
    final = serializers.FloatField()
    band = BandSerializer()
    weakest = serializers.ListField(child=serializers.CharField())
    verified = VerifiedScoreSerializer()
    tests = serializers.DictField(child=TestVerdictSerializer())
    unverified_claims = serializers.IntegerField()


class HistoryPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    final = serializers.FloatField()


class TeamScoreBlockSerializer(serializers.Serializer):
    sections = SectionScoresSerializer()
    final = serializers.FloatField()
    band = BandSerializer()


class TeamProjectSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    assessment = AssessmentRefSerializer(allow_null=True)
    sections = SectionScoresSerializer()
    final = serializers.FloatField()
    band = BandSerializer()
    verified = TeamScoreBlockSerializer()
    unverified_claims = serializers.IntegerField()
    history = HistoryPointSerializer(many=True)


class HeatCellSerializer(serializers.Serializer):
    none = serializers.IntegerField()
    manual = serializers.IntegerField()
    automated = serializers.IntegerField()
    verified = serializers.IntegerField()


class TeamOverviewSerializer(serializers.Serializer):
    team = serializers.CharField()
    project_count = serializers.IntegerField()
    sections = serializers.ListField(child=serializers.CharField())
    projects = TeamProjectSerializer(many=True)
    heatmap = serializers.DictField(child=HeatCellSerializer())
