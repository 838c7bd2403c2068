from django.urls import URLPattern, URLResolver, path

from shipyard.monitoring import serve_views

# /serve/{project}/{deployment}/feedback: the flywheel's entry on the data plane
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:project>/<str:deployment>/feedback", serve_views.feedback, name="serving-feedback"),
]
