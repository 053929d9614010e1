"""Sanctions (SA-01 … SA-06): corrective action requests, supervisory requests to suspend a certificate,
the public bulletin of numbered notices, appeals, and the defect reporting scheme."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.permissions import cb_decider, manufacturer_member, system_only
from iecq.principals import Principal
from iecq.tenancy import Tenancy, TenantScopedManager

from .choices import AppealState, CARState, DefectOutcome, DefectState, NoticeKind, ReporterKind, RequestState

TENANCY = Tenancy(
    cb="certification_body",
    manufacturer="manufacturer",
    country=("certification_body__country", "manufacturer__country"),
)


def _appeal_decider(appeal: Appeal, p: Principal) -> bool:
    """A CB's appeal against the operator's decision is the operator's; a manufacturer's is its CB's."""
    if appeal.manufacturer_id is None:
        return p.is_operator
    return cb_decider(appeal, p)


def _defect_handler(report: DefectReport, p: Principal) -> bool:
    """The CB of the certificate concerned; the operator for reports it could not route (and any other)."""
    return p.is_operator or cb_decider(report, p)


class CorrectiveActionRequest(FSMModelMixin, models.Model):
    """A CAR (SA-01) with a due date; the manufacturer responds online; the CB accepts or sends it back;
    one left unanswered past its date escalates, proposing a suspension to the certification manager."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    manufacturer = models.ForeignKey("manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="cars")
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="cars"
    )
    nonconformity = models.ForeignKey(
        "surveillance.Nonconformity", on_delete=models.PROTECT, null=True, blank=True, related_name="cars"
    )
    pcn = models.ForeignKey(
        "surveillance.ProcessChangeNotification", on_delete=models.PROTECT, null=True, blank=True, related_name="cars"
    )
    defect_report = models.ForeignKey(
        "sanctions.DefectReport", on_delete=models.PROTECT, null=True, blank=True, related_name="cars"
    )
    number = models.CharField(_("number"), max_length=30, unique=True)
    request = models.TextField(_("what must be corrected"))
    due_on = models.DateField(_("response due"), db_index=True)
    response = models.TextField(_("response"), blank=True)
    state = FSMField(_("state"), choices=CARState.choices, default=CARState.ISSUED, protected=True, db_index=True)
    issued_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["state", "due_on"]
        verbose_name = _("corrective action request")
        indexes = [
            models.Index(fields=["state", "due_on"], name="car_state_due_idx"),
            models.Index(fields=["certification_body", "id"], name="car_cb_id_idx"),  # a CB's list, newest first
        ]

    def __str__(self) -> str:
        return self.number

    @transition(
        field=state,
        source=CARState.ISSUED,
        target=CARState.RESPONDED,
        permission=manufacturer_member,
        conditions=[lambda car: bool(car.response.strip())],
        custom={"label": _("Submit the response")},
    )
    def respond(self) -> None:
        """The manufacturer's answer, online."""

    @transition(
        field=state,
        source=[CARState.RESPONDED],
        target=CARState.ACCEPTED,
        permission=cb_decider,
        custom={"label": _("Accept the response"), "reason_required": True},
    )
    def accept(self) -> None:
        """The correction is verified."""

    @transition(
        field=state,
        source=CARState.RESPONDED,
        target=CARState.ISSUED,
        permission=cb_decider,
        custom={"label": _("Send the response back"), "reason_required": True},
    )
    def send_back(self) -> None:
        """Not sufficient; the manufacturer answers again by the same date."""

    @transition(
        field=state,
        source=CARState.ISSUED,
        target=CARState.ESCALATED,
        permission=system_only,
        custom={"label": _("Escalate"), "reason_required": True, "system": True},
    )
    def escalate(self) -> None:
        """Overdue: the sweep proposes a suspension to the certification manager (SA-01)."""

    @transition(
        field=state,
        source=CARState.ESCALATED,
        target=CARState.RESPONDED,
        permission=manufacturer_member,
        conditions=[lambda car: bool(car.response.strip())],
        custom={"label": _("Respond late")},
    )
    def respond_late(self) -> None:
        """A late answer is still recorded; the CB decides."""


class CertificateSuspensionRequest(FSMModelMixin, models.Model):
    """A supervisory body asks the CB to suspend a certificate of its country; the CB must decide (SA-02)."""

    # Indexed with the id (Meta.indexes): a CB's newest requests, when other CBs' are newer still, were found
    # by reading the whole table backwards (81,918 rows skipped for a page of 50 at a million certificates).
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    manufacturer = models.ForeignKey("manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, related_name="suspension_requests"
    )
    supervisory_body = models.ForeignKey("bodies.SupervisoryBody", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    requested_by_label = models.CharField(max_length=200)
    state = FSMField(_("state"), choices=RequestState.choices, default=RequestState.OPEN, protected=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("certificate suspension request")
        indexes = [models.Index(fields=["certification_body", "id"], name="suspension_request_cb_newest")]

    def __str__(self) -> str:
        return f"Suspension of {self.certificate} requested by {self.supervisory_body}"

    @transition(
        field=state,
        source=RequestState.OPEN,
        target=RequestState.ACCEPTED,
        permission=cb_decider,
        custom={"label": _("Accept and suspend"), "reason_required": True, "danger": True},
    )
    def accept(self) -> None:
        """The CB agrees; the certificate is suspended in the same transaction."""

    @transition(
        field=state,
        source=RequestState.OPEN,
        target=RequestState.DECLINED,
        permission=cb_decider,
        custom={"label": _("Decline"), "reason_required": True},
    )
    def decline(self) -> None:
        """The CB does not suspend and says why."""


class BulletinNotice(models.Model):
    """A numbered notice of the public IECQ system bulletin (SA-03): never edited or deleted (a database
    trigger refuses it); a correction is a new notice pointing at the one it corrects."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    published_at = models.DateTimeField(_("published"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("action"), max_length=20, choices=NoticeKind.choices)
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    certificate_number = models.CharField(_("certificate"), max_length=40, blank=True)
    manufacturer_name = models.CharField(_("manufacturer"), max_length=200, blank=True)
    subject_certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="notices"
    )
    certification_body_name = models.CharField(_("certification body"), max_length=200)
    reason_summary = models.TextField(_("reason"))
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")

    tenancy = Tenancy(public=Q())
    objects = TenantScopedManager()
    objects_append = models.Manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("bulletin notice")

    def __str__(self) -> str:
        return f"{self.number} {self.get_kind_display()}"


class NoticeSequence(models.Model):
    """The last notice number of a year, locked while a number is allocated."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Appeal(FSMModelMixin, models.Model):
    """An appeal against a decision (SA-04), lodged online within the appeal period, decided by people not
    involved in the decision; upheld, its effect is reversed through the same transitions and published."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, null=True, blank=True, related_name="appeals"
    )
    decision = models.ForeignKey("iecq.TransitionLog", on_delete=models.PROTECT, related_name="appeals")
    grounds = models.TextField(_("grounds"))
    lodged_by_label = models.CharField(max_length=200)
    response_due_on = models.DateField(_("answer due"), db_index=True)
    state = FSMField(_("state"), choices=AppealState.choices, default=AppealState.LODGED, protected=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appeal")

    def __str__(self) -> str:
        return f"Appeal against {self.decision.transition} of {self.decision.object_repr}"

    @transition(
        field=state,
        source=AppealState.LODGED,
        target=AppealState.ACKNOWLEDGED,
        permission=_appeal_decider,
        custom={"label": _("Acknowledge")},
    )
    def acknowledge(self) -> None:
        """The CB confirms receipt; the answer is due by `response_due_on`."""

    @transition(
        field=state,
        source=[AppealState.LODGED, AppealState.ACKNOWLEDGED],
        target=AppealState.UPHELD,
        permission=_appeal_decider,
        custom={"label": _("Uphold (reverses the decision)"), "reason_required": True},
    )
    def uphold(self) -> None:
        """The appellant is right; the service reverses the decision and publishes it."""

    @transition(
        field=state,
        source=[AppealState.LODGED, AppealState.ACKNOWLEDGED],
        target=AppealState.DISMISSED,
        permission=_appeal_decider,
        custom={"label": _("Dismiss"), "reason_required": True},
    )
    def dismiss(self) -> None:
        """The decision stands; the reason goes to the appellant."""


class DefectReport(FSMModelMixin, models.Model):
    """A defect in a certified component reported by a manufacturer, a customer or the public (SA-05)."""

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, null=True, blank=True, related_name="defect_reports"
    )
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="defect_reports"
    )
    reporter_kind = models.CharField(_("you are"), max_length=20, choices=ReporterKind.choices)
    reporter_name = models.CharField(_("your name"), max_length=200)
    reporter_email = models.EmailField(_("your email"))
    certificate_number = models.CharField(_("certificate number"), max_length=40, blank=True)
    component = models.CharField(_("component (part number, lot)"), max_length=300)
    description = models.TextField(_("defect"))
    state = FSMField(
        _("state"), choices=DefectState.choices, default=DefectState.RECEIVED, protected=True, db_index=True
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=DefectOutcome.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(
        cb="certification_body",
        manufacturer="manufacturer",
        country=("certification_body__country", "manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("defect report")
        indexes = [models.Index(fields=["certification_body", "id"], name="defect_cb_id_idx")]  # a CB's newest first

    def __str__(self) -> str:
        return f"Defect: {self.component}"

    @transition(
        field=state,
        source=DefectState.RECEIVED,
        target=DefectState.INVESTIGATING,
        permission=_defect_handler,
        custom={"label": _("Start the investigation")},
    )
    def investigate(self) -> None:
        """The CB investigates."""

    @transition(
        field=state,
        source=[DefectState.RECEIVED, DefectState.INVESTIGATING],
        target=DefectState.CLOSED,
        permission=_defect_handler,
        custom={"label": _("Close with an outcome"), "reason_required": True},
    )
    def close(self) -> None:
        """The service acts on the outcome (special audit, CAR or sanction) in the same transaction."""
