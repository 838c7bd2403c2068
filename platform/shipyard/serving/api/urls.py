from django.urls import URLPattern, URLResolver, path

from shipyard.serving.api import debug_views, views

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
    path(
        "projects/<str:project>/models/<str:model>/ensembles/",
        views.EnsembleCreateView.as_view(),
        name="ensemble-create",
    ),
    path(_d + "outliers/", views.OutlierView.as_view(), name="deployment-outliers"),
    path(_d + "shadow/", views.ShadowView.as_view(), name="deployment-shadow"),
    path(_d + "bandit/", views.BanditView.as_view(), name="deployment-bandit"),
    path(_d + "gate/", views.GateView.as_view(), name="deployment-gate"),
    path(_d + "comparison/", views.ComparisonView.as_view(), name="deployment-comparison"),
    path(_d + "keys/", views.ApiKeyListView.as_view(), name="deployment-keys"),
    path(_d + "predictions/", debug_views.PredictionListView.as_view(), name="deployment-predictions"),
    path(_d + "replay/", debug_views.ReplayView.as_view(), name="deployment-replay"),
    path(_d + "keys/<int:key_id>/revoke/", views.ApiKeyRevokeView.as_view(), name="deployment-key-revoke"),
]
