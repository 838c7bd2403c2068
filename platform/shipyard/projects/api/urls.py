from rest_framework.routers import SimpleRouter

from shipyard.projects.api import views

router = SimpleRouter(trailing_slash=True)
router.register("projects", views.ProjectViewSet, basename="project")

urlpatterns = router.urls
