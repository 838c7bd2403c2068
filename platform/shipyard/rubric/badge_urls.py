from django.urls import URLPattern, URLResolver, path

from shipyard.rubric.badge_views import badge

# /badge/{project}.svg
urlpatterns: list[URLPattern | URLResolver] = [path("<str:project>.svg", badge, name="rubric-badge")]
