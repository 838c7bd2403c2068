from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shipyard.core"
    label = "core"

    def ready(self) -> None:
        # Make the configured Celery app the current one in every process that loads Django,
        # so `shared_task(...).delay()` from a web request goes to the Redis broker.
        import shipyard.config.celery  # noqa: F401
