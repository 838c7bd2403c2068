from django.apps import AppConfig


class ServingConfig(AppConfig):
    name = "shipyard.serving"
    label = "serving"

    def ready(self) -> None:
        from shipyard.registry.usage import usage_source_register
        from shipyard.serving.selectors import deployments_using

        usage_source_register(deployments_using)
