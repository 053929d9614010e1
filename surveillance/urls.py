from django.urls import path

from . import views

app_name = "surveillance"
urlpatterns = [
    # audits (SV-01, SV-03, SV-06, SV-07)
    path("audits/", views.AuditListView.as_view(), name="audit-list"),
    path("audits/new/", views.AuditPlanView.as_view(), name="audit-plan"),
    path("audits/<int:pk>/", views.AuditDetailView.as_view(), name="audit-detail"),
    path("audits/<int:pk>/edit/", views.AuditEditView.as_view(), name="audit-edit"),
    path("audits/<int:pk>/transitions/<slug:name>/", views.AuditTransitionView.as_view(), name="audit-transition"),
    path("audits/<int:pk>/team/new/", views.AuditTeamAssignView.as_view(), name="audit-team-assign"),
    path(
        "audits/<int:pk>/nonconformities/new/",
        views.NonconformityRecordView.as_view(),
        name="nonconformity-record",
    ),
    # nonconformities (SV-04)
    path("nonconformities/", views.NonconformityListView.as_view(), name="nonconformity-list"),
    path("nonconformities/<int:pk>/", views.NonconformityDetailView.as_view(), name="nonconformity-detail"),
    path("nonconformities/<int:pk>/respond/", views.NonconformityRespondView.as_view(), name="nonconformity-respond"),
    path(
        "nonconformities/<int:pk>/transitions/<slug:name>/",
        views.NonconformityTransitionView.as_view(),
        name="nonconformity-transition",
    ),
    # samples (SV-02)
    path("samples/", views.SampleListView.as_view(), name="sample-list"),
    path("samples/new/", views.SampleRecordView.as_view(), name="sample-record"),
    path("samples/<int:pk>/", views.SampleDetailView.as_view(), name="sample-detail"),
    path("samples/<int:pk>/result/", views.SampleResultView.as_view(), name="sample-result"),
    # complaints and field failures (SV-03)
    path("complaints/", views.ComplaintListView.as_view(), name="complaint-list"),
    path("complaints/new/", views.ComplaintRecordView.as_view(), name="complaint-record"),
    # process change notifications (SV-05)
    path("pcns/", views.PCNListView.as_view(), name="pcn-list"),
    path("pcns/new/", views.PCNSubmitView.as_view(), name="pcn-submit"),
    path("pcns/<int:pk>/", views.PCNDetailView.as_view(), name="pcn-detail"),
    path("pcns/<int:pk>/documents/new/", views.PCNDocumentUploadView.as_view(), name="pcn-document-upload"),
    path("pcns/<int:pk>/classify/", views.PCNClassifyView.as_view(), name="pcn-classify"),
    path("pcns/<int:pk>/close/", views.PCNCloseView.as_view(), name="pcn-close"),
    path("pcn-documents/<int:pk>/download/", views.PCNDocumentDownloadView.as_view(), name="pcn-document-download"),
    # frequency (SV-07)
    path(
        "manufacturers/<int:pk>/frequency/",
        views.ManufacturerFrequencyView.as_view(),
        name="manufacturer-frequency",
    ),
]
