"""The project's URLs plus the feedback route, as the serving app's serve_urls will route it."""

from django.urls import path

from shipyard.config.urls import urlpatterns as project_urlpatterns
from shipyard.monitoring.serve_views import feedback

urlpatterns = [
    path("serve/<str:project>/<str:deployment>/feedback", feedback, name="serving-feedback"),
    *project_urlpatterns,
]
