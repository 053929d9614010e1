from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationState(models.TextChoices):
    """The qualification stages of QC 001003 (MF-01)."""

    INQUIRY = "inquiry", _("Initial inquiry")
    SUBMITTED = "submitted", _("Application submitted")
    UNDER_REVIEW = "under_review", _("Application review")
    QMS_ASSESSMENT = "qms_assessment", _("Preliminary QMS assessment")
    QMS_ACCEPTED = "qms_accepted", _("QMS accepted")
    QMS_NOT_ACCEPTED = "qms_not_accepted", _("QMS not accepted")
    TECHNOLOGY_QUALIFICATION = "technology_qualification", _("Technology qualification / capability approval")
    PRODUCT_CERTIFICATION = "product_certification", _("Product certification")
    CERTIFIED = "certified", _("Certified")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")


OPEN_APPLICATION_STATES = [
    ApplicationState.INQUIRY,
    ApplicationState.SUBMITTED,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.QMS_ASSESSMENT,
    ApplicationState.QMS_ACCEPTED,
    ApplicationState.QMS_NOT_ACCEPTED,
    ApplicationState.TECHNOLOGY_QUALIFICATION,
    ApplicationState.PRODUCT_CERTIFICATION,
]


class QualificationRoute(models.TextChoices):
    TECHNOLOGY_QUALIFICATION = "technology_qualification", _("Technology qualification")
    CAPABILITY_APPROVAL = "capability_approval", _("Capability approval")


class EvaluationRole(models.TextChoices):
    LEAD = "lead", _("Lead auditor")
    MEMBER = "member", _("Audit team member")


class CertificateState(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


# Component types and specifications are printed on the certificate PDF: capped at input so that no
# request can make the PDF renderer lay out megabytes of text.
SCOPE_TEXT_MAX_LENGTH = 2000


class PdfBatchState(models.TextChoices):
    """queued → rendering → done → expired (the zip deleted after IECQ_PDF_BATCH_RETENTION_DAYS); queued or
    rendering → failed (the worker could not finish)."""

    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


# At most this many certificates in one zip of PDFs (about 50 ms each on one worker).
PDF_BATCH_MAX = 5000
