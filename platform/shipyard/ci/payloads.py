"""Turn a verified delivery's body into one normalised report: run fields, test cases, metrics, lockfile.

Pure functions (no Django models): the task feeds them the stored delivery and writes the result.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shipyard.ci import junit
from shipyard.ci.coverage import CoverageError, CoverageReport
from shipyard.ci.coverage import parse as coverage_parse
from shipyard.ci.junit import Case, JunitError

MAX_CASES = 50_000


class PayloadError(ValueError):
    """The body cannot be understood; the message says why."""


@dataclass
class Report:
    external_id: str
    name: str = ""
    branch: str = ""
    commit: str = ""
    url: str = ""
    status: str = ""  # "" = derive from the cases
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    cases: list[Case] | None = None  # None = this event carries no test results
    metrics: dict[str, float] = field(default_factory=dict)
    lockfile: str | None = None
    coverage: CoverageReport | None = None  # None = this event carries no coverage report
    ignored: str = ""  # non-empty: nothing to record, and why


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, (int, float)):
        from datetime import UTC

        return datetime.fromtimestamp(float(value), tz=UTC)
    text = value.strip().replace("Z", "+00:00")
    if text.endswith(" UTC"):  # GitLab: "2016-08-12 15:23:28 UTC"
        text = text[:-4].replace(" ", "T") + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_STATUS = {
    "success": "passed",
    "passed": "passed",
    "pass": "passed",
    "succeeded": "passed",
    "failure": "failed",
    "failed": "failed",
    "fail": "failed",
    "error": "failed",
    "errored": "failed",
    "timed_out": "failed",
    "infrastructure_fail": "failed",
    "startup_failure": "failed",
    "unstable": "failed",
    "cancelled": "canceled",
    "canceled": "canceled",
    "canceling": "canceled",
    "aborted": "canceled",
    "skipped": "canceled",
    "not_run": "canceled",
    "running": "running",
    "in_progress": "running",
    "pending": "running",
    "queued": "running",
    "requested": "running",
    "created": "running",
    "scheduled": "running",
    "started": "running",
    "waiting": "running",
    "on_hold": "running",
}


def run_status(value: Any) -> str:
    return _STATUS.get(str(value or "").strip().lower(), "unknown" if value else "")


def _dict(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"`{name}` must be an object")
    return value


def _metrics(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, list):  # [{"name": ..., "value": ...}]
        value = {str(item.get("name")): item.get("value") for item in value if isinstance(item, dict)}
    if not isinstance(value, dict):
        raise PayloadError("`metrics` must be an object of name -> number")
    out: dict[str, float] = {}
    for name, number in value.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise PayloadError(f"`metrics.{name}` must be a finite number")
        if not name or len(str(name)) > 200:
            raise PayloadError("metric names must be 1 to 200 characters")
        out[str(name)] = float(number)
    return out


def _tests(value: Any) -> list[Case]:
    if not isinstance(value, list):
        raise PayloadError("`tests` must be a list of {name, classname, status, duration, message, rubric_ids}")
    cases = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("name"):
            raise PayloadError(f"`tests[{index}]` must be an object with a name")
        status = str(item.get("status", "passed")).lower()
        status = {"pass": "passed", "fail": "failed", "failure": "failed", "skip": "skipped"}.get(status, status)
        if status not in {"passed", "failed", "error", "skipped"}:
            raise PayloadError(f"`tests[{index}].status` must be passed, failed, error or skipped")
        name, classname = str(item["name"]), str(item.get("classname", ""))
        tags = junit.tags_in(name)
        for tag in item.get("rubric_ids") or []:
            if str(tag).lower() not in tags:
                tags.append(str(tag).lower())
        cases.append(
            Case(
                name=name,
                classname=classname,
                status=status,
                duration_s=float(item.get("duration") or 0),
                message=str(item.get("message") or "")[: junit.MESSAGE_LIMIT],
                tags=tags,
            )
        )
    return cases


def native(body: bytes, *, delivery_id: str, content_type: str, query: dict[str, str]) -> Report:
    """Shipyard's own body (also Jenkins and other bearer senders): JSON or bare JUnit XML."""
    if "xml" in content_type:
        report = Report(external_id=query.get("id") or query.get("run_id") or delivery_id)
        _run_fields(report, query)
        report.cases = junit.parse(body)
        return report
    data = _loads(body)
    if not isinstance(data, dict):
        raise PayloadError(
            "the body must be a JSON object with `run` and optional `junit`, `tests`, `metrics`, `lockfile`, `coverage`"
        )
    run = _dict(data.get("run"), "run")
    report = Report(external_id=str(run.get("id") or run.get("external_id") or delivery_id))
    _run_fields(report, run)
    cases: list[Case] | None = None
    if data.get("junit") is not None:
        documents = data["junit"] if isinstance(data["junit"], list) else [data["junit"]]
        cases = []
        for document in documents:
            if not isinstance(document, str):
                raise PayloadError("`junit` must be JUnit XML text (or a list of them)")
            cases.extend(junit.parse(document))
    if data.get("tests") is not None:
        cases = (cases or []) + _tests(data["tests"])
    report.cases = cases
    report.metrics = _metrics(data.get("metrics"))
    lockfile = data.get("lockfile")
    if lockfile is not None and not isinstance(lockfile, str):
        raise PayloadError("`lockfile` must be the text of a requirements file or lockfile")
    report.lockfile = lockfile
    report.coverage = coverage_of(data)
    return report


def coverage_of(data: dict[str, Any]) -> CoverageReport | None:
    """The ``coverage`` field of a native body: Cobertura XML text (or a list of them, merged by file)."""
    value = data.get("coverage")
    if value is None:
        return None
    documents = value if isinstance(value, list) else [value]
    if not documents or not all(isinstance(d, str) for d in documents):
        raise PayloadError("`coverage` must be Cobertura XML text (or a list of them)")
    merged: CoverageReport | None = None
    for document in documents:
        try:
            parsed = coverage_parse(document)
        except CoverageError as exc:
            raise PayloadError(f"`coverage`: {exc}") from None
        if merged is None:
            merged = parsed
        else:
            merged.files.update(parsed.files)
            merged.sources.extend(parsed.sources)
    return merged


def _run_fields(report: Report, run: dict[str, Any]) -> None:
    report.name = str(run.get("name") or "")[:300]
    report.branch = str(run.get("branch") or "")[:300]
    report.commit = str(run.get("commit") or "")[:64]
    report.url = str(run.get("url") or "")[:1000]
    report.status = run_status(run.get("status"))
    report.started_at = parse_time(run.get("started_at"))
    report.finished_at = parse_time(run.get("finished_at"))
    if run.get("duration") not in (None, ""):
        try:
            report.duration_s = float(run["duration"])
        except (TypeError, ValueError):
            raise PayloadError("`run.duration` must be a number of seconds")


def github(body: bytes, event: str) -> Report:
    data = _json(body)
    if event == "workflow_run":
        wr = _dict(data.get("workflow_run"), "workflow_run")
        status = wr.get("conclusion") if wr.get("status") == "completed" else wr.get("status")
        return Report(
            external_id=f"workflow_run:{wr.get('id')}",
            name=str(wr.get("name") or wr.get("display_title") or ""),
            branch=str(wr.get("head_branch") or ""),
            commit=str(wr.get("head_sha") or ""),
            url=str(wr.get("html_url") or ""),
            status=run_status(status),
            started_at=parse_time(wr.get("run_started_at") or wr.get("created_at")),
            finished_at=parse_time(wr.get("updated_at")) if wr.get("status") == "completed" else None,
        )
    if event == "check_suite":
        cs = _dict(data.get("check_suite"), "check_suite")
        status = cs.get("conclusion") if cs.get("status") == "completed" else cs.get("status")
        app = _dict(cs.get("app"), "check_suite.app")
        return Report(
            external_id=f"check_suite:{cs.get('id')}",
            name=str(app.get("name") or "check suite"),
            branch=str(cs.get("head_branch") or ""),
            commit=str(cs.get("head_sha") or ""),
            url=str(cs.get("url") or ""),
            status=run_status(status),
            started_at=parse_time(cs.get("created_at")),
            finished_at=parse_time(cs.get("updated_at")) if cs.get("status") == "completed" else None,
        )
    if event == "check_run":
        cr = _dict(data.get("check_run"), "check_run")
        suite = _dict(cr.get("check_suite"), "check_run.check_suite")
        status = cr.get("conclusion") if cr.get("status") == "completed" else cr.get("status")
        return Report(
            external_id=f"check_run:{cr.get('id')}",
            name=str(cr.get("name") or ""),
            branch=str(suite.get("head_branch") or ""),
            commit=str(cr.get("head_sha") or suite.get("head_sha") or ""),
            url=str(cr.get("html_url") or ""),
            status=run_status(status),
            started_at=parse_time(cr.get("started_at")),
            finished_at=parse_time(cr.get("completed_at")),
        )
    return Report(external_id="", ignored=f"GitHub event '{event or 'unknown'}' carries no CI run")


def gitlab(body: bytes, event: str) -> Report:
    data = _json(body)
    kind = data.get("object_kind")
    if kind == "pipeline":
        attrs = _dict(data.get("object_attributes"), "object_attributes")
        return Report(
            external_id=f"pipeline:{attrs.get('id')}",
            name=str(attrs.get("name") or f"pipeline {attrs.get('iid') or attrs.get('id')}"),
            branch=str(attrs.get("ref") or ""),
            commit=str(attrs.get("sha") or ""),
            url=str(attrs.get("url") or ""),
            status=run_status(attrs.get("status")),
            started_at=parse_time(attrs.get("created_at")),
            finished_at=parse_time(attrs.get("finished_at")),
            duration_s=float(attrs["duration"]) if isinstance(attrs.get("duration"), (int, float)) else None,
        )
    if kind == "build":
        project = _dict(data.get("project"), "project")
        web_url = str(project.get("web_url") or data.get("repository", {}).get("homepage") or "")
        return Report(
            external_id=f"job:{data.get('build_id')}",
            name=str(data.get("build_name") or ""),
            branch=str(data.get("ref") or ""),
            commit=str(data.get("sha") or ""),
            url=f"{web_url}/-/jobs/{data.get('build_id')}" if web_url else "",
            status=run_status(data.get("build_status")),
            started_at=parse_time(data.get("build_started_at")),
            finished_at=parse_time(data.get("build_finished_at")),
            duration_s=float(data["build_duration"]) if isinstance(data.get("build_duration"), (int, float)) else None,
        )
    return Report(external_id="", ignored=f"GitLab event '{event or kind or 'unknown'}' carries no CI run")


def circleci(body: bytes, event: str) -> Report:
    data = _json(body)
    kind = data.get("type") or event
    pipeline = _dict(data.get("pipeline"), "pipeline")
    vcs = _dict(pipeline.get("vcs"), "pipeline.vcs")
    workflow = _dict(data.get("workflow"), "workflow")
    if kind == "workflow-completed":
        return Report(
            external_id=f"workflow:{workflow.get('id')}",
            name=str(workflow.get("name") or ""),
            branch=str(vcs.get("branch") or ""),
            commit=str(vcs.get("revision") or ""),
            url=str(workflow.get("url") or ""),
            status=run_status(workflow.get("status")),
            started_at=parse_time(workflow.get("created_at")),
            finished_at=parse_time(workflow.get("stopped_at")),
        )
    if kind == "job-completed":
        job = _dict(data.get("job"), "job")
        return Report(
            external_id=f"job:{job.get('id')}",
            name=str(job.get("name") or ""),
            branch=str(vcs.get("branch") or ""),
            commit=str(vcs.get("revision") or ""),
            url=str(workflow.get("url") or ""),
            status=run_status(job.get("status")),
            started_at=parse_time(job.get("started_at")),
            finished_at=parse_time(job.get("stopped_at")),
        )
    return Report(external_id="", ignored=f"CircleCI event '{kind or 'unknown'}' carries no CI run")


def buildkite(body: bytes, event: str) -> Report:
    data = _json(body)
    kind = data.get("event") or event
    build = _dict(data.get("build"), "build")
    if kind and kind.startswith("build."):
        return Report(
            external_id=f"build:{build.get('id')}",
            name=str((data.get("pipeline") or {}).get("name") or build.get("message") or ""),
            branch=str(build.get("branch") or ""),
            commit=str(build.get("commit") or ""),
            url=str(build.get("web_url") or ""),
            status=run_status(build.get("state")),
            started_at=parse_time(build.get("started_at") or build.get("created_at")),
            finished_at=parse_time(build.get("finished_at")),
        )
    if kind and kind.startswith("job."):
        job = _dict(data.get("job"), "job")
        return Report(
            external_id=f"job:{job.get('id')}",
            name=str(job.get("name") or job.get("label") or ""),
            branch=str(build.get("branch") or ""),
            commit=str(build.get("commit") or ""),
            url=str(job.get("web_url") or build.get("web_url") or ""),
            status=run_status(job.get("state")),
            started_at=parse_time(job.get("started_at")),
            finished_at=parse_time(job.get("finished_at")),
        )
    return Report(external_id="", ignored=f"Buildkite event '{kind or 'unknown'}' carries no CI run")


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise PayloadError("the body is not acceptable JSON: it is nested too deeply") from None


def _json(body: bytes) -> dict[str, Any]:
    data = _loads(body)
    if not isinstance(data, dict):
        raise PayloadError("the body must be a JSON object")
    return data


def normalise(
    provider: str, body: bytes, *, event: str, delivery_id: str, content_type: str, query: dict[str, str]
) -> Report:
    """Dispatch on the provider. Raises PayloadError or JunitError with a clear reason."""
    if provider in {"shipyard", "generic"}:
        report = native(body, delivery_id=delivery_id, content_type=content_type, query=query)
    elif provider == "github":
        report = github(body, event)
    elif provider == "gitlab":
        report = gitlab(body, event)
    elif provider == "circleci":
        report = circleci(body, event)
    elif provider == "buildkite":
        report = buildkite(body, event)
    else:
        raise PayloadError(f"unknown provider {provider!r}")
    if report.cases is not None and len(report.cases) > MAX_CASES:
        raise PayloadError(f"a run may carry at most {MAX_CASES} test cases")
    return report


__all__ = ["JunitError", "PayloadError", "Report", "normalise"]
