from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificationBodyState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_ASSESSMENT = "under_assessment", _("Under assessment")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RequirementCategory(models.TextChoices):
    """The five requirement categories a CB is assessed against (CB-06)."""

    ORGANIZATIONAL = "organizational", _("Organizational")
    TECHNICAL_COMPETENCE = "technical_competence", _("Technical competence")
    PROCESS_MANAGEMENT = "process_management", _("Process management")
    QUALITY_SYSTEM = "quality_system", _("Quality system")
    CONTINUING_COMPLIANCE = "continuing_compliance", _("Continuing compliance")


class VerificationMethod(models.TextChoices):
    DOCUMENTATION_REVIEW = "documentation_review", _("Documentation review")
    BACKGROUND_CHECK = "background_check", _("Background checks")
    WITNESS_AUDIT = "witness_audit", _("Witness audit")
    COMPETENCY_DEMONSTRATION = "competency_demonstration", _("Competency demonstration")
    PROCESS_AUDIT = "process_audit", _("Process audit")
    RECORD_REVIEW = "record_review", _("Record review")
    FULL_QUALITY_SYSTEM_AUDIT = "full_quality_system_audit", _("Full quality system audit")
    SURVEILLANCE_VISIT = "surveillance_visit", _("Surveillance visit")
    REASSESSMENT_AUDIT = "reassessment_audit", _("Reassessment audit")


# The source's requirement table: which criteria each category covers and how each is verified.
REQUIREMENT_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    RequirementCategory.ORGANIZATIONAL: (
        _("Legal entity, financial stability, impartiality"),
        (VerificationMethod.DOCUMENTATION_REVIEW, VerificationMethod.BACKGROUND_CHECK),
    ),
    RequirementCategory.TECHNICAL_COMPETENCE: (
        _("Qualified technical staff, test equipment, calibration"),
        (VerificationMethod.WITNESS_AUDIT, VerificationMethod.COMPETENCY_DEMONSTRATION),
    ),
    RequirementCategory.PROCESS_MANAGEMENT: (
        _("Certification procedures, appeals handling, records management"),
        (VerificationMethod.PROCESS_AUDIT, VerificationMethod.RECORD_REVIEW),
    ),
    RequirementCategory.QUALITY_SYSTEM: (
        _("ISO/IEC 17065 compliance, internal audit, management review"),
        (VerificationMethod.FULL_QUALITY_SYSTEM_AUDIT,),
    ),
    RequirementCategory.CONTINUING_COMPLIANCE: (
        _("Annual surveillance, reaccreditation every 5 years"),
        (VerificationMethod.SURVEILLANCE_VISIT, VerificationMethod.REASSESSMENT_AUDIT),
    ),
}


class AssessmentResult(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    NOT_VERIFIED = "not_verified", _("Not verified")


class CBAssessmentKind(models.TextChoices):
    INITIAL = "initial", _("Initial assessment")
    ANNUAL_SURVEILLANCE = "annual_surveillance", _("Annual surveillance visit")
    REACCREDITATION = "reaccreditation", _("Reaccreditation reassessment")
    WITNESS_AUDIT = "witness_audit", _("Witness audit")


class CBAssessmentState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class FindingSeverity(models.TextChoices):
    OBSERVATION = "observation", _("Observation")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")


class SupervisoryBodyState(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class SuspensionRequestState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted: CB suspended")
    DECLINED = "declined", _("Declined")


class ZScoreClass(models.TextChoices):
    SATISFACTORY = "satisfactory", _("Satisfactory (|z| ≤ 2)")
    QUESTIONABLE = "questionable", _("Questionable (2 < |z| < 3)")
    UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory (|z| ≥ 3)")


class LabActionState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
