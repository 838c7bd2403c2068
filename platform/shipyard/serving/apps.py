from django.apps import AppConfig


class ServingConfig(AppConfig):
    name = "shipyard.serving"
    label = "serving"

    def ready(self) -> None:
        # routes are published to the data plane on every change (deletes included)
        import shipyard.serving.publish  # noqa: F401
        from shipyard.registry.usage import usage_source_register
        from shipyard.serving.selectors import deployments_using

        usage_source_register(deployments_using)
