"""Input checks shared by the registry's services and views. Every failure names its field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from shipyard.core.errors import DomainError
from shipyard_ml.job_params import BUILTIN_RECIPE_NAMES

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_GIT = re.compile(r"^[0-9a-f]{7,64}$")
MAX_JSON_BYTES = 256 * 1024


def check_path_like(value: str, field: str) -> None:
    """Reject NUL bytes, URL schemes, absolute paths and ``..`` segments."""
    if "\x00" in value:
        raise DomainError("must not contain NUL bytes", field=field)
    if _SCHEME.match(value) or "://" in value:
        raise DomainError("must not be a URL or carry a URL scheme", field=field)
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", value):
        raise DomainError("must not be an absolute path", field=field)
    if ".." in re.split(r"[\\/]", value) or value == "..":
        raise DomainError("must not contain '..'", field=field)


def check_name(value: Any, field: str = "name") -> str:
    if not isinstance(value, str) or not value:
        raise DomainError("is required", field=field)
    check_path_like(value, field)
    if not _NAME.match(value) or ".." in value:
        raise DomainError(
            "must be 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
            field=field,
        )
    return value


def check_filename(value: str, field: str = "artifact") -> str:
    if not value:
        return ""
    check_path_like(value, field)
    if "/" in value or "\\" in value:
        raise DomainError("must be a file name, not a path", field=field)
    return value[:255]


def check_alias(value: Any, field: str = "alias") -> str:
    if not isinstance(value, str) or not _ALIAS.match(value):
        raise DomainError(
            "an alias is 1-64 lowercase letters, digits, '_' or '-', starting with a letter (e.g. champion)",
            field=field,
        )
    return value


def check_git_commit(value: str, field: str = "git_commit") -> str:
    if value and not _GIT.match(value.lower()):
        raise DomainError("must be a hex commit id of 7-64 characters", field=field)
    return value.lower()


def check_json_object(value: Any, field: str, *, numbers: bool = False, strings: bool = False) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DomainError("must be a JSON object", field=field) from None
    if not isinstance(value, dict):
        raise DomainError("must be a JSON object", field=field)
    if len(json.dumps(value)) > MAX_JSON_BYTES:
        raise DomainError(f"must be at most {MAX_JSON_BYTES} bytes of JSON", field=field)
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 200:
            raise DomainError("keys must be non-empty strings of at most 200 characters", field=field)
        if numbers and (isinstance(item, bool) or not isinstance(item, (int, float))):
            raise DomainError(f"value of '{key}' must be a number", field=field)
        if strings and not isinstance(item, str):
            raise DomainError(f"value of '{key}' must be a string", field=field)
    return value


def check_slice_metrics(value: Any, field: str = "slice_metrics") -> dict[str, Any]:
    value = check_json_object(value, field)
    for name, metrics in value.items():
        check_json_object(metrics, f"{field}.{name}", numbers=True)
    return value


def check_signature(value: Any, field: str = "signature") -> dict[str, Any]:
    value = check_json_object(value, field)
    for part in ("inputs", "outputs"):
        items = value.get(part, [])
        if not isinstance(items, list):
            raise DomainError(f"'{part}' must be a list of {{name, dtype, shape}}", field=field)
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
                raise DomainError(f"each of '{part}' must be an object with a name", field=field)
            shape = item.get("shape", [])
            if not isinstance(shape, list) or not all(d is None or (isinstance(d, int) and d >= 0) for d in shape):
                raise DomainError(f"'{part}' shapes are lists of non-negative integers or null", field=field)
    features = value.get("features")
    if features is not None and (not isinstance(features, list) or not all(isinstance(f, str) for f in features)):
        raise DomainError("'features' must be a list of feature names", field=field)
    return value


def signature_feature_count(signature: dict[str, Any]) -> int | None:
    """Features per example: ``len(features)``, else the product of the first input's non-batch dims."""
    if signature.get("features"):
        return len(signature["features"])
    inputs = signature.get("inputs") or []
    if not inputs:
        return None
    dims = (inputs[0].get("shape") or [])[1:]
    if not dims or any(d is None for d in dims):
        return None
    count = 1
    for d in dims:
        count *= d
    return count


def check_signature_matches_schema(signature: dict[str, Any], schema: dict[str, Any], field: str = "signature") -> None:
    """A version's input signature must fit its training dataset's feature schema."""
    if not signature or not schema:
        return
    features = [f["name"] for f in schema.get("features", []) if f.get("role") != "label"]
    names = signature.get("features")
    if names:
        missing = [n for n in names if n not in features]
        if missing:
            raise DomainError(f"signature features {missing[:5]} are not features of the training dataset", field=field)
    count = signature_feature_count(signature)
    if count is not None and count != len(features):
        raise DomainError(
            f"the signature takes {count} features per example but the training dataset has {len(features)}",
            field=field,
        )


#: the built-in training recipes, from their one list in ``shipyard_ml.job_params`` (torch-free, so
#: the web process can read it; a test keeps ``shipyard_ml.recipes.BUILTIN_RECIPES`` equal to it)
BUILTIN_RECIPES = BUILTIN_RECIPE_NAMES


def recipe_allowed(value: str, allowlist: Iterable[str]) -> bool:
    """A built-in recipe, or an entry point listed exactly in the operator's allowlist."""
    return value in BUILTIN_RECIPES or value in set(allowlist)


def check_recipe(value: Any, field: str = "recipe", *, allowlist: Iterable[str]) -> str:
    """A version's recipe: a built-in recipe, an allowlisted entry point, or a plain label.

    A label (letters, digits, ``.``, ``_``, ``-``) names no code and is only recorded; anything that
    looks like ``module:function`` names code to import and must be on the operator's allowlist
    (``SHIPYARD_RECIPE_ALLOWLIST``), never chosen by a request.
    """
    if not isinstance(value, str) or not value:
        raise DomainError("is required", field=field)
    if len(value) > 100:
        raise DomainError("must be at most 100 characters", field=field)
    if recipe_allowed(value, allowlist):
        return value
    if ":" in value:
        raise DomainError(
            f"names code to import; a recipe is a built-in one ({', '.join(BUILTIN_RECIPES)}) "
            "or an entry point an operator allowlisted (SHIPYARD_RECIPE_ALLOWLIST)",
            field=field,
        )
    return check_name(value, field)
