from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from shipyard.jobs.api.views import EdgeProfileDetailView, EdgeProfileListView, JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(router.urls)),
    path("projects/<str:project>/edge-profiles/", EdgeProfileListView.as_view(), name="edge-profile-list"),
    path(
        "projects/<str:project>/edge-profiles/<slug:name>/", EdgeProfileDetailView.as_view(), name="edge-profile-detail"
    ),
]
