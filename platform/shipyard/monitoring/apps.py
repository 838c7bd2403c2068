from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "shipyard.monitoring"
    label = "monitoring"

    def ready(self) -> None:
        from shipyard.core.metrics import scrape_hook_register
        from shipyard.monitoring import metrics, receivers

        receivers.connect()
        # /metrics lives in core, below this app: the ingest gauges are refreshed through its hook
        scrape_hook_register(metrics.refresh)
