from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "shipyard.monitoring"
    label = "monitoring"
