from django.apps import AppConfig


class ServingConfig(AppConfig):
    name = "shipyard.serving"
    label = "serving"

    def ready(self) -> None:
        # routes are published to the data plane on every change (deletes included)
        import shipyard.serving.publish  # noqa: F401
        from shipyard.registry.blobs import blob_reference_hook_register
        from shipyard.registry.usage import usage_source_register
        from shipyard.serving.archive import archived_keys
        from shipyard.serving.selectors import deployments_using

        usage_source_register(deployments_using)
        # the prediction log's Parquet archives live in the registry's blob storage
        blob_reference_hook_register(archived_keys)
