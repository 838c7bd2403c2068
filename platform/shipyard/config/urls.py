from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from shipyard.core import views as core_views

api_v1 = [
    path("", include("shipyard.accounts.api.urls")),
    path("", include("shipyard.projects.api.urls")),
    path("", include("shipyard.rubric.api.urls")),
    path("", include("shipyard.ci.api.urls")),
    path("", include("shipyard.registry.api.urls")),
    path("", include("shipyard.jobs.api.urls")),
    path("", include("shipyard.serving.api.urls")),
    path("", include("shipyard.monitoring.api.urls")),
    path("", include("shipyard.releases.api.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so script-src 'self' suffices.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", core_views.api_not_found),
    path("serve/", include("shipyard.serving.serve_urls")),
    path("serve/", include("shipyard.monitoring.serve_urls")),
    path("badge/", include("shipyard.rubric.badge_urls")),
    path("admin/", admin.site.urls),
    re_path(r"^(?!static/|api/|serve/|badge/|admin/).*$", core_views.spa, name="spa"),
]

handler404 = "shipyard.core.views.not_found"
handler500 = "shipyard.core.views.server_error"
