"""Applications for certification (MF-01 … MF-04) and certificates (CE-01 … CE-05)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from iecq.dates import add_years
from iecq.permissions import (  # noqa: F401  (re-exported: the apps import them from here)
    CB_DECIDERS,
    CB_STAFF,
    MF_APPLICANTS,
    cb_decider,
    cb_staff,
    manufacturer_member,
    operator_only,
    system_only,
)
from iecq.principals import Principal
from iecq.tenancy import Tenancy, TenantScopedManager

from .choices import ApplicationState as A
from .choices import CertificateState as C
from .choices import EvaluationRole, PdfBatchState, QualificationRoute


def _cb_assessor(app: Application, p: Principal) -> bool:
    """A decider, or an auditor of this evaluation, records the outcome of the QMS assessment."""
    if cb_decider(app, p):
        return True
    return (
        p.is_cb
        and p.certification_body_id == app.certification_body_id
        and p.user_id is not None
        and app.evaluation_auditors.filter(auditor__user_id=p.user_id).exists()
    )


def _has_team(app: Application) -> bool:
    return app.evaluation_auditors.exists()


class Application(FSMModelMixin, models.Model):
    """A manufacturer's application to a CB, through the qualification stages to a certificate (MF-01).

    Each stage's decision is a logged transition (who, when, why) and its documents are Evidence (MF-02).
    """

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="applications"
    )
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="applications"
    )
    scheme = models.ForeignKey("bodies.Scheme", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(
        _("qualification route"),
        max_length=30,
        choices=QualificationRoute.choices,
        default=QualificationRoute.TECHNOLOGY_QUALIFICATION,
    )
    technologies = models.ManyToManyField("bodies.Technology", related_name="+", verbose_name=_("technologies"))
    component_types = models.TextField(_("component types"))
    specifications = models.TextField(_("specifications"), blank=True)
    sites = models.ManyToManyField("manufacturers.Site", related_name="applications", verbose_name=_("sites"))
    state = FSMField(_("stage"), choices=A.choices, default=A.INQUIRY, protected=True, db_index=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = Tenancy(
        cb="certification_body",
        manufacturer="manufacturer",
        country=("certification_body__country", "manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        indexes = [models.Index(fields=["certification_body", "id"], name="application_cb_id_idx")]  # newest first

    def __str__(self) -> str:
        return self.reference

    def transition_blockers(self, name: str) -> list[str]:
        if name in ("submit", "certify"):
            return [str(r) for r in self.submission_blockers()]
        if name == "start_qms_assessment" and not _has_team(self):
            return [str(_("Assign the audit team first (through the assignment check)."))]
        return []

    def submission_blockers(self) -> list[str]:
        """Why the CB cannot accept this application now (CB-01, CB-02)."""
        reasons = []
        for technology in self.technologies.all():
            reasons += self.certification_body.may_certify(technology)
        if not self.technologies.exists():
            reasons.append(_("Name at least one technology."))
        if not self.sites.exists():
            reasons.append(_("Name at least one site."))
        return list(dict.fromkeys(reasons))

    @transition(
        field=state,
        source=A.INQUIRY,
        target=A.SUBMITTED,
        permission=manufacturer_member,
        conditions=[lambda app: not app.submission_blockers()],
        custom={"label": _("Submit application")},
    )
    def submit(self) -> None:
        """The manufacturer submits the application to the CB."""
        self.submitted_on = timezone.now().date()

    @transition(
        field=state,
        source=A.SUBMITTED,
        target=A.UNDER_REVIEW,
        permission=cb_staff,
        custom={"label": _("Start review")},
    )
    def start_review(self) -> None:
        """The CB reviews the application for completeness and scope."""

    @transition(
        field=state,
        source=A.UNDER_REVIEW,
        target=A.QMS_ASSESSMENT,
        permission=cb_decider,
        conditions=[_has_team],
        custom={"label": _("Start preliminary QMS assessment")},
    )
    def start_qms_assessment(self) -> None:
        """The assigned team assesses the quality management system."""

    @transition(
        field=state,
        source=A.QMS_ASSESSMENT,
        target=A.QMS_ACCEPTED,
        permission=_cb_assessor,
        custom={"label": _("Accept the QMS")},
    )
    def accept_qms(self) -> None:
        """The QMS meets the requirements."""

    @transition(
        field=state,
        source=A.QMS_ASSESSMENT,
        target=A.QMS_NOT_ACCEPTED,
        permission=_cb_assessor,
        custom={"label": _("QMS not accepted (findings to the manufacturer)"), "reason_required": True},
    )
    def refuse_qms(self) -> None:
        """The findings go back to the manufacturer, who corrects and resubmits."""

    @transition(
        field=state,
        source=A.QMS_NOT_ACCEPTED,
        target=A.QMS_ASSESSMENT,
        permission=manufacturer_member,
        custom={"label": _("Resubmit after correcting the findings"), "reason_required": True},
    )
    def resubmit_qms(self) -> None:
        """The manufacturer says what it corrected."""

    @transition(
        field=state,
        source=A.QMS_ACCEPTED,
        target=A.TECHNOLOGY_QUALIFICATION,
        permission=cb_decider,
        custom={"label": _("Start technology qualification / capability approval")},
    )
    def start_qualification(self) -> None:
        """Technology qualification or capability approval, by the application's route."""

    @transition(
        field=state,
        source=A.TECHNOLOGY_QUALIFICATION,
        target=A.PRODUCT_CERTIFICATION,
        permission=cb_decider,
        custom={"label": _("Start product certification")},
    )
    def start_product_certification(self) -> None:
        """Certification of the specific component types."""

    @transition(
        field=state,
        source=A.PRODUCT_CERTIFICATION,
        target=A.CERTIFIED,
        permission=cb_decider,
        conditions=[lambda app: not app.submission_blockers()],
        custom={"label": _("Certify (issues the certificate)")},
    )
    def certify(self) -> None:
        """The certification decision; the service issues the certificate in the same transaction (MF-03)."""
        self.decided_on = timezone.now().date()

    @transition(
        field=state,
        source=A.REJECTED,
        target=A.UNDER_REVIEW,
        permission=cb_decider,
        custom={"label": _("Reopen on appeal"), "reason_required": True, "appeal_only": True},
    )
    def reopen_on_appeal(self) -> None:
        """An upheld appeal against a rejection reopens the review (only through appeal_decide)."""
        self.decided_on = None

    @transition(
        field=state,
        source=[A.SUBMITTED, A.UNDER_REVIEW, A.QMS_NOT_ACCEPTED],
        target=A.REJECTED,
        permission=cb_decider,
        custom={"label": _("Reject"), "reason_required": True, "danger": True},
    )
    def reject(self) -> None:
        """The CB refuses the application; it stays in the register of refused applications."""
        self.decided_on = timezone.now().date()

    @transition(
        field=state,
        source=[s for s in A.values if s not in (A.CERTIFIED, A.REJECTED, A.WITHDRAWN)],
        target=A.WITHDRAWN,
        permission=manufacturer_member,
        custom={"label": _("Withdraw the application"), "reason_required": True, "danger": True},
    )
    def withdraw(self) -> None:
        """The applicant withdraws before certification."""
        self.decided_on = timezone.now().date()


class EvaluationAuditor(models.Model):
    """An auditor on an application's evaluation team, assigned through the assignment check (CB-03, CB-04)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="evaluation_auditors")
    auditor = models.ForeignKey("bodies.Auditor", on_delete=models.PROTECT, related_name="evaluations")
    role = models.CharField(_("role"), max_length=10, choices=EvaluationRole.choices, default=EvaluationRole.MEMBER)
    assigned_by_label = models.CharField(max_length=200)
    assigned_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(
        cb="application__certification_body",
        manufacturer="application__manufacturer",
        country=("application__certification_body__country", "application__manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["role", "auditor__name"]
        verbose_name = _("evaluation auditor")
        constraints = [models.UniqueConstraint(fields=["application", "auditor"], name="evaluation_auditor_unique")]

    def __str__(self) -> str:
        return f"{self.auditor} ({self.get_role_display()})"


def evidence_path(instance: Evidence, filename: str) -> str:
    """Server-generated name; the uploaded name is kept only as metadata."""
    return f"evidence/{instance.storage_name}"


class Evidence(models.Model):
    """A document uploaded for a stage of an application (MF-02), served only as an attachment to those who see it."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="evidence")
    # The application's CB, copied when the file is stored (an application never changes CB): a CB's evidence
    # newest first is read from the index (certification_body, id), not by reading every file of every one of its
    # applications to keep 50 (1,417 rows for a page at a million certificates, docs/performance.md).
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", db_index=False,
    )  # fmt: skip
    stage = models.CharField(_("stage"), max_length=30, choices=A.choices)
    title = models.CharField(_("title"), max_length=200)
    effective_on = models.DateField(_("effective date"))
    file = models.FileField(upload_to=evidence_path, max_length=200)
    storage_name = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by_label = models.CharField(_("uploaded by"), max_length=200)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    tenancy = Tenancy(
        cb="certification_body",
        manufacturer="application__manufacturer",
        country=("application__certification_body__country", "application__manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        indexes = [models.Index(fields=["certification_body", "id"], name="evidence_cb_newest")]

    def save(self, *args, **kwargs) -> None:
        if self.application_id is not None:
            self.certification_body_id = self.application.certification_body_id  # never another CB's
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.title} ({self.original_name})"


class Certificate(FSMModelMixin, models.Model):
    """An IECQ certificate (CE-01, CE-02). Every change writes a new CertificateRevision; none is lost.

    Private to its CB, its manufacturer and the supervisory bodies; the public register reads its
    public fields explicitly (certification.register).
    """

    number = models.CharField(_("number"), max_length=40, unique=True)
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, related_name="certificates"
    )
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, related_name="certificates"
    )
    scheme = models.ForeignKey("bodies.Scheme", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="certificates"
    )
    technologies = models.ManyToManyField(
        "bodies.Technology", related_name="certificates", verbose_name=_("technologies")
    )
    component_types = models.TextField(_("component types"))
    specifications = models.TextField(_("specifications"), blank=True)
    sites = models.ManyToManyField("manufacturers.Site", related_name="certificates", verbose_name=_("sites"))
    issued_on = models.DateField(_("first issued on"))
    period_start = models.DateField(_("current period from"))
    expires_on = models.DateField(_("expires on"), db_index=True)
    # When the next surveillance audit must have taken place (SV-01, SV-07); moved when an audit closes.
    next_audit_due = models.DateField(_("next audit due"), null=True, blank=True, db_index=True)
    # Recomputed by surveillance.services in the transaction that opens or ends an audit of the kind, under a lock
    # on this row (`periodic_audit_certificates_lock`), so that the sweep reads, through the partial indexes
    # below, only the certificates whose periodic audit is not planned.
    surveillance_planned = models.BooleanField(
        _("surveillance audit planned"),
        default=False,
        editable=False,
        help_text=_(
            "An open (planned, scheduled, in progress or reported) surveillance audit exists for this certificate. "
            "Set when one is planned, cleared when it closes or is cancelled; the deadline sweep plans an audit "
            "only for valid certificates without one, found through a partial index on next_audit_due."
        ),
    )
    recertification_planned = models.BooleanField(
        _("recertification audit planned"),
        default=False,
        editable=False,
        help_text=_(
            "An open recertification audit exists for this certificate. Set when one is planned, cleared when it "
            "closes or is cancelled; the deadline sweep plans one only for valid certificates without one, found "
            "through a partial index on expires_on."
        ),
    )
    # Since when a suspended certificate is suspended: the suspension's maximum length runs from it (SA-02).
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True, db_index=True)
    state = FSMField(_("status"), choices=C.choices, default=C.VALID, protected=True, db_index=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = Tenancy(
        cb="certification_body",
        manufacturer="manufacturer",
        country=("certification_body__country", "manufacturer__country"),
    )
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("certificate")
        # A CB's newest certificates first (the API's cursor order) without scanning the other CBs' rows.
        indexes = [
            models.Index(fields=["certification_body", "id"], name="certificate_cb_id_idx"),
            # The sweep's work, bounded by what is due rather than by the table (docs/performance.md): valid
            # certificates whose surveillance or recertification audit is still to plan, and those still in force
            # (expiry, reminders). Expired and withdrawn certificates, most of an old register, are in none.
            models.Index(
                fields=["next_audit_due"],
                condition=Q(state=C.VALID, surveillance_planned=False),
                name="certificate_sv_unplanned_idx",
            ),
            models.Index(
                fields=["expires_on"],
                condition=Q(state=C.VALID, recertification_planned=False),
                name="certificate_rc_unplanned_idx",
            ),
            models.Index(
                fields=["expires_on"],
                condition=Q(state__in=[C.VALID, C.SUSPENDED]),
                name="certificate_in_force_exp_idx",
            ),
            # A withdrawn certificate keeps the date it was suspended on: only the suspended ones are due (SA-02).
            models.Index(fields=["suspended_on"], condition=Q(state=C.SUSPENDED), name="certificate_suspended_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def mark_allowed(self) -> bool:
        """The right to use the IECQ mark follows the certificate: only while valid (CE-05)."""
        return self.state == C.VALID and self.expires_on >= timezone.now().date()

    def transition_blockers(self, name: str) -> list[str]:
        if name == "recertify" and self.expires_on < timezone.now().date():
            return [str(_("The certificate has expired; recertification must be completed before expiry."))]
        return []

    @transition(
        field=state,
        source=C.VALID,
        target=C.SUSPENDED,
        permission=cb_decider,
        custom={"label": _("Suspend"), "reason_required": True, "danger": True},
    )
    def suspend(self) -> None:
        """Use of the certificate and the mark stops until reinstated."""
        self.suspended_on = timezone.now().date()

    @transition(
        field=state,
        source=C.SUSPENDED,
        target=C.VALID,
        permission=cb_decider,
        conditions=[lambda c: c.expires_on >= timezone.now().date()],
        custom={"label": _("Reinstate"), "reason_required": True},
    )
    def reinstate(self) -> None:
        """The correction was verified."""
        self.suspended_on = None

    @transition(
        field=state,
        source=[C.VALID, C.SUSPENDED],
        target=C.WITHDRAWN,
        permission=cb_decider,
        custom={"label": _("Withdraw"), "reason_required": True, "danger": True},
    )
    def withdraw(self) -> None:
        """Final: the certificate is withdrawn."""

    @transition(
        field=state,
        source=C.WITHDRAWN,
        target=C.VALID,
        permission=cb_decider,
        conditions=[lambda c: c.expires_on >= timezone.now().date()],
        custom={"label": _("Restore on appeal"), "reason_required": True, "appeal_only": True},
    )
    def restore_on_appeal(self) -> None:
        """An upheld appeal reverses a withdrawal (only through sanctions.services.appeal_decide)."""
        self.suspended_on = None

    @transition(
        field=state,
        source=[C.VALID, C.SUSPENDED],
        target=C.EXPIRED,
        permission=system_only,
        custom={"label": _("Expire"), "reason_required": True, "system": True},
    )
    def expire(self) -> None:
        """Three years passed without recertification (SV-06); taken by the sweep."""

    @transition(
        field=state,
        source=C.VALID,
        target=C.VALID,
        permission=cb_decider,
        conditions=[lambda c: c.expires_on >= timezone.now().date()],
        custom={"label": _("Recertify (next validity period)"), "reason_required": True},
    )
    def recertify(self) -> None:
        """The next three-year period follows the current one."""
        self.period_start = self.expires_on
        self.expires_on = add_years(self.expires_on, settings.IECQ_CERTIFICATE_YEARS)

    @transition(
        field=state,
        source=C.VALID,
        target=C.VALID,
        permission=operator_only,
        custom={"label": _("Transfer to another CB"), "reason_required": True},
    )
    def transfer(self) -> None:
        """The service sets the new CB; history and revisions stay with the certificate."""


class CertificateRevision(models.Model):
    """A snapshot of a certificate after each change; append-only (a database trigger refuses edits)."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    snapshot = models.JSONField()
    reason = models.TextField(_("reason"))
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(
        cb="certificate__certification_body",
        manufacturer="certificate__manufacturer",
        country=("certificate__certification_body__country", "certificate__manufacturer__country"),
    )
    objects = TenantScopedManager()
    objects_append = models.Manager()

    class Meta:
        ordering = ["certificate", "-number"]
        verbose_name = _("certificate revision")
        constraints = [models.UniqueConstraint(fields=["certificate", "number"], name="certificate_revision_unique")]

    def __str__(self) -> str:
        return f"{self.certificate.number} rev. {self.number}"


class CertificateNumberSequence(models.Model):
    """The last number issued by a CB under a scheme; locked while a number is allocated."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    scheme = models.ForeignKey("bodies.Scheme", on_delete=models.PROTECT, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["certification_body", "scheme"], name="number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.certification_body_id}/{self.scheme_id}: {self.last}"


def _batch_owner(batch: CertificatePdfBatch, p: Principal) -> bool:
    """The CB's staff who asked for the zip, or the system closing a job whose worker died."""
    return p.is_system or (p.is_cb and p.certification_body_id == batch.certification_body_id)


class CertificatePdfBatch(FSMModelMixin, models.Model):
    """A zip of certificate PDFs a CB asked for (selected certificates, or all those matching a list filter),
    built by a Celery task that reports its progress; only certificates the requester sees are included."""

    certification_body = models.ForeignKey("bodies.CertificationBody", on_delete=models.PROTECT, related_name="+")
    language = models.CharField(_("language"), max_length=10)
    certificate_ids = models.JSONField(default=list)
    state = FSMField(_("status"), choices=PdfBatchState.choices, default=PdfBatchState.QUEUED, protected=True)
    total = models.PositiveIntegerField(_("certificates"), default=0)
    processed = models.PositiveIntegerField(_("certificates rendered"), default=0)
    file = models.FileField(upload_to="certificate-pdf-batches/", max_length=200, blank=True)
    created_by = models.ForeignKey(
        "iecq.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_by_label = models.CharField(_("created by"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    tenancy = Tenancy(cb="certification_body")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("certificate PDF batch")
        verbose_name_plural = _("certificate PDF batches")

    def __str__(self) -> str:
        return f"{self.pk}: {self.total}"

    @transition(field=state, source=PdfBatchState.QUEUED, target=PdfBatchState.RENDERING, permission=_batch_owner)
    def start(self) -> None:
        """A worker picked the job up."""

    @transition(field=state, source=PdfBatchState.RENDERING, target=PdfBatchState.DONE, permission=_batch_owner)
    def finish(self) -> None:
        """Every PDF is in the stored zip."""

    @transition(
        field=state,
        source=[PdfBatchState.QUEUED, PdfBatchState.RENDERING],
        target=PdfBatchState.FAILED,
        permission=_batch_owner,
    )
    def fail(self) -> None:
        """The job could not run to its end; there is no zip."""

    @transition(
        field=state,
        source=PdfBatchState.DONE,
        target=PdfBatchState.EXPIRED,
        permission=system_only,
        custom={"label": _("Expire"), "system": True},
    )
    def expire(self) -> None:
        """The zip was kept its retention period and is deleted; the certificates can be asked for again."""

    @property
    def is_final(self) -> bool:
        return self.state in (PdfBatchState.DONE, PdfBatchState.FAILED, PdfBatchState.EXPIRED)

    @property
    def expires_at(self) -> datetime | None:
        """When the daily clean-up deletes the finished zip (IECQ_PDF_BATCH_RETENTION_DAYS after it was ready)."""
        if self.state != PdfBatchState.DONE or self.finished_at is None:
            return None
        return self.finished_at + timedelta(days=settings.IECQ_PDF_BATCH_RETENTION_DAYS)

    @property
    def percent(self) -> int:
        if self.state in (PdfBatchState.DONE, PdfBatchState.EXPIRED):
            return 100
        return min(99, self.processed * 100 // self.total) if self.total else 0


class RegisterPage(models.Model):
    """A certificate's anonymous verification page in one language, as it was first sent since its last change
    (certification/register_cache.py).

    Read and written only through the functions of the tables' owner (`iecq_register_visit`, `iecq_register_store`):
    row-level security is on with no policy, so the application's role sees and writes no row of it. Triggers on
    every table whose values the page prints delete a certificate's pages in the transaction that changes them.
    """

    number = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    html = models.TextField()
    # The last day the page may be served: the expiry date of a certificate whose mark it allows; none otherwise.
    fresh_until = models.DateField(null=True)
    stored_at = models.DateTimeField()
    # The layout the page was rendered in (`register_cache.layout`: a digest of every skeleton of its language); a
    # page of another layout (a deployment changed a template, a style sheet, a translation) is not served.
    layout = models.CharField(max_length=16, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["number", "language"], name="register_page_unique")]
        indexes = [models.Index(fields=["stored_at"], name="register_page_stored_at")]

    def __str__(self) -> str:
        return f"{self.number} ({self.language})"


class RegisterEntry(models.Model):
    """A certificate's public entry as `iecq_register_entry` computes it (JSON text), kept ready so that a first
    visit to its verification page is one index lookup (certification/register_cache.py).

    Filled in batches by the tables' owner's `iecq_register_fill` (the beat task `register_entries_fill`, and
    `seed_scale`) and by each first visit's store; deleted by the same triggers, in the same statement, as the
    certificate's pages. A certificate without one is computed at its visit. Row-level security is on with no
    policy: the application's role reaches it only through those functions.
    """

    number = models.CharField(max_length=40, primary_key=True)
    entry = models.TextField()

    def __str__(self) -> str:
        return self.number
