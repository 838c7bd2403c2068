"""Shipyard's Python client and CLI. Depends on `requests` only: no Django, no torch at import.

from shipyard.client import Client
client = Client()                      # SHIPYARD_URL and SHIPYARD_TOKEN from the environment
"""

from shipyard.client.http import Client, ShipyardError
from shipyard.client.push import Pusher
from shipyard.client.registry import ModelArtifact, Registry

__all__ = ["Client", "ModelArtifact", "Pusher", "Registry", "ShipyardError"]
