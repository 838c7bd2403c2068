from django.urls import URLPattern, URLResolver, path

from shipyard.serving import explain_views, gateway

# /serve/{project}/{deployment}/predict; the monitoring app adds /feedback (monitoring/serve_urls.py)
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:project>/<str:deployment>/predict", gateway.predict, name="serving-predict"),
    path("<str:project>/<str:deployment>/explain", explain_views.explain, name="serving-explain"),
    path("<str:project>/<str:deployment>/explain/<int:job_id>", explain_views.explanation, name="serving-explanation"),
]
