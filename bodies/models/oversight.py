"""Supervisory bodies and the oversight of CBs: assessments, witness audits, findings, suspension requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.principals import Principal
from iecq.tenancy import Tenancy, TenantScopedManager

from ..choices import CBAssessmentKind, CBAssessmentState, FindingSeverity, SupervisoryBodyState, SuspensionRequestState


def _operator_decides(instance: models.Model, principal: Principal) -> bool:
    return principal.is_operator


class SupervisoryBody(FSMModelMixin, models.Model):
    """The national supervisory body of one country; its users see that country's CBs and labs read-only."""

    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"), unique=True)
    state = FSMField(
        _("state"), choices=SupervisoryBodyState.choices, default=SupervisoryBodyState.ACTIVE, protected=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(country="country", public=Q())
    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("supervisory body")
        verbose_name_plural = _("supervisory bodies")

    def __str__(self) -> str:
        return self.name

    @transition(
        field=state,
        source=SupervisoryBodyState.ACTIVE,
        target=SupervisoryBodyState.INACTIVE,
        permission=_operator_decides,
        custom={"label": _("Deactivate"), "reason_required": True},
    )
    def deactivate(self) -> None:
        """The body no longer acts for its country (its users keep read access to nothing new)."""

    @transition(
        field=state,
        source=SupervisoryBodyState.INACTIVE,
        target=SupervisoryBodyState.ACTIVE,
        permission=_operator_decides,
        custom={"label": _("Reactivate"), "reason_required": True},
    )
    def reactivate(self) -> None:
        """The body acts for its country again."""


class CBAssessment(FSMModelMixin, models.Model):
    """An assessment of a CB by the operator: initial, annual surveillance (CB-08), reaccreditation (CB-09),
    or a witness audit of the CB at one of its clients; supervisory bodies take part."""

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CBAssessmentKind.choices)
    state = FSMField(
        _("state"), choices=CBAssessmentState.choices, default=CBAssessmentState.PLANNED, protected=True, db_index=True
    )
    planned_on = models.DateField(_("planned on"), db_index=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    lead_assessor = models.CharField(_("lead assessor"), max_length=200)
    witnessed_manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("witnessed at (manufacturer)"),
    )
    summary = models.TextField(_("summary"), blank=True)
    supervisory_participants = models.ManyToManyField(
        SupervisoryBody, blank=True, related_name="assessments", verbose_name=_("supervisory bodies taking part")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-planned_on"]
        verbose_name = _("CB assessment")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.certification_body} ({self.planned_on})"

    @transition(
        field=state,
        source=CBAssessmentState.PLANNED,
        target=CBAssessmentState.COMPLETED,
        permission=_operator_decides,
        custom={"label": _("Complete")},
    )
    def complete(self) -> None:
        """The assessment took place; its consequences for the CB's deadlines follow in the service."""
        self.completed_on = timezone.now().date()

    @transition(
        field=state,
        source=CBAssessmentState.PLANNED,
        target=CBAssessmentState.CANCELLED,
        permission=_operator_decides,
        custom={"label": _("Cancel"), "reason_required": True},
    )
    def cancel(self) -> None:
        """The assessment will not take place."""


class OversightFinding(models.Model):
    """A finding about a CB recorded by the operator or a supervisory body; never edited."""

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="oversight_findings"
    )
    assessment = models.ForeignKey(
        CBAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    supervisory_body = models.ForeignKey(
        SupervisoryBody, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    severity = models.CharField(_("severity"), max_length=20, choices=FindingSeverity.choices)
    description = models.TextField(_("finding"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_by_label = models.CharField(_("recorded by"), max_length=200)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("oversight finding")

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.description[:60]}"


class CBSuspensionRequest(FSMModelMixin, models.Model):
    """A supervisory body asks the operator to suspend a CB of its country; the operator decides.

    Accepting suspends the CB in the same transaction: the decision and its effect are one.
    """

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="suspension_requests"
    )
    supervisory_body = models.ForeignKey(SupervisoryBody, on_delete=models.PROTECT, related_name="suspension_requests")
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    state = FSMField(
        _("state"),
        choices=SuspensionRequestState.choices,
        default=SuspensionRequestState.OPEN,
        protected=True,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("CB suspension request")

    def __str__(self) -> str:
        return f"Suspension of {self.certification_body} requested by {self.supervisory_body}"

    @transition(
        field=state,
        source=SuspensionRequestState.OPEN,
        target=SuspensionRequestState.ACCEPTED,
        permission=_operator_decides,
        custom={"label": _("Accept and suspend the CB"), "danger": True, "reason_required": True},
    )
    def accept(self) -> None:
        """The operator agrees; the service suspends the CB in the same transaction."""

    @transition(
        field=state,
        source=SuspensionRequestState.OPEN,
        target=SuspensionRequestState.DECLINED,
        permission=_operator_decides,
        custom={"label": _("Decline"), "reason_required": True},
    )
    def decline(self) -> None:
        """The operator does not suspend; the reason goes back to the supervisory body."""
