from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "shipyard.monitoring"
    label = "monitoring"

    def ready(self) -> None:
        from shipyard.monitoring import receivers

        receivers.connect()
