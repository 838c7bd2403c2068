from django.urls import URLPattern, URLResolver, path

from shipyard.monitoring import serve_views as monitoring_serve_views
from shipyard.serving import gateway

# /serve/{project}/{deployment}/predict (serving) and /feedback (the monitoring app's flywheel)
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:project>/<str:deployment>/predict", gateway.predict, name="serving-predict"),
    path("<str:project>/<str:deployment>/feedback", monitoring_serve_views.feedback, name="serving-feedback"),
]
