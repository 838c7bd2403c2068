from django.urls import URLPattern, URLResolver, path

from shipyard.releases.api import views

_d = "projects/<str:project>/deployments/<slug:name>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_d + "pushes/", views.PushListView.as_view(), name="deployment-pushes"),
    path(_d + "pushes/<int:push_id>/", views.PushDetailView.as_view(), name="deployment-push-detail"),
    path(_d + "push-policy/", views.PushPolicyView.as_view(), name="deployment-push-policy"),
]
