from django.urls import URLPattern, URLResolver, path

from shipyard.serving.api import views

_d = "projects/<str:project>/deployments/<slug:name>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("deployments/", views.TeamDeploymentListView.as_view(), name="deployment-team-list"),
    path("projects/<str:project>/deployments/", views.DeploymentListView.as_view(), name="deployment-list"),
    path("projects/<str:project>/feature-lead-time/", views.FeatureLeadTimeView.as_view(), name="feature-lead-time"),
    path(_d, views.DeploymentDetailView.as_view(), name="deployment-detail"),
    path(_d + "deploy/", views.DeployView.as_view(), name="deployment-deploy"),
    path(_d + "canary/", views.CanaryView.as_view(), name="deployment-canary"),
    path(_d + "promote/", views.PromoteView.as_view(), name="deployment-promote"),
    path(_d + "rollback/", views.RollbackView.as_view(), name="deployment-rollback"),
    path(_d + "events/", views.EventListView.as_view(), name="deployment-events"),
    path(_d + "metrics/", views.MetricsView.as_view(), name="deployment-metrics"),
    path(_d + "gate/", views.GateView.as_view(), name="deployment-gate"),
    path(_d + "keys/", views.ApiKeyListView.as_view(), name="deployment-keys"),
    path(_d + "keys/<int:key_id>/revoke/", views.ApiKeyRevokeView.as_view(), name="deployment-key-revoke"),
]
