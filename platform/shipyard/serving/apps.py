import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def _serving_queue_gauge() -> None:
    """``shipyard_serving_queue_length`` from the request lists in Redis (one pipelined round trip)."""
    import redis

    from shipyard.core.metrics import SERVING_QUEUE_LENGTH
    from shipyard.core.redis import client as redis_client
    from shipyard.serving import protocol

    try:
        client = redis_client()
        lists = {"shared": protocol.QUEUE}
        members: set[bytes] = client.smembers(protocol.QUEUES)  # type: ignore[assignment]  # sync client
        for key in members:
            name = key.decode() if isinstance(key, bytes) else str(key)
            lists[name.rsplit(":", 1)[-1]] = name
        pipe = client.pipeline(transaction=False)
        for name in lists.values():
            pipe.llen(name)
        lengths = pipe.execute()
    except redis.RedisError:
        logger.warning("metrics: redis unavailable for the serving queues")
        return
    SERVING_QUEUE_LENGTH.clear()  # a deleted deployment's list leaves the exposition
    for label, length in zip(lists, lengths, strict=True):
        SERVING_QUEUE_LENGTH.labels(label).set(int(length))


class ServingConfig(AppConfig):
    name = "shipyard.serving"
    label = "serving"

    def ready(self) -> None:
        # routes are published to the data plane on every change (deletes included)
        import shipyard.serving.publish  # noqa: F401
        from shipyard.core.metrics import scrape_hook_register
        from shipyard.registry.blobs import blob_reference_hook_register
        from shipyard.registry.usage import usage_source_register
        from shipyard.serving.archive import archived_keys
        from shipyard.serving.selectors import deployments_using

        usage_source_register(deployments_using)
        scrape_hook_register(_serving_queue_gauge)
        # the prediction log's Parquet archives live in the registry's blob storage
        blob_reference_hook_register(archived_keys)
