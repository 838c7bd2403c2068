"""Demo traffic against deployments: backfill (drift half-way, user corrections) and optionally follow."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Simulate prediction traffic and user feedback for monitoring dashboards."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", default="", help="project slug (default: every deployment)")
        parser.add_argument("--deployment", default="", help="deployment name")
        parser.add_argument("--predictions", type=int, default=2400, help="backfilled predictions per deployment")
        parser.add_argument("--hours", type=float, default=48.0, help="backfilled time span")
        parser.add_argument("--no-backfill", action="store_true", help="skip the backfill")
        parser.add_argument("--follow", action="store_true", help="keep sending live traffic (Ctrl-C stops)")
        parser.add_argument("--per-minute", type=int, default=30)
        parser.add_argument(
            "--drift-after",
            type=float,
            default=10.0,
            help="minutes of live traffic before drift (never on digits-classifier)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from shipyard.monitoring import demo
        from shipyard.serving.models import Deployment

        deployments = Deployment.objects.select_related("project", "live_version__training_dataset")
        if opts["project"]:
            deployments = deployments.filter(project__slug=opts["project"])
        if opts["deployment"]:
            deployments = deployments.filter(name=opts["deployment"])
        chosen = list(deployments)
        if not chosen:
            raise CommandError("No matching deployment.")
        usable = [
            d
            for d in chosen
            if d.live_version is not None and d.live_version.training_dataset_id and d.live_version.format != "ensemble"
        ]
        if not usable:
            raise CommandError("No matching deployment has a live version with a training dataset.")
        if not opts["no_backfill"]:
            for d in usable:
                drift = 0 if d.project.slug in demo.STEADY_PROJECTS else 2
                result = demo.simulate(d, predictions=opts["predictions"], hours=opts["hours"], drift_features=drift)
                self.stdout.write(
                    f"{d.project.slug}/{d.name}: {result['predictions']} predictions, {result['feedback']} labels, "
                    f"drift in {', '.join(result['drifted_features']) or 'no feature'}"
                )
        if opts["follow"]:
            names = ", ".join(f"{d.project.slug}/{d.name}" for d in usable)
            self.stdout.write(f"following {names} (steady: {', '.join(sorted(demo.STEADY_PROJECTS))})")
            demo.follow(usable, per_minute=opts["per_minute"], drift_after_min=opts["drift_after"])
