from iecq.api.routers import OfferedMethodsRouter

from .views import (
    AccreditationBodyViewSet,
    AccreditationViewSet,
    AuditorCompetenceViewSet,
    AuditorTrainingViewSet,
    AuditorViewSet,
    CalibrationRecordViewSet,
    CBAssessmentViewSet,
    CBSuspensionRequestViewSet,
    CertificationBodyViewSet,
    DeclarationViewSet,
    EquipmentViewSet,
    LabActionViewSet,
    LaboratoryViewSet,
    OversightFindingViewSet,
    ProficiencyResultViewSet,
    ProficiencyRoundViewSet,
    RequirementAssessmentViewSet,
    SchemeViewSet,
    SupervisoryBodyViewSet,
    TechnologyViewSet,
)

router = OfferedMethodsRouter()
router.register("certification-bodies", CertificationBodyViewSet, basename="certification-body")
router.register("accreditation-bodies", AccreditationBodyViewSet, basename="accreditation-body")
router.register("technologies", TechnologyViewSet, basename="technology")
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("proficiency-rounds", ProficiencyRoundViewSet, basename="proficiency-round")
router.register("accreditations", AccreditationViewSet, basename="accreditation")
router.register("requirement-assessments", RequirementAssessmentViewSet, basename="requirement-assessment")
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("auditors", AuditorViewSet, basename="auditor")
router.register("auditor-trainings", AuditorTrainingViewSet, basename="auditor-training")
router.register("auditor-competences", AuditorCompetenceViewSet, basename="auditor-competence")
router.register("laboratories", LaboratoryViewSet, basename="laboratory")
router.register("equipment", EquipmentViewSet, basename="equipment")
router.register("calibration-records", CalibrationRecordViewSet, basename="calibration-record")
router.register("proficiency-results", ProficiencyResultViewSet, basename="proficiency-result")
router.register("lab-actions", LabActionViewSet, basename="lab-action")
router.register("supervisory-bodies", SupervisoryBodyViewSet, basename="supervisory-body")
router.register("cb-assessments", CBAssessmentViewSet, basename="cb-assessment")
router.register("oversight-findings", OversightFindingViewSet, basename="oversight-finding")
router.register("cb-suspension-requests", CBSuspensionRequestViewSet, basename="cb-suspension-request")
urlpatterns = router.urls
