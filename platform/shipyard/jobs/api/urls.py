from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from shipyard.jobs.api.views import JobViewSet

router = SimpleRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns: list[URLPattern | URLResolver] = [path("", include(router.urls))]
