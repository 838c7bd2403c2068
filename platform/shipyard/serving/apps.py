from django.apps import AppConfig


class ServingConfig(AppConfig):
    name = "shipyard.serving"
    label = "serving"
