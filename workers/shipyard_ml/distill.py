"""Knowledge distillation: a teacher's soft labels train a smaller student.

loss = alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, y)

The same student architecture is also trained from the same initialisation on hard labels alone,
so the report shows what distillation bought. Ratios: student/teacher parameters and metrics.
"""

from __future__ import annotations

import copy
from typing import Any

from torch import nn

from shipyard_ml.evaluate import evaluate
from shipyard_ml.loading import Predictor, latency_ms, torch_predictor
from shipyard_ml.nets import Standardize, build_architecture, recipe_config
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, TrainingData, never_stop, no_progress
from shipyard_ml.reports import DistilledModel, DistillReport
from shipyard_ml.train import deterministic, train_classifier


def distill(
    teacher: Predictor,
    teacher_params: int | None,
    data: TrainingData,
    *,
    student_recipe: str = "digits_mlp",
    student_config: dict[str, Any] | None = None,
    temperature: float = 4.0,
    alpha: float = 0.7,
    seed: int = 0,
    max_metric_drop: float = 1.0,
    latency_repeats: int = 20,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> tuple[nn.Module, DistillReport]:
    """Train a ``student_recipe`` architecture from ``teacher``'s logits. The gate: student accuracy may be at
    most ``max_metric_drop`` (absolute) below the teacher's (default 1.0 = report only)."""
    if temperature <= 0:
        raise ValueError("temperature must be positive.")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must be between 0 and 1.")
    cfg = recipe_config(student_recipe, student_config)
    cfg.update(temperature=float(temperature), alpha=float(alpha))
    progress(2.0, "teacher predictions")
    soft = teacher(data.X_train)
    teacher_eval = evaluate(teacher, data, should_stop=should_stop)
    with deterministic(seed):
        student = build_architecture(student_recipe, cfg, data.input_shape, data.n_classes)
    norm = getattr(student, "norm", None)
    if isinstance(norm, Standardize):
        norm.fit(data.X_train)
    hard = copy.deepcopy(student)
    if should_stop():
        raise Cancelled("stopped before training the student")
    train_classifier(
        student,
        data,
        cfg,
        seed,
        device=device,
        soft_targets=soft,
        should_stop=should_stop,
        progress=lambda p, m: progress(5 + 0.45 * p, f"student (distilled): {m}"),
    )
    train_classifier(
        hard,
        data,
        cfg,
        seed,
        device=device,
        should_stop=should_stop,
        progress=lambda p, m: progress(50 + 0.4 * p, f"student (hard labels): {m}"),
    )
    progress(92.0, "evaluating")
    student_pred, hard_pred = torch_predictor(student, device), torch_predictor(hard, device)
    s_eval = evaluate(student_pred, data, should_stop=should_stop)
    h_eval = evaluate(hard_pred, data, should_stop=should_stop)
    n_student = sum(p.numel() for p in student.parameters())

    def block(ev: Any, params: int | None, predict: Predictor) -> DistilledModel:
        return {
            "params": params,
            "metrics": ev.metrics,
            "slice_metrics": ev.slice_metrics,
            "latency_ms": {str(b): latency_ms(predict, data.X_eval, b, repeats=latency_repeats) for b in (1, 64)},
        }

    t_acc, s_acc, h_acc = teacher_eval.metrics["accuracy"], s_eval.metrics["accuracy"], h_eval.metrics["accuracy"]
    ratios = {
        "params": n_student / teacher_params if teacher_params else float("nan"),
        "accuracy": s_acc / t_acc if t_acc else float("nan"),
        "vs_hard_labels_points": (s_acc - h_acc) * 100,
    }
    passed = t_acc - s_acc <= max_metric_drop + 1e-12
    summary = (
        f"student {n_student} params ({ratios['params']:.3f}x teacher), accuracy {s_acc:.4f} = {ratios['accuracy'] * 100:.1f}% of teacher {t_acc:.4f}; "
        f"hard-label student {h_acc:.4f}"
    )
    report = DistillReport(
        passed=passed,
        summary=summary,
        temperature=float(temperature),
        alpha=float(alpha),
        student_recipe=student_recipe,
        student_config={k: v for k, v in cfg.items() if k not in ("temperature", "alpha")},
        teacher=block(teacher_eval, teacher_params, teacher),
        student=block(s_eval, n_student, student_pred),
        hard_label_student=block(h_eval, n_student, hard_pred),
        ratios=ratios,
        max_metric_drop=max_metric_drop,
        slice_deltas={
            n: s_eval.slice_metrics[n]["accuracy"] - m["accuracy"]
            for n, m in teacher_eval.slice_metrics.items()
            if "accuracy" in m and "accuracy" in s_eval.slice_metrics.get(n, {})
        },
    )
    progress(100.0, summary)
    return student, report
