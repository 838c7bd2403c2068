"""The control plane's half of the data plane: every deployment's routing config in Redis.

The gateway processes read a deployment's :class:`~shipyard.serving.routing.DeploymentRoute`
(versions, their input schemas, batching, timeouts, policies and the hashes of its unrevoked API
keys) from :func:`protocol.route_key`, never from the database. It is written after every change
that commits (``lifecycle``), deleted with the deployment, and rebuilt in full at start-up
(``manage.py serving_publish``, run by ``shipyard_run``) and by the hourly ``serving.maintain``.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.db.models.signals import post_delete
from django.dispatch import receiver

from shipyard.serving import protocol
from shipyard.serving.dataplane import serving_redis
from shipyard.serving.models import Deployment
from shipyard.serving.selectors import deployment_routes, deployments_routed, route_of

logger = logging.getLogger(__name__)


def route_publish(*, deployment_id: int) -> bool:
    """Write one deployment's route (after a change commits); False when Redis is unreachable
    (the next rebuild repairs it) or the deployment is gone."""
    deployment = deployments_routed().filter(pk=deployment_id).first()
    if deployment is None:
        return False
    route = route_of(deployment)
    try:
        pipe = serving_redis().pipeline(transaction=False)
        pipe.set(protocol.route_key(deployment.project.slug, deployment.name), route.dumps())
        pipe.sadd(protocol.QUEUES, protocol.queue_key(deployment_id))
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("cannot publish the route of deployment %s: %s", deployment_id, exc)
        return False
    return True


def route_unpublish(*, project: str, name: str, deployment_id: int) -> None:
    """Forget a deleted deployment: its route and its request list."""
    try:
        pipe = serving_redis().pipeline(transaction=False)
        pipe.delete(protocol.route_key(project, name), protocol.queue_key(deployment_id))
        pipe.srem(protocol.QUEUES, protocol.queue_key(deployment_id))
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("cannot unpublish deployment %s: %s", deployment_id, exc)


def routes_rebuild() -> int:
    """Every deployment's route from the database; routes of deployments that no longer exist
    are deleted. Returns the number published."""
    r: Any = serving_redis()
    routes = deployment_routes()
    keep = {protocol.route_key(project, route.name) for project, route in routes}
    stale = [k for k in r.scan_iter(match=protocol.route_key("*", "*"), count=1000) if k.decode() not in keep]
    pipe = r.pipeline(transaction=True)
    for project, route in routes:
        pipe.set(protocol.route_key(project, route.name), route.dumps())
    if stale:
        pipe.delete(*stale)
    pipe.delete(protocol.QUEUES)
    if routes:
        pipe.sadd(protocol.QUEUES, *(protocol.queue_key(route.deployment_id) for _, route in routes))
    pipe.execute()
    return len(routes)


@receiver(post_delete, sender=Deployment, dispatch_uid="serving.publish.deployment_deleted")
def _deployment_deleted(sender: Any, instance: Deployment, **kwargs: Any) -> None:
    from django.db import transaction

    from shipyard.projects.models import Project

    project = Project.objects.filter(pk=instance.project_id).values_list("slug", flat=True).first()
    name, pk = instance.name, instance.pk
    if project is None:  # the project row went first: rebuild everything instead
        transaction.on_commit(routes_rebuild)
        return
    transaction.on_commit(lambda: route_unpublish(project=project, name=name, deployment_id=pk))
