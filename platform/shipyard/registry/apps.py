from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "shipyard.registry"
    label = "registry"
