from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.principals import Principal
from iecq.tenancy import Tenancy, TenantScopedManager

from .choices import CertificationBodyState as S


def _operator_decides(instance: "CertificationBody", principal: Principal) -> bool:
    """CB approval decisions belong to the system operator (the IECQ secretariat)."""
    return principal.is_operator


class AccreditationBody(models.Model):
    """A national accreditation body; only IAF MLA signatories for product certification count (CB-01).

    Reference data, public to everybody, maintained by the system operator.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=20, unique=True)
    country = CountryField(_("country"))
    iaf_mla_signatory = models.BooleanField(_("IAF MLA signatory"), default=False)
    iaf_mla_scope = models.CharField(_("IAF MLA scope"), max_length=200, blank=True)
    iaf_mla_since = models.DateField(_("signatory since"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["acronym"]

    def __str__(self) -> str:
        return f"{self.acronym} ({self.country.code})"


class CertificationBody(FSMModelMixin, models.Model):
    """An organisation approved to certify manufacturers under IECQ; the tenant of the platform.

    Lifecycle (CB-07): applied → under assessment → approved ⇄ suspended; any state → withdrawn.
    Every decision is the system operator's and is logged with its reason.
    """

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal entity"), max_length=200, blank=True)
    country = CountryField(_("country"))
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    state = FSMField(_("state"), choices=S.choices, default=S.APPLIED, protected=True, db_index=True)
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
        custom={"label": _("Approve")},
    )
    def approve(self) -> None:
        """The operator approves the CB to certify under IECQ."""

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
        custom={"label": _("Reinstate"), "reason_required": True},
    )
    def reinstate(self) -> None:
        """The cause of the suspension has been corrected and verified."""

    @transition(
        field=state,
        source=[S.APPLIED, S.UNDER_ASSESSMENT, S.APPROVED, S.SUSPENDED],
        target=S.WITHDRAWN,
        permission=_operator_decides,
        custom={"label": _("Withdraw"), "reason_required": True, "danger": True},
    )
    def withdraw(self) -> None:
        """Final: the CB leaves the scheme (or its application is refused)."""
