from django.contrib.auth import views as auth_views
from django.urls import path

from . import decisions, notifications, supervision, views

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/login/verify/", views.login_verify, name="login-verify"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.TwoFactorView.as_view(), name="two-factor"),
    path("accounts/organisation/", views.switch_membership, name="switch-membership"),
    path("supervision/", supervision.SupervisionView.as_view(), name="supervision"),
    path("settings/api-tokens/", views.TokenListView.as_view(), name="token-list"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_read, name="notifications-read"),
    path("notifications/calendar/renew/", notifications.calendar_token_renew, name="calendar-renew"),
    path("calendar.ics", notifications.calendar_feed, name="calendar-feed"),
    path("decisions/<int:pk>/evidence/new/", decisions.DecisionEvidenceAttachView.as_view(), name="decision-evidence"),
    path(
        "decisions/evidence/<int:pk>/download/",
        decisions.DecisionEvidenceDownloadView.as_view(),
        name="decision-evidence-download",
    ),
]
