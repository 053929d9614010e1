"""Certification bodies, their accreditations, requirement assessments and independence declarations."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.dates import add_months, add_years
from iecq.principals import Principal
from iecq.tenancy import Tenancy, TenantScopedManager

from ..choices import REQUIREMENT_TABLE, AssessmentResult, RequirementCategory, VerificationMethod
from ..choices import CertificationBodyState as S


def _operator_decides(instance: models.Model, principal: Principal) -> bool:
    """CB approval decisions belong to the system operator (the IECQ secretariat)."""
    return principal.is_operator


def _system_only(instance: models.Model, principal: Principal) -> bool:
    """Deadline consequences are taken by the scheduled sweep, never by a person."""
    return principal.is_system


def _approvable(cb: CertificationBody) -> bool:
    return not cb.approval_blockers()


class CertificationBody(FSMModelMixin, models.Model):
    """An organisation approved to certify manufacturers under IECQ; the tenant of the platform.

    Lifecycle (CB-07): applied → under assessment → approved ⇄ suspended; any state → withdrawn;
    an approved CB whose approval period ends without reassessment lapses to suspended (CB-09).
    Approval and reinstatement are refused while CB-01 or CB-06 fails (`approval_blockers`).
    """

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal entity"), max_length=200, blank=True)
    country = CountryField(_("country"))
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    technologies = models.ManyToManyField(
        "bodies.Technology", blank=True, related_name="certification_bodies", verbose_name=_("technology scope")
    )
    schemes = models.ManyToManyField(
        "bodies.Scheme", blank=True, related_name="certification_bodies", verbose_name=_("schemes")
    )
    state = FSMField(_("state"), choices=S.choices, default=S.APPLIED, protected=True, db_index=True)
    approved_on = models.DateField(_("first approved on"), null=True, blank=True)
    # Deadlines kept as dates so that the sweep finds what is due by index (SC-03).
    approval_valid_until = models.DateField(_("approval valid until"), null=True, blank=True, db_index=True)
    next_surveillance_due = models.DateField(_("next annual surveillance due"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Approved and suspended CBs are listed publicly (status shown truthfully); others only to
    # themselves, their clients, their country's supervisory body and the operator.
    tenancy = Tenancy(
        cb="pk",
        manufacturer="engagements__manufacturer",
        country="country",
        public=Q(state__in=[S.APPROVED, S.SUSPENDED]),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("certification body")
        verbose_name_plural = _("certification bodies")
        constraints = [models.UniqueConstraint(fields=["name", "country"], name="cb_name_country_unique")]

    def __str__(self) -> str:
        return self.name

    # --- conditions (CB-01, CB-06) -------------------------------------------------------------
    def accreditation_in_force(self, on: date | None = None) -> Accreditation | None:
        """An accreditation valid on `on` from a body that signs the IAF MLA for product certification."""
        on = on or timezone.now().date()
        # Integrity checks read across the actor's visibility (they reveal a yes/no, not the rows).
        for accreditation in Accreditation._base_manager.select_related("accreditation_body").filter(
            certification_body=self, valid_from__lte=on, valid_until__gte=on, withdrawn_on__isnull=True
        ):
            if accreditation.accreditation_body.recognised_on(on):
                return accreditation
        return None

    def requirement_status(self) -> dict[str, RequirementAssessment | None]:
        """The latest assessment of each of the five categories (CB-06)."""
        latest: dict[str, RequirementAssessment | None] = {c: None for c in RequirementCategory.values}
        rows = RequirementAssessment._base_manager.filter(certification_body=self)
        for row in rows.order_by("category", "-assessed_on", "-id"):
            if latest[row.category] is None:
                latest[row.category] = row
        return latest

    def approval_blockers(self, on: date | None = None) -> list[str]:
        """Why the CB cannot be approved (or reinstated) now; empty when it can."""
        reasons: list[str] = []
        if self.accreditation_in_force(on) is None:
            reasons.append(
                gettext("CB-01: no accreditation in force from an IAF MLA signatory for product certification.")
            )
        for category, row in self.requirement_status().items():
            label = RequirementCategory(category).label
            if row is None:
                reasons.append(gettext("CB-06: %(category)s has not been assessed.") % {"category": label})
            elif row.result != AssessmentResult.VERIFIED:
                reasons.append(gettext("CB-06: %(category)s was not verified.") % {"category": label})
        if not self.technologies.exists():
            reasons.append(gettext("CB-02: the technology scope is empty."))
        return reasons

    def transition_blockers(self, name: str) -> list[str]:
        """Reasons a transition's conditions fail, for the transition helper to report."""
        return self.approval_blockers() if name in ("approve", "reinstate") else []

    def may_certify(self, technology: models.Model | None = None, on: date | None = None) -> list[str]:
        """Why this CB may not take a certification decision now (CB-01, CB-02); empty when it may."""
        reasons = []
        if self.state != S.APPROVED:
            reasons.append(
                gettext("The certification body is not approved (it is %(state)s).")
                % {"state": self.get_state_display()}
            )
        if self.accreditation_in_force(on) is None:
            reasons.append(gettext("CB-01: its accreditation is not in force."))
        if technology is not None and not self.technologies.filter(pk=technology.pk).exists():
            reasons.append(gettext("CB-02: %(technology)s is outside its scope.") % {"technology": technology})
        return reasons

    # --- transitions ----------------------------------------------------------------------------
    @transition(
        field=state,
        source=S.APPLIED,
        target=S.UNDER_ASSESSMENT,
        permission=_operator_decides,
        custom={"label": _("Start assessment")},
    )
    def start_assessment(self) -> None:
        """The operator opens the assessment against the five requirement categories."""

    @transition(
        field=state,
        source=S.UNDER_ASSESSMENT,
        target=S.APPROVED,
        permission=_operator_decides,
        conditions=[_approvable],
        custom={"label": _("Approve")},
    )
    def approve(self) -> None:
        """The operator approves the CB; the approval runs for the reaccreditation interval (CB-09)."""
        today = timezone.now().date()
        self.approved_on = self.approved_on or today
        self.approval_valid_until = add_years(today, settings.IECQ_CB_REACCREDITATION_YEARS)
        self.next_surveillance_due = add_months(today, settings.IECQ_CB_SURVEILLANCE_MONTHS)

    @transition(
        field=state,
        source=S.APPROVED,
        target=S.SUSPENDED,
        permission=_operator_decides,
        custom={"label": _("Suspend"), "reason_required": True, "danger": True},
    )
    def suspend(self) -> None:
        """The CB may not take new certification decisions until reinstated."""

    @transition(
        field=state,
        source=S.SUSPENDED,
        target=S.APPROVED,
        permission=_operator_decides,
        conditions=[_approvable],
        custom={"label": _("Reinstate"), "reason_required": True},
    )
    def reinstate(self) -> None:
        """The cause of the suspension has been corrected and verified."""

    @transition(
        field=state,
        source=S.APPROVED,
        target=S.SUSPENDED,
        permission=_system_only,
        custom={"label": _("Lapse"), "reason_required": True, "danger": True, "system": True},
    )
    def lapse(self) -> None:
        """The approval period ended without a completed reassessment (CB-09)."""

    @transition(
        field=state,
        source=S.WITHDRAWN,
        target=S.APPROVED,
        permission=_operator_decides,
        conditions=[_approvable],
        custom={"label": _("Restore on appeal"), "reason_required": True, "appeal_only": True},
    )
    def restore_on_appeal(self) -> None:
        """An upheld appeal reverses a withdrawal (only through sanctions.services.appeal_transition)."""

    @transition(
        field=state,
        source=[S.APPLIED, S.UNDER_ASSESSMENT, S.APPROVED, S.SUSPENDED],
        target=S.WITHDRAWN,
        permission=_operator_decides,
        custom={"label": _("Withdraw"), "reason_required": True, "danger": True},
    )
    def withdraw(self) -> None:
        """Final: the CB leaves the scheme (or its application is refused)."""


class Accreditation(models.Model):
    """An accreditation certificate held by a CB from a national accreditation body (CB-01)."""

    certification_body = models.ForeignKey(CertificationBody, on_delete=models.PROTECT, related_name="accreditations")
    accreditation_body = models.ForeignKey(
        "bodies.AccreditationBody", on_delete=models.PROTECT, related_name="accreditations"
    )
    certificate_number = models.CharField(_("certificate number"), max_length=60)
    scope = models.TextField(_("scope"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), db_index=True)
    withdrawn_on = models.DateField(_("withdrawn by the accreditation body on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-valid_until"]
        verbose_name = _("accreditation")
        constraints = [
            models.UniqueConstraint(fields=["accreditation_body", "certificate_number"], name="accreditation_unique"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="accreditation_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.accreditation_body.acronym} {self.certificate_number}"

    def in_force(self, on: date | None = None) -> bool:
        on = on or timezone.now().date()
        return (
            self.withdrawn_on is None
            and self.valid_from <= on <= self.valid_until
            and self.accreditation_body.recognised_on(on)
        )


class RequirementAssessment(models.Model):
    """One assessment of one requirement category of a CB, with its verification method and evidence (CB-06)."""

    certification_body = models.ForeignKey(
        CertificationBody, on_delete=models.PROTECT, related_name="requirement_assessments"
    )
    category = models.CharField(_("category"), max_length=40, choices=RequirementCategory.choices)
    method = models.CharField(_("verification method"), max_length=40, choices=VerificationMethod.choices)
    result = models.CharField(_("result"), max_length=20, choices=AssessmentResult.choices)
    evidence = models.TextField(_("evidence"))
    evidence_reference = models.CharField(_("evidence reference"), max_length=200, blank=True)
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    assessed_by_label = models.CharField(_("assessed by"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["category", "-assessed_on", "-id"]
        verbose_name = _("requirement assessment")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.get_result_display()} ({self.assessed_on})"

    @staticmethod
    def methods_for(category: str) -> tuple[str, ...]:
        return REQUIREMENT_TABLE[category][1]


class IndependenceDeclaration(models.Model):
    """A signed declaration of interests by a CB staff member or auditor (CB-03).

    The manufacturers listed as conflicts block the declarant from their work for the cooling-off
    period (setting IECQ_CONFLICT_COOLING_OFF_YEARS) after the declaration was signed.
    """

    certification_body = models.ForeignKey(
        CertificationBody, on_delete=models.PROTECT, related_name="independence_declarations"
    )
    declarant_name = models.CharField(_("declarant"), max_length=200)
    declarant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    auditor = models.ForeignKey(
        "bodies.Auditor", on_delete=models.PROTECT, null=True, blank=True, related_name="declarations"
    )
    signed_on = models.DateField(_("signed on"))
    valid_until = models.DateField(_("valid until"), db_index=True)
    interests = models.TextField(_("declared interests"), blank=True)
    conflicted_manufacturers = models.ManyToManyField(
        "manufacturers.Manufacturer", blank=True, related_name="+", verbose_name=_("conflicts of interest with")
    )
    no_conflicts = models.BooleanField(_("declares no conflict of interest"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="certification_body", country="certification_body__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("declaration of interests")
        verbose_name_plural = _("declarations of interests")

    def __str__(self) -> str:
        return f"{self.declarant_name} ({self.signed_on})"
