"""Test laboratories: equipment and calibration (CB-10), proficiency testing with z-scores (CB-05)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.principals import Principal
from iecq.roles import Role
from iecq.tenancy import Tenancy, TenantScopedManager

from ..choices import LabActionState, ZScoreClass


class TestLaboratory(models.Model):
    """A laboratory owned by a CB, or independent (owner empty, listed publicly under the ITL scheme)."""

    __test__ = False  # not a pytest test class, whatever its name

    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"))
    owner = models.ForeignKey(
        "bodies.CertificationBody",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="laboratories",
        verbose_name=_("owning certification body"),
    )
    accreditation_reference = models.CharField(_("accreditation (ISO/IEC 17025)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="owner", country="country", public=Q(owner__isnull=True))
    objects = TenantScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("test laboratory")
        verbose_name_plural = _("test laboratories")
        constraints = [models.UniqueConstraint(fields=["name", "country"], name="laboratory_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_independent(self) -> bool:
        return self.owner_id is None


class Equipment(models.Model):
    """Test equipment; overdue calibration blocks its use in new test records (CB-10)."""

    laboratory = models.ForeignKey(TestLaboratory, on_delete=models.PROTECT, related_name="equipment")
    name = models.CharField(_("name"), max_length=200)
    asset_number = models.CharField(_("asset number"), max_length=60)
    calibration_interval_months = models.PositiveSmallIntegerField(_("calibration interval (months)"), default=12)
    last_calibrated_on = models.DateField(_("last calibrated on"), null=True, blank=True)
    calibration_due_on = models.DateField(_("calibration due on"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="laboratory__owner", country="laboratory__country", public=Q(laboratory__owner__isnull=True))
    objects = TenantScopedManager()

    class Meta:
        ordering = ["calibration_due_on", "name"]
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        constraints = [models.UniqueConstraint(fields=["laboratory", "asset_number"], name="equipment_asset_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.asset_number})"

    def calibration_overdue(self, on: date | None = None) -> bool:
        return self.calibration_due_on < (on or timezone.now().date())


class CalibrationRecord(models.Model):
    """One calibration of one piece of equipment; the latest sets the equipment's due date."""

    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="calibrations")
    calibrated_on = models.DateField(_("calibrated on"))
    due_on = models.DateField(_("next calibration due"))
    certificate_reference = models.CharField(_("calibration certificate"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(
        cb="equipment__laboratory__owner",
        country="equipment__laboratory__country",
        public=Q(equipment__laboratory__owner__isnull=True),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-calibrated_on"]
        verbose_name = _("calibration record")
        constraints = [
            models.CheckConstraint(condition=Q(due_on__gt=models.F("calibrated_on")), name="calibration_due_after")
        ]

    def __str__(self) -> str:
        return f"{self.equipment} calibrated {self.calibrated_on}"


class ProficiencyRound(models.Model):
    """A proficiency-testing or inter-laboratory comparison round (reference data, CB-05)."""

    provider = models.CharField(_("provider"), max_length=200)
    code = models.CharField(_("round"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    technology = models.ForeignKey(
        "bodies.Technology", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    held_on = models.DateField(_("held on"))

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("proficiency round")

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


def classify_z(z: Decimal) -> str:
    """|z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory (CB-05)."""
    magnitude = abs(z)
    if magnitude <= 2:
        return ZScoreClass.SATISFACTORY
    if magnitude < 3:
        return ZScoreClass.QUESTIONABLE
    return ZScoreClass.UNSATISFACTORY


class ProficiencyResult(models.Model):
    """A laboratory's result in a round, scored by z-score; an unsatisfactory one opens a LabAction."""

    round = models.ForeignKey(ProficiencyRound, on_delete=models.PROTECT, related_name="results")
    laboratory = models.ForeignKey(TestLaboratory, on_delete=models.PROTECT, related_name="proficiency_results")
    # The laboratory's owner, copied when the result is recorded (a laboratory's owner never changes): a CB's
    # results newest first are then read from the index (owner, id) instead of the whole table backwards past
    # every other CB's newer results (39,600 rows for a page of 50 at a million certificates, docs/performance.md).
    owner = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    measurand = models.CharField(_("measurand"), max_length=200)
    z_score = models.DecimalField(_("z-score"), max_digits=7, decimal_places=3)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="owner", country="laboratory__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-round__held_on", "laboratory__name"]
        verbose_name = _("proficiency result")
        indexes = [models.Index(fields=["owner", "id"], name="proficiency_result_cb_newest")]
        constraints = [
            models.UniqueConstraint(fields=["round", "laboratory", "measurand"], name="proficiency_result_unique")
        ]

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.laboratory_id is not None:
            self.owner_id = self.laboratory.owner_id  # whoever records it: the laboratory's owner, never another
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.laboratory} in {self.round.code}: z = {self.z_score}"

    @property
    def classification(self) -> str:
        return classify_z(self.z_score)

    def get_classification_display(self) -> str:
        return str(ZScoreClass(self.classification).label)


def _lab_manager(action: LabAction, principal: Principal) -> bool:
    """The owning CB's administrator or certification manager closes it; the operator for independent labs."""
    lab = action.result.laboratory
    if principal.is_operator:
        return True
    return (
        lab.owner_id is not None
        and principal.is_cb
        and principal.certification_body_id == lab.owner_id
        and principal.has_role(Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER)
    )


class LabAction(FSMModelMixin, models.Model):
    """The action an unsatisfactory proficiency result opens; closed once verified effective (CB-05)."""

    result = models.OneToOneField(ProficiencyResult, on_delete=models.PROTECT, related_name="action")
    description = models.TextField(_("action"))
    due_on = models.DateField(_("due on"), db_index=True)
    state = FSMField(_("state"), choices=LabActionState.choices, default=LabActionState.OPEN, protected=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(cb="result__owner", country="result__laboratory__country")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["state", "due_on"]
        verbose_name = _("proficiency action")

    def __str__(self) -> str:
        return f"Action on {self.result}"

    @transition(
        field=state,
        source=LabActionState.OPEN,
        target=LabActionState.CLOSED,
        permission=_lab_manager,
        custom={"label": _("Close as effective"), "reason_required": True},
    )
    def close(self) -> None:
        """The corrective action was verified effective (the reason records how)."""
        self.closed_on = timezone.now().date()
