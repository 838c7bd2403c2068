"""The serving gateway: Shipyard's data-plane process (``python -m shipyard.gateway``).

A lean ASGI app (uvicorn with uvloop and httptools) that serves
``POST /serve/<project>/<deployment>/predict``, the Open Inference Protocol under ``/v2`` and,
when ``GATEWAY_GRPC_PORT`` is set, its gRPC twin. It never imports Django: routing configs,
API-key hashes, token validity and team memberships come from Redis, where the control plane
writes them on every change (``serving.publish``, ``accounts.tokens``). Requests go to the
serving workers over the Redis protocol of ``serving.protocol``.
"""
