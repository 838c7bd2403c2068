from django.urls import URLPattern, URLResolver, path

from shipyard.rubric.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("rubric/", views.RubricView.as_view(), name="rubric"),
    path("rubric/teams/<str:team>/", views.TeamRubricView.as_view(), name="rubric-team"),
    path("projects/<str:project>/assessments/", views.AssessmentListView.as_view(), name="assessment-list"),
    path(
        "projects/<str:project>/assessments/<str:assessment>/",
        views.AssessmentDetailView.as_view(),
        name="assessment-detail",
    ),
    path(
        "projects/<str:project>/assessments/<str:assessment>/report.md",
        views.AssessmentReportView.as_view(),
        name="assessment-report",
    ),
    path("projects/<str:project>/score/", views.ScoreView.as_view(), name="rubric-score"),
    path("projects/<str:project>/evidence/", views.EvidenceListView.as_view(), name="evidence-list"),
]
