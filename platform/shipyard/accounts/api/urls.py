from django.urls import path
from rest_framework.routers import SimpleRouter

from shipyard.accounts.api import views

router = SimpleRouter(trailing_slash=True)
router.register("teams", views.TeamViewSet, basename="team")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    *router.urls,
]
