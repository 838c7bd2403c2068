"""Shipyard: a self-hosted MLOps platform (Django project package).

Importing this package must stay cheap and free of Django imports: the Python client
(`shipyard.client`) and the CLI live here too and run on machines without the server.
"""
