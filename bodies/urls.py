from django.urls import path

from . import views

app_name = "bodies"
urlpatterns = [
    # certification bodies
    path("", views.CertificationBodyListView.as_view(), name="cb-list"),
    path("new/", views.CertificationBodyCreateView.as_view(), name="cb-create"),
    path("<int:pk>/", views.CertificationBodyDetailView.as_view(), name="cb-detail"),
    path("<int:pk>/edit/", views.CertificationBodyEditView.as_view(), name="cb-edit"),
    path("<int:pk>/scope/", views.CertificationBodyScopeView.as_view(), name="cb-scope"),
    path("<int:pk>/transitions/<slug:name>/", views.CertificationBodyTransitionView.as_view(), name="cb-transition"),
    path("<int:pk>/accreditations/new/", views.AccreditationCreateView.as_view(), name="accreditation-create"),
    path("<int:pk>/requirements/new/", views.RequirementAssessmentCreateView.as_view(), name="requirement-create"),
    path("<int:pk>/assessments/new/", views.CBAssessmentPlanView.as_view(), name="assessment-create"),
    path("<int:pk>/findings/new/", views.OversightFindingCreateView.as_view(), name="finding-create"),
    path(
        "<int:pk>/suspension-requests/new/",
        views.SuspensionRequestCreateView.as_view(),
        name="suspension-request-create",
    ),
    # oversight
    path("assessments/", views.CBAssessmentListView.as_view(), name="assessment-list"),
    path("assessments/<int:pk>/", views.CBAssessmentDetailView.as_view(), name="assessment-detail"),
    path("assessments/<int:pk>/join/", views.CBAssessmentJoinView.as_view(), name="assessment-join"),
    path(
        "assessments/<int:pk>/transitions/<slug:name>/",
        views.CBAssessmentTransitionView.as_view(),
        name="assessment-transition",
    ),
    path("suspension-requests/", views.SuspensionRequestListView.as_view(), name="suspension-request-list"),
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
    # auditors
    path("auditors/", views.AuditorListView.as_view(), name="auditor-list"),
    path("auditors/new/", views.AuditorCreateView.as_view(), name="auditor-create"),
    path("auditors/<int:pk>/", views.AuditorDetailView.as_view(), name="auditor-detail"),
    path("auditors/<int:pk>/edit/", views.AuditorEditView.as_view(), name="auditor-edit"),
    path("auditors/<int:pk>/trainings/new/", views.TrainingCreateView.as_view(), name="training-create"),
    path("auditors/<int:pk>/competences/new/", views.CompetenceGrantView.as_view(), name="competence-create"),
    path("auditors/<int:pk>/declarations/new/", views.DeclarationCreateView.as_view(), name="declaration-create"),
    # laboratories
    path("laboratories/", views.LaboratoryListView.as_view(), name="lab-list"),
    path("laboratories/new/", views.LaboratoryCreateView.as_view(), name="lab-create"),
    path("laboratories/<int:pk>/", views.LaboratoryDetailView.as_view(), name="lab-detail"),
    path("laboratories/<int:pk>/edit/", views.LaboratoryEditView.as_view(), name="lab-edit"),
    path("laboratories/<int:pk>/equipment/new/", views.EquipmentCreateView.as_view(), name="equipment-create"),
    path(
        "laboratories/<int:pk>/proficiency-results/new/",
        views.ProficiencyResultCreateView.as_view(),
        name="proficiency-create",
    ),
    path("equipment/<int:pk>/calibrations/new/", views.CalibrationCreateView.as_view(), name="calibration-create"),
    path("lab-actions/<int:pk>/", views.LabActionDetailView.as_view(), name="lab-action-detail"),
    path(
        "lab-actions/<int:pk>/transitions/<slug:name>/",
        views.LabActionTransitionView.as_view(),
        name="lab-action-transition",
    ),
    # reference data
    path("reference/", views.ReferenceDataView.as_view(), name="reference"),
    path("technologies/", views.TechnologyListView.as_view(), name="technology-list"),
    path("technologies/new/", views.TechnologyCreateView.as_view(), name="technology-create"),
    path("technologies/<int:pk>/edit/", views.TechnologyEditView.as_view(), name="technology-edit"),
    path("schemes/", views.SchemeListView.as_view(), name="scheme-list"),
    path("schemes/new/", views.SchemeCreateView.as_view(), name="scheme-create"),
    path("schemes/<int:pk>/edit/", views.SchemeEditView.as_view(), name="scheme-edit"),
    path("accreditation-bodies/", views.AccreditationBodyListView.as_view(), name="accreditation-body-list"),
    path("accreditation-bodies/new/", views.AccreditationBodyCreateView.as_view(), name="accreditation-body-create"),
    path(
        "accreditation-bodies/<int:pk>/edit/",
        views.AccreditationBodyEditView.as_view(),
        name="accreditation-body-edit",
    ),
    path("proficiency-rounds/", views.ProficiencyRoundListView.as_view(), name="proficiency-round-list"),
    path("proficiency-rounds/new/", views.ProficiencyRoundCreateView.as_view(), name="proficiency-round-create"),
    path("supervisory-bodies/", views.SupervisoryBodyListView.as_view(), name="supervisory-body-list"),
    path("supervisory-bodies/new/", views.SupervisoryBodyCreateView.as_view(), name="supervisory-body-create"),
    path(
        "supervisory-bodies/<int:pk>/",
        views.SupervisoryBodyDetailView.as_view(),
        name="supervisory-body-detail",
    ),
    path(
        "supervisory-bodies/<int:pk>/transitions/<slug:name>/",
        views.SupervisoryBodyTransitionView.as_view(),
        name="supervisory-body-transition",
    ),
]
