"""Fairness across groups of people, with fairlearn's ``MetricFrame`` (rubric model-7).

Groups come from sensitive columns (their values; a numeric column with many values is cut into
quartiles) or from named slices in the existing filter language (in the slice vs the rest). Per
grouping the report gives each group's count, accuracy and selection rate, and three differences:
accuracy (largest gap between groups), demographic parity and equalized odds. For a multi-class
model the selection rate and both parity differences are taken one class against the rest, and the
worst class is reported. The grouping passes when every difference is within its threshold.

Pure: no Django. fairlearn and pandas are imported lazily.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shipyard_ml.evidence_reports import FairnessReport, GroupingReport, GroupMetrics

#: below this many rows a group is reported but not judged
MIN_GROUP_ROWS = 5


def groups_of(frame: Any, *, columns: list[str], slices: list[dict[str, str]]) -> dict[str, tuple[str, np.ndarray]]:
    """Grouping name -> (source, group label per row) for sensitive ``columns`` and named ``slices``."""
    import pandas as pd

    from shipyard_ml.slices import slice_mask

    out: dict[str, tuple[str, np.ndarray]] = {}
    for name in columns:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 10:
            values = pd.qcut(values, 4, duplicates="drop").astype(str)
        out[name] = ("column", values.astype(str).fillna("missing").to_numpy())
    for item in slices:
        mask = np.asarray(slice_mask(frame, item["filter"]), dtype=bool)
        out[item["name"]] = ("slice", np.where(mask, "in slice", "rest"))
    return out


def _rate(num: np.ndarray, den: np.ndarray) -> float | None:
    n = int(den.sum())
    return None if n == 0 else float((num & den).sum() / n)


def fairness_report(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    groupings: dict[str, tuple[str, np.ndarray]],
    *,
    class_names: list[str],
    max_accuracy_difference: float,
    max_demographic_parity_difference: float,
    max_equalized_odds_difference: float,
    data: str = "evaluation",
) -> FairnessReport:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        demographic_parity_difference,
        equalized_odds_difference,
        selection_rate,
    )
    from sklearn.metrics import accuracy_score

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    classes = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    binary = len(classes) <= 2
    positives = [classes[-1]] if binary else classes
    reports: list[GroupingReport] = []
    for name, (source, groups) in groupings.items():
        judged = np.isin(groups, [g for g in set(groups.tolist()) if (groups == g).sum() >= MIN_GROUP_ROWS])
        worst = (-1.0, -1.0, positives[0])
        names = sorted(set(groups[judged].tolist()))
        for c in positives:
            t, p = y_true[judged] == c, y_pred[judged] == c
            if judged.sum() == 0:
                break
            dpd = float(demographic_parity_difference(t, p, sensitive_features=groups[judged]))
            # true- and false-positive rates need enough positives and negatives in every group
            support = all(
                min(int((t & (groups[judged] == g)).sum()), int((~t & (groups[judged] == g)).sum())) >= MIN_GROUP_ROWS
                for g in names
            )
            eod = float(equalized_odds_difference(t, p, sensitive_features=groups[judged])) if support else 0.0
            # the largest of each difference over the classes; the class of the largest parity gap is shown
            worst = (max(worst[0], dpd), max(worst[1], eod), c if dpd > worst[0] else worst[2])
        dpd, eod, c = max(worst[0], 0.0), max(worst[1], 0.0), worst[2]
        frame = MetricFrame(
            metrics={"accuracy": accuracy_score, "count": count},
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=groups,
        )
        sel = MetricFrame(
            metrics=selection_rate, y_true=y_true == c, y_pred=y_pred == c, sensitive_features=groups
        ).by_group
        by_group = frame.by_group
        acc_judged = [
            float(by_group.loc[g, "accuracy"])
            for g in by_group.index
            if int(by_group.loc[g, "count"]) >= MIN_GROUP_ROWS
        ]
        acc_diff = (max(acc_judged) - min(acc_judged)) if acc_judged else 0.0
        rows = []
        for g in by_group.index:
            mask = groups == g
            rows.append(
                GroupMetrics(
                    group=str(g),
                    count=int(by_group.loc[g, "count"]),
                    accuracy=float(by_group.loc[g, "accuracy"]),
                    selection_rate=float(sel.loc[g]),
                    true_positive_rate=_rate(y_pred == c, mask & (y_true == c)),
                    false_positive_rate=_rate(y_pred == c, mask & (y_true != c)),
                )
            )
        violations = []
        if acc_diff > max_accuracy_difference:
            violations.append(f"accuracy difference {acc_diff:.3f} > {max_accuracy_difference:g}")
        if dpd > max_demographic_parity_difference:
            violations.append(f"demographic parity difference {dpd:.3f} > {max_demographic_parity_difference:g}")
        if eod > max_equalized_odds_difference:
            violations.append(f"equalized odds difference {eod:.3f} > {max_equalized_odds_difference:g}")
        label = class_names[int(c)] if isinstance(c, int | np.integer) and 0 <= int(c) < len(class_names) else str(c)
        reports.append(
            GroupingReport(
                feature=name,
                source=source,
                groups=rows,
                accuracy_difference=float(acc_diff),
                demographic_parity_difference=dpd,
                equalized_odds_difference=eod,
                worst_class=label,
                passed=not violations,
                violations=violations,
            )
        )
    passed = all(r.passed for r in reports)
    failing = [r.feature for r in reports if not r.passed]
    summary = f"{len(reports)} sensitive grouping(s) on {len(y_true)} {data} rows: " + (
        "all within the thresholds" if passed else f"over a threshold for {', '.join(failing)}"
    )
    return FairnessReport(
        passed=passed,
        summary=summary,
        rows=len(y_true),
        accuracy=float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        thresholds={
            "max_accuracy_difference": max_accuracy_difference,
            "max_demographic_parity_difference": max_demographic_parity_difference,
            "max_equalized_odds_difference": max_equalized_odds_difference,
        },
        groupings=reports,
        data=data,
    )
