from django.urls import path

from . import pdf_batch_views, views

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
    # zips of certificate PDFs (CE-03)
    path("certificates/pdf-batches/", pdf_batch_views.CertificatePdfBatchCreateView.as_view(), name="pdf-batch-create"),
    path("pdf-batches/<int:pk>/", pdf_batch_views.CertificatePdfBatchDetailView.as_view(), name="pdf-batch-detail"),
    path(
        "pdf-batches/<int:pk>/progress/",
        pdf_batch_views.CertificatePdfBatchProgressView.as_view(),
        name="pdf-batch-progress",
    ),
    path(
        "pdf-batches/<int:pk>/download/",
        pdf_batch_views.CertificatePdfBatchDownloadView.as_view(),
        name="pdf-batch-download",
    ),
    path(
        "pdf-batches/<int:pk>/again/",
        pdf_batch_views.CertificatePdfBatchRepeatView.as_view(),
        name="pdf-batch-again",
    ),
]
