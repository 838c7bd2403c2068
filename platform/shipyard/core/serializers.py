"""Serializer helpers: unknown input fields are an error, not silently dropped."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictSerializerMixin:
    """Reject keys that the serializer does not declare as writable."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            errors = {}
            for name in data:
                if name not in fields:
                    errors[name] = ["Unknown field."]
                elif fields[name].read_only:
                    errors[name] = ["This field cannot be changed."]
            if errors:
                raise serializers.ValidationError(errors)
        elif data is not None and not hasattr(data, "getlist"):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    pass
