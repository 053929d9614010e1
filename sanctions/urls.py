from django.urls import path

from . import views

app_name = "sanctions"
urlpatterns = [
    path("", views.SanctionsIndexView.as_view(), name="index"),
    # corrective action requests (SA-01, SA-06)
    path("cars/", views.CARListView.as_view(), name="car-list"),
    path("cars/new/", views.CARIssueView.as_view(), name="car-issue"),
    path("cars/<int:pk>/", views.CARDetailView.as_view(), name="car-detail"),
    path("cars/<int:pk>/respond/", views.CARRespondView.as_view(), name="car-respond"),
    path("cars/<int:pk>/transitions/<slug:name>/", views.CARTransitionView.as_view(), name="car-transition"),
    path("audits/<int:pk>/unnotified-change/", views.UnnotifiedChangeView.as_view(), name="unnotified-change"),
    # supervisory requests to suspend a certificate (SA-02)
    path("suspension-requests/", views.SuspensionRequestListView.as_view(), name="suspension-request-list"),
    path("suspension-requests/new/", views.SuspensionRequestCreateView.as_view(), name="suspension-request-create"),
    path(
        "suspension-requests/<int:pk>/",
        views.SuspensionRequestDetailView.as_view(),
        name="suspension-request-detail",
    ),
    path(
        "suspension-requests/<int:pk>/transitions/<slug:name>/",
        views.SuspensionRequestTransitionView.as_view(),
        name="suspension-request-transition",
    ),
    # appeals (SA-04)
    path("appeals/", views.AppealListView.as_view(), name="appeal-list"),
    path("appeals/new/", views.AppealLodgeView.as_view(), name="appeal-lodge"),
    path("appeals/<int:pk>/", views.AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/transitions/<slug:name>/", views.AppealTransitionView.as_view(), name="appeal-transition"),
    # defect reports (SA-05)
    path("defects/", views.DefectReportListView.as_view(), name="defect-list"),
    path("defects/<int:pk>/", views.DefectReportDetailView.as_view(), name="defect-detail"),
    path("defects/<int:pk>/close/", views.DefectCloseView.as_view(), name="defect-close"),
    path("defects/<int:pk>/transitions/<slug:name>/", views.DefectTransitionView.as_view(), name="defect-transition"),
]
