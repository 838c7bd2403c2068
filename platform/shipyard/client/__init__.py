"""Shipyard's Python client and CLI. Depends on `requests` only: no Django, no torch at import.

from shipyard.client import Client
client = Client()                      # SHIPYARD_URL and SHIPYARD_TOKEN from the environment
"""

from shipyard.client.http import Client, ShipyardError

__all__ = ["Client", "ShipyardError"]
