"""Project configuration: environment, settings, URLs, WSGI and the Celery app."""
