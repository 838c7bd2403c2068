"""Per-kind job parameters, validated through their owner: the pydantic models of ``shipyard_ml.job_params``.

``normalise`` is the API's door (defaults filled in, anything wrong a DomainError naming
``params.<key>``); ``check_recipe`` decides which code a ``training_tests`` job may import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shipyard.core.errors import DomainError
from shipyard.registry import validation
from shipyard_ml.job_params import JOB_PARAMS, JobParams


def _message(kind: str, model: type[JobParams], error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown parameter for {kind}; known: {', '.join(sorted(model.model_fields))}"
    if error["type"] in ("model_type", "dict_type") and not error["loc"]:
        return "must be a JSON object"
    return error["msg"]


def parse(kind: str, params: Any) -> JobParams:
    """``params`` as the kind's model; a DomainError naming ``params.<first error's path>`` for anything wrong."""
    model = JOB_PARAMS[kind]
    try:
        return model.model_validate({} if params is None else params)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(part) for part in error["loc"])
        raise DomainError(_message(kind, model, error), field=f"params.{path}" if path else "params") from None


def normalise(kind: str, params: Any) -> dict[str, Any]:
    """Params with defaults filled in, as stored on the job; a DomainError naming ``params.<key>`` for anything wrong."""
    return parse(kind, params).model_dump(mode="json")


def schemas() -> list[dict[str, Any]]:
    """Per job kind, its params' JSON schema (types, ranges, defaults, descriptions)."""
    return [{"kind": kind, "params": model.model_json_schema()} for kind, model in JOB_PARAMS.items()]


def check_recipe(value: str, *, version_recipe: str, allowlist: Iterable[str]) -> str:
    """The recipe a ``training_tests`` job runs: a built-in one or an operator-allowlisted entry point.

    ``value`` is ``params.recipe`` (empty: the version's recipe). A request never chooses code to
    import: any other name is a DomainError naming ``params.recipe``.
    """
    recipe = value or version_recipe
    if not recipe:
        raise DomainError("the version has no training recipe; pass params.recipe", field="params.recipe")
    if not validation.recipe_allowed(recipe, allowlist):
        whose = "" if value else f"the version's recipe '{recipe}' "
        raise DomainError(
            f"{whose}must be a built-in recipe ({', '.join(validation.BUILTIN_RECIPES)}) "
            "or an entry point an operator allowlisted (SHIPYARD_RECIPE_ALLOWLIST)",
            field="params.recipe",
        )
    return recipe
