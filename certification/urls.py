from django.urls import path

from . import views

app_name = "certification"
urlpatterns = [
    # applications (MF-01 … MF-04)
    path("applications/", views.ApplicationListView.as_view(), name="application-list"),
    path("applications/refused/", views.RefusedApplicationListView.as_view(), name="application-refused-list"),
    path("applications/new/", views.ApplicationCreateView.as_view(), name="application-create"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application-detail"),
    path("applications/<int:pk>/edit/", views.ApplicationEditView.as_view(), name="application-edit"),
    path(
        "applications/<int:pk>/transitions/<slug:name>/",
        views.ApplicationTransitionView.as_view(),
        name="application-transition",
    ),
    path(
        "applications/<int:pk>/team/new/",
        views.EvaluationAuditorAssignView.as_view(),
        name="evaluation-auditor-assign",
    ),
    path("applications/<int:pk>/evidence/new/", views.EvidenceUploadView.as_view(), name="evidence-upload"),
    path("evidence/<int:pk>/download/", views.EvidenceDownloadView.as_view(), name="evidence-download"),
    # certificates (CE-01 … CE-03)
    path("certificates/", views.CertificateListView.as_view(), name="certificate-list"),
    path("certificates/<int:pk>/", views.CertificateDetailView.as_view(), name="certificate-detail"),
    path(
        "certificates/<int:pk>/transitions/<slug:name>/",
        views.CertificateTransitionView.as_view(),
        name="certificate-transition",
    ),
    path("certificates/<int:pk>/scope/", views.CertificateScopeView.as_view(), name="certificate-scope"),
    path("certificates/<int:pk>/transfer/", views.CertificateTransferView.as_view(), name="certificate-transfer"),
    path("certificates/<int:pk>/pdf/", views.CertificatePdfView.as_view(), name="certificate-pdf"),
]
