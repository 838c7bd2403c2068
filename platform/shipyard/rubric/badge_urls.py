from django.urls import URLPattern, URLResolver

# /badge/{project}.svg
urlpatterns: list[URLPattern | URLResolver] = []
