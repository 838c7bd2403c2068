from django.urls import URLPattern, URLResolver, path

from shipyard.registry.api import views

P = "projects/<str:project>"
M = f"{P}/models/<str:model>"
D = f"{P}/datasets/<str:name>"

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{P}/models/", views.ModelListView.as_view(), name="registry-models"),
    path(f"{M}/", views.ModelDetailView.as_view(), name="registry-model"),
    path(f"{M}/versions/", views.ModelVersionListView.as_view(), name="registry-versions"),
    path(f"{M}/versions/<int:number>/", views.ModelVersionDetailView.as_view(), name="registry-version"),
    path(f"{M}/versions/<int:number>/artifact", views.ModelVersionArtifactView.as_view(), name="registry-artifact"),
    path(f"{M}/aliases/", views.AliasListView.as_view(), name="registry-aliases"),
    path(f"{M}/aliases/<str:alias>/", views.AliasDetailView.as_view(), name="registry-alias"),
    path(f"{P}/feature-policy/", views.FeaturePolicyView.as_view(), name="registry-feature-policy"),
    path(f"{P}/datasets/", views.DatasetListView.as_view(), name="registry-datasets"),
    path(f"{D}/", views.DatasetDetailView.as_view(), name="registry-dataset"),
    path(f"{D}/downloads/", views.DatasetDownloadListView.as_view(), name="registry-dataset-downloads"),
    path(f"{D}/versions/", views.DatasetVersionListView.as_view(), name="registry-dataset-versions"),
    path(f"{D}/versions/<int:number>/", views.DatasetVersionDetailView.as_view(), name="registry-dataset-version"),
    path(f"{D}/versions/<int:number>/file", views.DatasetVersionFileView.as_view(), name="registry-dataset-file"),
]
