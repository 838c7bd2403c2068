"""The serving worker's ensemble path: every member runs once on the whole batch, then the members'
outputs are combined row by row (``shipyard_ml.ensemble``). No Django."""

from __future__ import annotations

from typing import Any


def member_results(result: Any, sl: slice) -> dict[str, Any]:
    """One member's own result for one request's rows (its slice of the batch)."""
    out: dict[str, Any] = {"outputs": result.outputs[sl]}
    if result.probabilities is not None:
        out["probabilities"] = result.probabilities[sl]
    return out


def run_ensemble(worker: Any, spec: dict[str, Any], rows: list[Any]) -> tuple[Any, list[Any]]:
    """(combined result, each member's result) for ``rows``; raises the member's load error or
    ``InferenceError``."""
    from shipyard_ml.ensemble import combine
    from shipyard_ml.inference import run_batch

    parts = []
    for version_key, artifact_key, fmt in spec["m"]:
        model = worker.sessions.get(version_key, worker.artifact_path(artifact_key), fmt)
        parts.append(run_batch(model, rows))
    return combine(parts, spec["c"], spec.get("w")), parts


def ensemble_replies(worker: Any, reqs: list[Any]) -> list[tuple[str, str]]:
    """Each request's reply for one batch of an ensemble version's requests."""
    from shipyard_ml.inference import InferenceError

    p = worker.p
    spec = reqs[0].ensemble
    rows = [row for r in reqs for row in r.rows]
    replies: list[tuple[str, str]] = []
    try:
        result, parts = run_ensemble(worker, spec, rows)
    except InferenceError:
        # one bad request must not fail its neighbours: run each alone
        for r in reqs:
            try:
                one, members = run_ensemble(worker, r.ensemble, r.rows)
            except InferenceError as exc:
                replies.append((r.reply, p.error_reply("inference_failed", str(exc)[:300], worker.id, r.id)))
                continue
            whole = slice(0, len(r.rows))
            extra = [member_results(m, whole) for m in members] if r.ensemble.get("r") else None
            replies.append(
                (r.reply, p.ok_reply(one.outputs, one.probabilities, one.confidence, worker.id, r.id, extra))
            )
        return replies
    except Exception as exc:  # a member that cannot be loaded (missing artifact, bad file)
        return [(r.reply, p.error_reply("model_unavailable", str(exc)[:300], worker.id, r.id)) for r in reqs]
    offset = 0
    for r in reqs:
        sl = slice(offset, offset + len(r.rows))
        extra = [member_results(m, sl) for m in parts] if r.ensemble.get("r") else None
        replies.append(
            (
                r.reply,
                p.ok_reply(
                    result.outputs[sl],
                    result.probabilities[sl] if result.probabilities is not None else None,
                    result.confidence[sl] if result.confidence is not None else None,
                    worker.id,
                    r.id,
                    extra,
                ),
            )
        )
        offset += len(r.rows)
    worker.rows += len(rows)
    return replies
