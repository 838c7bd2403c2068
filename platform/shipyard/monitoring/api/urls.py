from django.urls import URLPattern, URLResolver, path

from shipyard.monitoring.api import views

_d = "projects/<str:project>/deployments/<str:deployment>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_d + "drift/", views.DriftView.as_view(), name="monitoring-drift"),
    path(_d + "drift/rules/<str:feature>/", views.DriftRuleView.as_view(), name="monitoring-drift-rule"),
    path(_d + "monitoring/", views.MonitoringView.as_view(), name="monitoring-deployment"),
    path(_d + "monitoring/run/", views.MonitoringRunView.as_view(), name="monitoring-run"),
    path(_d + "flywheel/", views.FlywheelView.as_view(), name="monitoring-flywheel"),
    path(_d + "flywheel/export/", views.FlywheelExportView.as_view(), name="monitoring-flywheel-export"),
    path("monitoring/overview/", views.OverviewView.as_view(), name="monitoring-overview"),
    path("alerts/", views.AlertListView.as_view(), name="monitoring-alerts"),
    path("alerts/<int:alert_id>/resolve/", views.AlertResolveView.as_view(), name="monitoring-alert-resolve"),
]
