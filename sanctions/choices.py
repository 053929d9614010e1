from django.db import models
from django.utils.translation import gettext_lazy as _


class CARState(models.TextChoices):
    ISSUED = "issued", _("Issued: response awaited")
    RESPONDED = "responded", _("Response submitted")
    ACCEPTED = "accepted", _("Accepted")
    ESCALATED = "escalated", _("Overdue: suspension proposed")


class NoticeKind(models.TextChoices):
    SUSPENSION = "suspension", _("Suspension")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    REINSTATEMENT = "reinstatement", _("Reinstatement")
    APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld")
    CORRECTION = "correction", _("Correction")


class RequestState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class AppealState(models.TextChoices):
    LODGED = "lodged", _("Lodged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class DefectState(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Under investigation")
    CLOSED = "closed", _("Closed")


class DefectOutcome(models.TextChoices):
    NO_ACTION = "no_action", _("No action needed")
    SPECIAL_AUDIT = "special_audit", _("Special audit")
    CAR = "car", _("Corrective action request")
    SANCTION = "sanction", _("Sanction")


class ReporterKind(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    CUSTOMER = "customer", _("Customer")
    PUBLIC = "public", _("Member of the public")
