from django.apps import AppConfig


class CIConfig(AppConfig):
    name = "shipyard.ci"
    label = "ci"
