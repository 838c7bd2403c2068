from django.urls import URLPattern, URLResolver, path

from shipyard.ci.api import views

P = "projects/<str:project>/ci"

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{P}/webhook/", views.WebhookView.as_view(), name="ci-webhook"),
    path(f"{P}/secret/", views.SecretView.as_view(), name="ci-secret"),
    path(f"{P}/settings/", views.ConfigView.as_view(), name="ci-settings"),
    path(f"{P}/runs/", views.RunListView.as_view(), name="ci-runs"),
    path(f"{P}/runs/<str:run>/", views.RunDetailView.as_view(), name="ci-run"),
    path(f"{P}/runs/<str:run>/cases/", views.RunCasesView.as_view(), name="ci-run-cases"),
    path(f"{P}/tag-rules/", views.TagRuleListView.as_view(), name="ci-tag-rules"),
    path(f"{P}/tag-rules/<str:rule>/", views.TagRuleDetailView.as_view(), name="ci-tag-rule"),
    path(f"{P}/metric-policies/", views.MetricPolicyListView.as_view(), name="ci-metric-policies"),
    path(f"{P}/metric-policies/<str:metric>/", views.MetricPolicyDetailView.as_view(), name="ci-metric-policy"),
    path(f"{P}/metrics/", views.MetricsView.as_view(), name="ci-metrics"),
    path(f"{P}/dependency-changes/", views.DependencyChangeListView.as_view(), name="ci-dependency-changes"),
    path(f"{P}/deliveries/", views.DeliveryListView.as_view(), name="ci-deliveries"),
    path(f"{P}/notifications/", views.NotificationListView.as_view(), name="ci-notifications"),
]
