from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    INITIAL = "initial", _("Initial audit")
    SURVEILLANCE = "surveillance", _("Annual surveillance audit")
    RECERTIFICATION = "recertification", _("Recertification audit")
    SPECIAL = "special", _("Special audit")


class AuditState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORT_SUBMITTED = "report_submitted", _("Report submitted")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_AUDIT_STATES = [AuditState.PLANNED, AuditState.SCHEDULED, AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED]


class SpecialAuditTrigger(models.TextChoices):
    PCN = "pcn", _("Process change notification")
    COMPLAINT = "complaint", _("Complaint or field failure")
    DEFECT = "defect", _("Defect report")
    OTHER = "other", _("Other")


class Grade(models.TextChoices):
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class NonconformityState(models.TextChoices):
    OPEN = "open", _("Open: corrective action awaited")
    ACTION_SUBMITTED = "action_submitted", _("Corrective action submitted")
    CLOSED = "closed", _("Closed: correction verified")


class SampleSource(models.TextChoices):
    PRODUCTION = "production", _("Taken from production")
    MARKET = "market", _("Bought on the market")


class SampleResult(models.TextChoices):
    PENDING = "pending", _("Not tested yet")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class ComplaintKind(models.TextChoices):
    CUSTOMER_COMPLAINT = "customer_complaint", _("Customer complaint")
    FIELD_FAILURE = "field_failure", _("Field failure")


class PCNImpact(models.TextChoices):
    NO_IMPACT = "no_impact", _("No impact on certified status")
    NEEDS_ASSESSMENT = "needs_assessment", _("Needs assessment (special audit)")
    SCOPE_CHANGE = "scope_change", _("Scope change")
    SUSPENDS_PENDING_ASSESSMENT = "suspends_pending_assessment", _("Certificate suspended pending assessment")


class PCNState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_ASSESSMENT = "under_assessment", _("Under assessment")
    CLOSED = "closed", _("Closed")


class FrequencyLevel(models.TextChoices):
    REDUCED = "reduced", _("Reduced")
    NORMAL = "normal", _("Normal")
    INCREASED = "increased", _("Increased")


class TeamRole(models.TextChoices):
    LEAD = "lead", _("Lead auditor")
    MEMBER = "member", _("Member")
