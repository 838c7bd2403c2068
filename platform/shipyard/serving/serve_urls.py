from django.urls import URLPattern, URLResolver, path

from shipyard.serving import gateway

# /serve/{project}/{deployment}/predict; the monitoring app adds /feedback (monitoring/serve_urls.py)
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:project>/<str:deployment>/predict", gateway.predict, name="serving-predict"),
]
