from django.urls import URLPattern, URLResolver, path

from shipyard.serving import gateway

# /serve/{project}/{deployment}/predict (the feedback route belongs to the monitoring app's flywheel)
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:project>/<str:deployment>/predict", gateway.predict, name="serving-predict"),
]
