"""Surveillance of certified manufacturers (SV-01 … SV-07): audits with their team, nonconformities and
corrective actions, product samples, complaints and field failures, process change notifications."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.permissions import cb_decider, cb_staff, manufacturer_member
from iecq.tenancy import Tenancy, TenantScopedManager

from .choices import (
    OPEN_AUDIT_STATES,
    AuditKind,
    AuditState,
    ComplaintKind,
    Grade,
    NonconformityState,
    PCNImpact,
    PCNState,
    SampleResult,
    SampleSource,
    SpecialAuditTrigger,
    TeamRole,
)

TENANCY = Tenancy(
    cb="certification_body",
    manufacturer="manufacturer",
    country=("certification_body__country", "manufacturer__country"),
)


class SurveillanceAudit(FSMModelMixin, models.Model):
    """An audit of a manufacturer's quality system and production (SV-01), of one of four kinds."""

    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="surveillance_audits"
    )
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="surveillance_audits"
    )
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="audits"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AuditKind.choices)
    trigger = models.CharField(
        _("reason for a special audit"), max_length=20, choices=SpecialAuditTrigger.choices, blank=True
    )
    trigger_reference = models.CharField(_("reference of the trigger"), max_length=200, blank=True)
    state = FSMField(_("state"), choices=AuditState.choices, default=AuditState.PLANNED, protected=True, db_index=True)
    due_on = models.DateField(_("due by"), db_index=True)
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    plan = models.TextField(_("audit plan"), blank=True)
    report = models.TextField(_("report"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("surveillance audit")
        indexes = [
            models.Index(fields=["state", "due_on"], name="audit_open_due_idx"),
            models.Index(fields=["certification_body", "id"], name="audit_cb_id_idx"),  # a CB's list, newest first
        ]
        constraints = [
            # Two sweeps at once cannot plan the same periodic audit twice.
            models.UniqueConstraint(
                fields=["certificate", "kind"],
                condition=Q(state__in=OPEN_AUDIT_STATES, kind__in=[AuditKind.SURVEILLANCE, AuditKind.RECERTIFICATION]),
                name="one_open_periodic_audit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.manufacturer} ({self.due_on})"

    def open_major_nonconformities(self) -> models.QuerySet:
        return Nonconformity._base_manager.filter(audit=self, grade=Grade.MAJOR).exclude(
            state=NonconformityState.CLOSED
        )

    def transition_blockers(self, name: str) -> list[str]:
        reasons = []
        if name == "schedule":
            if not AuditTeamMember._base_manager.filter(audit=self).exists():
                reasons.append(str(_("Assign the audit team first (through the assignment check).")))
            if self.scheduled_for is None:
                reasons.append(str(_("Set the audit date first.")))
        if name == "submit_report" and not self.report.strip():
            reasons.append(str(_("Write the report first.")))
        if name == "close" and self.kind == AuditKind.RECERTIFICATION and self.open_major_nonconformities().exists():
            reasons.append(str(_("SV-06: a major nonconformity is still open; recertification cannot complete.")))
        return reasons

    @transition(
        field=state,
        source=AuditState.PLANNED,
        target=AuditState.SCHEDULED,
        permission=cb_decider,
        conditions=[lambda a: not a.transition_blockers("schedule")],
        custom={"label": _("Schedule")},
    )
    def schedule(self) -> None:
        """The team and the date are fixed."""

    @transition(
        field=state,
        source=AuditState.SCHEDULED,
        target=AuditState.IN_PROGRESS,
        permission=cb_staff,
        custom={"label": _("Start the audit")},
    )
    def start(self) -> None:
        """The audit is taking place."""

    @transition(
        field=state,
        source=AuditState.IN_PROGRESS,
        target=AuditState.REPORT_SUBMITTED,
        permission=cb_staff,
        conditions=[lambda a: not a.transition_blockers("submit_report")],
        custom={"label": _("Submit the report")},
    )
    def submit_report(self) -> None:
        """The lead auditor hands in the report; nonconformities are raised with it."""

    @transition(
        field=state,
        source=AuditState.REPORT_SUBMITTED,
        target=AuditState.CLOSED,
        permission=cb_decider,
        conditions=[lambda a: not a.transition_blockers("close")],
        custom={"label": _("Close the audit")},
    )
    def close(self) -> None:
        """The report is reviewed; the next audit date follows (and a recertification renews the certificate)."""
        self.closed_on = timezone.now().date()

    @transition(
        field=state,
        source=[AuditState.PLANNED, AuditState.SCHEDULED],
        target=AuditState.CANCELLED,
        permission=cb_decider,
        custom={"label": _("Cancel"), "reason_required": True, "danger": True},
    )
    def cancel(self) -> None:
        """The audit will not take place (a new one must be planned before the due date)."""


class AuditTeamMember(models.Model):
    """An auditor on an audit's team, admitted only through the assignment check (CB-03, CB-04)."""

    audit = models.ForeignKey(SurveillanceAudit, on_delete=models.PROTECT, related_name="team")
    auditor = models.ForeignKey("bodies.Auditor", on_delete=models.PROTECT, related_name="audit_assignments")
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)
    assigned_by_label = models.CharField(max_length=200)
    assigned_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(
        cb="audit__certification_body",
        manufacturer="audit__manufacturer",
        country=("audit__certification_body__country", "audit__manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["role", "auditor__name"]
        constraints = [models.UniqueConstraint(fields=["audit", "auditor"], name="audit_team_unique")]

    def __str__(self) -> str:
        return f"{self.auditor} on {self.audit}"


class ProductSample(FSMModelMixin, models.Model):
    """A sample taken from production or the market and tested by a laboratory (SV-02)."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    manufacturer = models.ForeignKey("manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="samples")
    certificate = models.ForeignKey("certification.Certificate", on_delete=models.PROTECT, related_name="samples")
    audit = models.ForeignKey(
        SurveillanceAudit, on_delete=models.PROTECT, null=True, blank=True, related_name="samples"
    )
    source = models.CharField(_("source"), max_length=20, choices=SampleSource.choices)
    description = models.CharField(_("sample"), max_length=300)
    taken_on = models.DateField(_("taken on"))
    laboratory = models.ForeignKey("bodies.TestLaboratory", on_delete=models.PROTECT, related_name="samples")
    equipment = models.ManyToManyField("bodies.Equipment", related_name="samples", blank=True)
    test_report = models.TextField(_("test report"), blank=True)
    tested_on = models.DateField(_("tested on"), null=True, blank=True)
    result = FSMField(_("result"), choices=SampleResult.choices, default=SampleResult.PENDING, protected=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-taken_on"]
        verbose_name = _("product sample")
        indexes = [models.Index(fields=["certification_body", "id"], name="sample_cb_id_idx")]  # a CB's newest first

    def __str__(self) -> str:
        return f"{self.description} ({self.taken_on})"

    @transition(
        field=result,
        source=SampleResult.PENDING,
        target=SampleResult.PASS,
        permission=cb_staff,
        custom={"label": _("Record a pass")},
    )
    def record_pass(self) -> None:
        """The sample met its specification."""
        self.tested_on = self.tested_on or timezone.now().date()

    @transition(
        field=result,
        source=SampleResult.PENDING,
        target=SampleResult.FAIL,
        permission=cb_staff,
        custom={"label": _("Record a failure"), "reason_required": True, "danger": True},
    )
    def record_fail(self) -> None:
        """The sample failed; the service raises a major nonconformity in the same transaction."""
        self.tested_on = self.tested_on or timezone.now().date()


class Nonconformity(FSMModelMixin, models.Model):
    """A major or minor nonconformity found at an audit or a test (SV-04); closed only once its corrective
    action has been verified."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="nonconformities"
    )
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="nonconformities"
    )
    audit = models.ForeignKey(
        SurveillanceAudit, on_delete=models.PROTECT, null=True, blank=True, related_name="nonconformities"
    )
    sample = models.ForeignKey(
        ProductSample, on_delete=models.PROTECT, null=True, blank=True, related_name="nonconformities"
    )
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    requirement = models.CharField(_("requirement"), max_length=300)
    description = models.TextField(_("finding"))
    due_on = models.DateField(_("corrective action due"), db_index=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    state = FSMField(
        _("state"), choices=NonconformityState.choices, default=NonconformityState.OPEN, protected=True, db_index=True
    )
    raised_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["state", "due_on"]
        verbose_name = _("nonconformity")
        verbose_name_plural = _("nonconformities")
        indexes = [
            models.Index(fields=["state", "due_on"], name="nc_open_due_idx"),
            models.Index(fields=["certification_body", "id"], name="nc_cb_id_idx"),  # a CB's list, newest first
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()}: {self.requirement}"

    @transition(
        field=state,
        source=NonconformityState.OPEN,
        target=NonconformityState.ACTION_SUBMITTED,
        permission=manufacturer_member,
        conditions=[lambda nc: bool(nc.corrective_action.strip())],
        custom={"label": _("Submit the corrective action")},
    )
    def submit_action(self) -> None:
        """The manufacturer says what it corrected and how it prevents recurrence."""

    @transition(
        field=state,
        source=NonconformityState.ACTION_SUBMITTED,
        target=NonconformityState.CLOSED,
        permission=cb_decider,
        custom={"label": _("Verify and close"), "reason_required": True},
    )
    def verify(self) -> None:
        """The CB verified the correction is effective (the reason says how)."""

    @transition(
        field=state,
        source=NonconformityState.ACTION_SUBMITTED,
        target=NonconformityState.OPEN,
        permission=cb_decider,
        custom={"label": _("Reject the corrective action"), "reason_required": True},
    )
    def reject_action(self) -> None:
        """Not sufficient: back to the manufacturer with the reason."""


class Complaint(models.Model):
    """A customer complaint or field failure (SV-03), reviewed at the next audit of the manufacturer."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    manufacturer = models.ForeignKey("manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="complaints")
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ComplaintKind.choices)
    received_on = models.DateField(_("received on"), db_index=True)
    source = models.CharField(_("from"), max_length=200)
    description = models.TextField(_("description"))
    reviewed_in = models.ForeignKey(
        SurveillanceAudit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_complaints",
        verbose_name=_("reviewed at audit"),
    )
    recorded_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-received_on"]
        verbose_name = _("complaint or field failure")
        verbose_name_plural = _("complaints and field failures")
        indexes = [models.Index(fields=["certification_body", "id"], name="complaint_cb_id_idx")]  # newest first

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.source} ({self.received_on})"


class ProcessChangeNotification(FSMModelMixin, models.Model):
    """A change the manufacturer notifies (SV-05); the CB classifies its impact and the certificate follows."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    manufacturer = models.ForeignKey("manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="pcns")
    certificate = models.ForeignKey("certification.Certificate", on_delete=models.PROTECT, related_name="pcns")
    title = models.CharField(_("change"), max_length=200)
    description = models.TextField(_("description"))
    planned_on = models.DateField(_("planned for"))
    impact = models.CharField(_("impact"), max_length=40, choices=PCNImpact.choices, blank=True)
    special_audit = models.ForeignKey(
        SurveillanceAudit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    suspended_certificate = models.BooleanField(default=False)
    state = FSMField(_("state"), choices=PCNState.choices, default=PCNState.SUBMITTED, protected=True, db_index=True)
    submitted_by_label = models.CharField(max_length=200)
    found_at_audit = models.BooleanField(_("found at audit, never notified"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = TENANCY
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("process change notification")
        indexes = [models.Index(fields=["certification_body", "id"], name="pcn_cb_id_idx")]  # a CB's newest first

    def __str__(self) -> str:
        return f"PCN: {self.title}"

    @transition(
        field=state,
        source=PCNState.SUBMITTED,
        target=PCNState.UNDER_ASSESSMENT,
        permission=cb_decider,
        custom={"label": _("Classify the impact"), "reason_required": True},
    )
    def classify(self) -> None:
        """The CB sets the impact; the service makes the certificate follow in the same transaction."""

    @transition(
        field=state,
        source=[PCNState.SUBMITTED, PCNState.UNDER_ASSESSMENT],
        target=PCNState.CLOSED,
        permission=cb_decider,
        custom={"label": _("Close"), "reason_required": True},
    )
    def close(self) -> None:
        """Assessment done; a certificate suspended pending it is reinstated or stays suspended by the CB's decision."""


class PCNDocument(models.Model):
    """Evidence the manufacturer attaches to a PCN."""

    pcn = models.ForeignKey(ProcessChangeNotification, on_delete=models.PROTECT, related_name="documents")
    # The PCN's CB, copied when the document is stored (a PCN never changes CB): a CB's PCN documents newest
    # first are read from the index (certification_body, id) (docs/performance.md).
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(upload_to="pcn/", max_length=200)
    storage_name = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by_label = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(
        cb="certification_body",
        manufacturer="pcn__manufacturer",
        country=("pcn__certification_body__country", "pcn__manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["certification_body", "id"], name="pcn_document_cb_newest")]

    def save(self, *args, **kwargs) -> None:
        if self.pcn_id is not None:
            self.certification_body_id = self.pcn.certification_body_id  # never another CB's
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.title
