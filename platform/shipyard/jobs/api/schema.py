"""The job contracts in the OpenAPI schema: each kind's params model and report, as components.

Their owners are ``shipyard_ml.job_params`` (pydantic models) and ``shipyard_ml.reports``
(dataclasses); pydantic writes their JSON schema (2020-12), which is turned into OpenAPI 3.0 here
and added to the components by a drf-spectacular postprocessing hook
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``). The job serializers reference them.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from shipyard_ml.job_params import JOB_PARAMS
from shipyard_ml.reports import JOB_REPORTS, NoReport

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _unique(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


PARAMS_NAMES = _unique([model.__name__ for model in JOB_PARAMS.values()])
REPORT_NAMES = _unique([cls.__name__ for cls in [*JOB_REPORTS.values(), NoReport]])

#: a job's params: the model of its kind
PARAMS_SCHEMA: dict[str, Any] = {"anyOf": [_ref(n) for n in PARAMS_NAMES]}
#: a job's result: its kind's report; a stub when it failed early; empty before it finished
RESULT_SCHEMA: dict[str, Any] = {
    "anyOf": [*(_ref(n) for n in REPORT_NAMES), {"type": "object", "maxProperties": 0}],
    "description": "The job's report (one schema per kind); empty until the job finished.",
}


def to_openapi_30(node: Any) -> Any:
    """A JSON schema 2020-12 fragment as OpenAPI 3.0: nullable instead of a null type, enum instead of const;
    without pydantic's generated titles (a schema's ``title`` is a string; a property named title is a schema)."""
    if isinstance(node, list):
        return [to_openapi_30(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_openapi_30(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            out.update(rest[0])
        elif len(rest) == 1:
            out["allOf"] = rest
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    return out


def components() -> dict[str, dict[str, Any]]:
    """Every params model and report (and what they contain), by name, in OpenAPI 3.0."""
    found: dict[str, dict[str, Any]] = {}

    def add(name: str, schema: dict[str, Any]) -> None:
        for sub_name, sub in schema.pop("$defs", {}).items():
            found[sub_name] = to_openapi_30(sub)
        found[name] = to_openapi_30(schema)

    for model in JOB_PARAMS.values():
        add(model.__name__, model.model_json_schema(ref_template=REF))
    for cls in {*JOB_REPORTS.values(), NoReport}:
        add(cls.__name__, TypeAdapter(cls).json_schema(ref_template=REF, mode="serialization"))
    return found


def add_job_contracts(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: publish the params and report components."""
    section = result.setdefault("components", {})
    schemas = {**components(), **section.get("schemas", {})}
    section["schemas"] = dict(sorted(schemas.items()))
    return result
