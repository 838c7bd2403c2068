from django.apps import AppConfig


def _jobs_gauge() -> None:
    from shipyard.core.metrics import JOBS
    from shipyard.jobs.selectors import job_counts_by_status

    for status, count in job_counts_by_status().items():
        JOBS.labels(status).set(count)


class JobsConfig(AppConfig):
    name = "shipyard.jobs"
    label = "jobs"

    def ready(self) -> None:
        # /metrics lives in core, below this app: the jobs gauge is refreshed through core's hook
        from shipyard.core.metrics import scrape_hook_register

        scrape_hook_register(_jobs_gauge)
