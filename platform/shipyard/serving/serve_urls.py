from django.urls import URLPattern, URLResolver

# /serve/{project}/{deployment}/predict and /feedback
urlpatterns: list[URLPattern | URLResolver] = []
