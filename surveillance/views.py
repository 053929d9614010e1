"""Portal pages of surveillance: audits with their team, complaints to review, nonconformities and samples
(SV-01 … SV-04, SV-06), process change notifications (SV-05) and the risk-based frequency with its reasons
(SV-07). Views stay thin: reads go through the visibility rule, writes through the services, and a form or a
link is offered only to those the service would let act."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views import View

from bodies.models import CertificationBody
from certification.choices import CertificateState
from certification.models import CB_DECIDERS, CB_STAFF, MF_APPLICANTS, Certificate
from iecq.errors import NotFound
from iecq.log import history_of
from iecq.permissions import cb_decider, cb_staff, manufacturer_member
from iecq.portal.guidance import FieldValidationMixin
from iecq.portal.views import (
    PrincipalMixin,
    RecordFormView,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
    TransitionView,
)
from iecq.principals import Principal
from iecq.selectors import get_visible, visible
from iecq.transitions import blocked_transitions, fsm_field
from manufacturers.models import Engagement, Manufacturer

from . import forms, services
from .choices import OPEN_AUDIT_STATES, AuditState, NonconformityState, PCNState, SampleResult
from .frequency import Frequency, surveillance_frequency
from .models import (
    AuditTeamMember,
    Complaint,
    Nonconformity,
    PCNDocument,
    ProcessChangeNotification,
    ProductSample,
    SurveillanceAudit,
)

# What services.audit_update accepts in each state; the form offers only these fields.
AUDIT_EDITABLE = {
    AuditState.PLANNED: ("due_on", "scheduled_for", "plan"),
    AuditState.SCHEDULED: ("scheduled_for", "plan"),
    AuditState.IN_PROGRESS: ("report",),
}


# --- who may act: the services' own rules, asked before a form or a link is shown --------------------------


def _may_plan(p: Principal) -> bool:
    return p.is_cb and p.has_role(*CB_DECIDERS)


def _may_record(p: Principal) -> bool:
    """Samples and complaints: any of the CB's staff (services.sample_record, complaint_record)."""
    return p.is_cb and p.has_role(*CB_STAFF)


def _may_edit_audit(p: Principal, audit: SurveillanceAudit) -> bool:
    return cb_staff(audit, p) and audit.state in AUDIT_EDITABLE


def _may_assign(p: Principal, audit: SurveillanceAudit) -> bool:
    return cb_decider(audit, p) and audit.state in (AuditState.PLANNED, AuditState.SCHEDULED)


def _may_record_nonconformity(p: Principal, audit: SurveillanceAudit) -> bool:
    return cb_staff(audit, p) and audit.state in (AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED)


def _may_respond(p: Principal, nc: Nonconformity) -> bool:
    return manufacturer_member(nc, p) and nc.state == NonconformityState.OPEN


def _may_record_result(p: Principal, sample: ProductSample) -> bool:
    return cb_staff(sample, p) and sample.result == SampleResult.PENDING


def _may_submit_pcn(p: Principal) -> bool:
    return p.is_manufacturer and p.has_role(*MF_APPLICANTS)


def _may_add_pcn_document(p: Principal, pcn: ProcessChangeNotification) -> bool:
    party = (p.is_manufacturer and p.manufacturer_id == pcn.manufacturer_id) or (
        p.is_cb and p.certification_body_id == pcn.certification_body_id
    )
    return party and pcn.state != PCNState.CLOSED


def _may_classify(p: Principal, pcn: ProcessChangeNotification) -> bool:
    return cb_decider(pcn, p) and pcn.state == PCNState.SUBMITTED


def _may_close_pcn(p: Principal, pcn: ProcessChangeNotification) -> bool:
    return cb_decider(pcn, p) and pcn.state in (PCNState.SUBMITTED, PCNState.UNDER_ASSESSMENT)


def frequencies_for(p: Principal, manufacturer: Manufacturer) -> list[tuple[CertificationBody, Frequency]]:
    """SV-07: the frequency and its reasons for each CB the principal may speak for: a CB user its own CB; the
    manufacturer itself, supervisors and the operator every CB the manufacturer deals with."""
    if p.is_cb:
        cb_ids = {p.certification_body_id}
    else:
        cb_ids = set(
            visible(Engagement, p).filter(manufacturer=manufacturer).values_list("certification_body_id", flat=True)
        )
        cb_ids |= set(
            visible(Certificate, p).filter(manufacturer=manufacturer).values_list("certification_body_id", flat=True)
        )
    bodies = visible(CertificationBody, p).filter(pk__in=cb_ids).order_by("name")
    return [(cb, surveillance_frequency(manufacturer_id=manufacturer.pk, certification_body_id=cb.pk)) for cb in bodies]


class HistoryMixin:
    """The state history of a record whose decisions have forms of their own (no generic transition buttons)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["history"] = history_of(ctx["object"], self.principal)
        ctx["state_labels"] = dict(fsm_field(self.model).choices)
        return ctx


class SurveillanceRecordFormView(RecordFormView):
    template_name = "surveillance/record_form.html"


class SurveillanceCreateView(ServiceFormView):
    """A record created from the surveillance pages; `?certificate=`, `?audit=`, `?laboratory=` preselect."""

    template_name = "surveillance/record_form.html"
    preselect: ClassVar[tuple[str, ...]] = ("certificate",)

    def allowed(self) -> bool:
        return False

    def get_form_kwargs(self) -> dict[str, Any]:
        if not self.allowed():
            raise PermissionDenied
        return {**super().get_form_kwargs(), "principal": self.principal}

    def get_initial(self) -> dict[str, Any]:
        return {name: self.request.GET[name] for name in self.preselect if self.request.GET.get(name, "").isdigit()}


class SurveillanceListView(LoginRequiredMixin, ScopedListView):
    """The surveillance lists share their tabs; their filters' choices are what the user sees."""

    template_name = "surveillance/list.html"
    portal_filter: ClassVar[type]
    tab: ClassVar[str]

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.filterset_class = partial(self.portal_filter, request=request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(tab=self.tab, **kwargs)


# --- audits (SV-01, SV-03, SV-06, SV-07) -------------------------------------------------------------------


class AuditListView(SurveillanceListView):
    model = SurveillanceAudit
    title = _("Audits")
    portal_filter = forms.AuditPortalFilter
    tab = "audits"
    select_related = ("manufacturer", "certification_body", "certificate")
    columns = [
        ("kind", _("Kind")),
        ("manufacturer.name", _("Manufacturer")),
        ("certificate.number", _("Certificate")),
        ("certification_body.name", _("Certification body")),
        ("due_on", _("Due by")),
        ("scheduled_for", _("Audit date")),
        ("state", _("State")),
    ]
    sortable = ("kind", "due_on", "scheduled_for", "state")
    detail_url_name = "surveillance:audit-detail"
    create_url_name = "surveillance:audit-plan"

    def can_create(self) -> bool:
        return _may_plan(self.principal)


class AuditDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "surveillance/audit_detail.html"
    model = SurveillanceAudit
    fields = [
        ("kind", _("Kind")),
        ("manufacturer", _("Manufacturer")),
        ("certification_body", _("Certification body")),
        ("certificate", _("Certificate")),
        ("trigger", _("Reason for a special audit")),
        ("trigger_reference", _("Reference of the reason")),
        ("due_on", _("Due by")),
        ("scheduled_for", _("Audit date")),
        ("closed_on", _("Closed on")),
        ("state", _("State")),
    ]
    transition_url_name = "surveillance:audit-transition"
    edit_url_name = "surveillance:audit-edit"

    def can_edit(self, obj: SurveillanceAudit) -> bool:
        return _may_edit_audit(self.principal, obj)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        audit: SurveillanceAudit = ctx["object"]
        p = self.principal
        complaints = visible(Complaint, p).filter(
            manufacturer_id=audit.manufacturer_id, certification_body_id=audit.certification_body_id
        )
        is_open = audit.state in OPEN_AUDIT_STATES
        # Closing reviews every complaint received until that day (services.audit_transition); until then, those
        # received up to the audit date, or up to today for an audit that is late.
        review_until = max(audit.scheduled_for or audit.due_on, timezone.now().date())
        ctx.update(
            is_open=is_open,
            team=visible(AuditTeamMember, p).filter(audit=audit).select_related("auditor"),
            complaints_to_review=(
                complaints.filter(reviewed_in__isnull=True, received_on__lte=review_until) if is_open else []
            ),
            complaints_reviewed=complaints.filter(reviewed_in=audit),
            nonconformities=visible(Nonconformity, p).filter(audit=audit),
            samples=visible(ProductSample, p).filter(audit=audit).select_related("laboratory"),
            blocked=blocked_transitions(audit, p),
            frequency=surveillance_frequency(
                manufacturer_id=audit.manufacturer_id, certification_body_id=audit.certification_body_id
            ),
            pcn=visible(ProcessChangeNotification, p).filter(special_audit=audit).first(),
        )
        if _may_assign(p, audit):
            ctx["assign_form"] = forms.AuditTeamAssignForm(principal=p, audit=audit)
            ctx["assign_url"] = reverse("surveillance:audit-team-assign", args=[audit.pk])
        if _may_record_nonconformity(p, audit):
            ctx["nc_form"] = forms.NonconformityRecordForm()
            ctx["nc_url"] = reverse("surveillance:nonconformity-record", args=[audit.pk])
        if _may_record(p) and cb_staff(audit, p) and is_open and audit.certificate_id:
            ctx["sample_url"] = (
                f"{reverse('surveillance:sample-record')}?certificate={audit.certificate_id}&audit={audit.pk}"
            )
        return ctx


class AuditTransitionView(TransitionView):
    model = SurveillanceAudit
    services = services.AUDIT_TRANSITION_SERVICES
    detail_url_name = "surveillance:audit-detail"


class AuditPlanView(SurveillanceCreateView):
    form_class = forms.AuditPlanForm
    title = _("Plan an audit")
    success_message = _("The audit is planned. Assign the team and set the date, then schedule it.")

    def allowed(self) -> bool:
        return _may_plan(self.principal)

    def call_service(self, data: dict[str, Any]) -> SurveillanceAudit:
        return services.audit_plan(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("surveillance:audit-detail", args=[self.object.pk])


class AuditEditView(SurveillanceRecordFormView):
    model = SurveillanceAudit
    form_class = forms.AuditEditForm
    title_pattern = _("Change %(record)s")
    detail_url_name = "surveillance:audit-detail"
    success_message = _("Saved.")

    def allowed(self, record: SurveillanceAudit) -> bool:
        return _may_edit_audit(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        return {**kwargs, "editable": set(AUDIT_EDITABLE[self.record.state])}

    def get_initial(self) -> dict[str, Any]:
        return {name: getattr(self.record, name) for name in ("due_on", "scheduled_for", "plan", "report")}

    def call_service(self, data: dict[str, Any]) -> SurveillanceAudit:
        changes = {name: data[name] for name in AUDIT_EDITABLE[self.record.state]}
        return services.audit_update(actor=self.principal, pk=self.record.pk, **changes)


class AuditTeamAssignView(SurveillanceRecordFormView):
    """Put an auditor on the team; a refusal lists every reason the assignment check found (CB-03, CB-04)."""

    model = SurveillanceAudit
    form_class = forms.AuditTeamAssignForm
    title_pattern = _("Assign an auditor to %(record)s")
    detail_url_name = "surveillance:audit-detail"
    success_message = _("The auditor is on the team.")

    def allowed(self, record: SurveillanceAudit) -> bool:
        return _may_assign(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "audit": self.record}

    def call_service(self, data: dict[str, Any]) -> AuditTeamMember:
        return services.audit_team_assign(
            actor=self.principal, audit=self.record.pk, auditor=data["auditor"], role=data["role"]
        )


class NonconformityRecordView(SurveillanceRecordFormView):
    model = SurveillanceAudit
    form_class = forms.NonconformityRecordForm
    title_pattern = _("Record a nonconformity at %(record)s")
    detail_url_name = "surveillance:audit-detail"
    success_message = _("The nonconformity is recorded; the manufacturer answers it with a corrective action.")

    def allowed(self, record: SurveillanceAudit) -> bool:
        return _may_record_nonconformity(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> Nonconformity:
        return services.nonconformity_record(actor=self.principal, audit=self.record.pk, **data)


# --- nonconformities (SV-04) ---------------------------------------------------------------------------------


class NonconformityListView(SurveillanceListView):
    """The CB's nonconformities, or the manufacturer's own with every CB."""

    model = Nonconformity
    title = _("Nonconformities")
    portal_filter = forms.NonconformityPortalFilter
    tab = "nonconformities"
    select_related = ("manufacturer", "certification_body", "certificate")
    columns = [
        ("requirement", _("Requirement")),
        ("grade", _("Grade")),
        ("manufacturer.name", _("Manufacturer")),
        ("certification_body.name", _("Certification body")),
        ("certificate.number", _("Certificate")),
        ("due_on", _("Corrective action due")),
        ("state", _("State")),
    ]
    sortable = ("grade", "due_on", "state")
    detail_url_name = "surveillance:nonconformity-detail"


class NonconformityDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "surveillance/nonconformity_detail.html"
    model = Nonconformity
    fields = [
        ("grade", _("Grade")),
        ("requirement", _("Requirement")),
        ("manufacturer", _("Manufacturer")),
        ("certification_body", _("Certification body")),
        ("certificate", _("Certificate")),
        ("raised_by_label", _("Raised by")),
        ("created_at", _("Raised at")),
        ("due_on", _("Corrective action due")),
        ("state", _("State")),
    ]
    transition_url_name = "surveillance:nonconformity-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        nc: Nonconformity = ctx["object"]
        p = self.principal
        ctx.update(
            # The corrective action goes through its own form (nonconformity_respond), which carries the text.
            transitions=[t for t in ctx["transitions"] if t.name in services.NONCONFORMITY_TRANSITION_SERVICES],
            overdue=nc.state != NonconformityState.CLOSED and nc.due_on < timezone.now().date(),
            audit=visible(SurveillanceAudit, p).filter(pk=nc.audit_id).first(),
            sample=visible(ProductSample, p).filter(pk=nc.sample_id).first(),
        )
        if _may_respond(p, nc):
            ctx["respond_form"] = forms.NonconformityRespondForm(initial={"corrective_action": nc.corrective_action})
            ctx["respond_url"] = reverse("surveillance:nonconformity-respond", args=[nc.pk])
        return ctx


class NonconformityTransitionView(TransitionView):
    model = Nonconformity
    services = services.NONCONFORMITY_TRANSITION_SERVICES
    detail_url_name = "surveillance:nonconformity-detail"


class NonconformityRespondView(SurveillanceRecordFormView):
    model = Nonconformity
    form_class = forms.NonconformityRespondForm
    title_pattern = _("Answer %(record)s")
    detail_url_name = "surveillance:nonconformity-detail"
    success_message = _("Your corrective action is submitted; the certification body verifies it.")

    def allowed(self, record: Nonconformity) -> bool:
        return _may_respond(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> Nonconformity:
        return services.nonconformity_respond(actor=self.principal, pk=self.record.pk, **data)


# --- samples (SV-02) -------------------------------------------------------------------------------------------


class SampleListView(SurveillanceListView):
    model = ProductSample
    title = _("Product samples")
    portal_filter = forms.SamplePortalFilter
    tab = "samples"
    select_related = ("manufacturer", "certificate", "laboratory")
    columns = [
        ("description", _("Sample")),
        ("manufacturer.name", _("Manufacturer")),
        ("certificate.number", _("Certificate")),
        ("source", _("Source")),
        ("taken_on", _("Taken on")),
        ("laboratory.name", _("Laboratory")),
        ("result", _("Result")),
    ]
    sortable = ("taken_on", "result")
    detail_url_name = "surveillance:sample-detail"
    create_url_name = "surveillance:sample-record"

    def can_create(self) -> bool:
        return _may_record(self.principal)


class SampleDetailView(HistoryMixin, LoginRequiredMixin, ScopedDetailView):
    template_name = "surveillance/sample_detail.html"
    model = ProductSample
    fields = [
        ("certificate", _("Certificate")),
        ("manufacturer", _("Manufacturer")),
        ("certification_body", _("Certification body")),
        ("audit", _("Taken at audit")),
        ("source", _("Source")),
        ("taken_on", _("Taken on")),
        ("laboratory", _("Laboratory")),
        ("tested_on", _("Tested on")),
        ("result", _("Result")),
    ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        sample: ProductSample = ctx["object"]
        p = self.principal
        ctx.update(
            equipment=sample.equipment.all(),
            nonconformities=visible(Nonconformity, p).filter(sample=sample),
            audit=visible(SurveillanceAudit, p).filter(pk=sample.audit_id).first(),
        )
        if _may_record_result(p, sample):
            ctx["result_form"] = forms.SampleResultForm()
            ctx["result_url"] = reverse("surveillance:sample-result", args=[sample.pk])
        return ctx


class SampleRecordView(SurveillanceCreateView):
    form_class = forms.SampleRecordForm
    title = _("Record a product sample")
    success_message = _("The sample is recorded. Record the result when the laboratory reports.")
    preselect = ("certificate", "audit", "laboratory")

    def allowed(self) -> bool:
        return _may_record(self.principal)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "laboratory_id": self.request.GET.get("laboratory"),
            "reload_url": reverse("surveillance:sample-record"),
        }

    def call_service(self, data: dict[str, Any]) -> ProductSample:
        return services.sample_record(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("surveillance:sample-detail", args=[self.object.pk])


class SampleResultView(SurveillanceRecordFormView):
    model = ProductSample
    form_class = forms.SampleResultForm
    title_pattern = _("Record the test result of %(record)s")
    detail_url_name = "surveillance:sample-detail"
    success_message = _("The result is recorded.")

    def allowed(self, record: ProductSample) -> bool:
        return _may_record_result(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> ProductSample:
        return services.sample_result_record(
            actor=self.principal,
            pk=self.record.pk,
            passed=data["result"] == SampleResult.PASS,
            test_report=data["test_report"],
            reason=data["reason"],
        )


# --- complaints and field failures (SV-03) ------------------------------------------------------------------


class ComplaintListView(SurveillanceListView):
    model = Complaint
    title = _("Complaints and field failures")
    portal_filter = forms.ComplaintPortalFilter
    tab = "complaints"
    select_related = ("manufacturer", "certificate", "reviewed_in")
    columns = [
        ("received_on", _("Received on")),
        ("kind", _("Kind")),
        ("source", _("From")),
        ("manufacturer.name", _("Manufacturer")),
        ("certificate.number", _("Certificate")),
        ("description", _("Description")),
        ("reviewed_in", _("Reviewed at audit")),
    ]
    sortable = ("received_on", "kind")
    create_url_name = "surveillance:complaint-record"

    def can_create(self) -> bool:
        return _may_record(self.principal)


class ComplaintRecordView(SurveillanceCreateView):
    form_class = forms.ComplaintRecordForm
    title = _("Record a complaint or field failure")
    success_message = _("Recorded. The next audit of the manufacturer reviews it.")

    def allowed(self) -> bool:
        return _may_record(self.principal)

    def call_service(self, data: dict[str, Any]) -> Complaint:
        return services.complaint_record(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("surveillance:complaint-list")


# --- process change notifications (SV-05) ---------------------------------------------------------------------


class PCNListView(SurveillanceListView):
    model = ProcessChangeNotification
    title = _("Process change notifications")
    portal_filter = forms.PCNPortalFilter
    tab = "pcns"
    select_related = ("manufacturer", "certification_body", "certificate")
    columns = [
        ("title", _("Change")),
        ("manufacturer.name", _("Manufacturer")),
        ("certificate.number", _("Certificate")),
        ("certification_body.name", _("Certification body")),
        ("planned_on", _("Planned for")),
        ("impact", _("Impact")),
        ("state", _("State")),
    ]
    sortable = ("planned_on", "state", "created_at")
    detail_url_name = "surveillance:pcn-detail"
    create_url_name = "surveillance:pcn-submit"

    def can_create(self) -> bool:
        return _may_submit_pcn(self.principal)


class PCNDetailView(HistoryMixin, LoginRequiredMixin, ScopedDetailView):
    template_name = "surveillance/pcn_detail.html"
    model = ProcessChangeNotification
    fields = [
        ("certificate", _("Certificate")),
        ("manufacturer", _("Manufacturer")),
        ("certification_body", _("Certification body")),
        ("planned_on", _("Planned for")),
        ("submitted_by_label", _("Submitted by")),
        ("created_at", _("Submitted at")),
        ("impact", _("Impact")),
        ("state", _("State")),
    ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        pcn: ProcessChangeNotification = ctx["object"]
        p = self.principal
        certificate = visible(Certificate, p).filter(pk=pcn.certificate_id).first()
        ctx.update(
            certificate=certificate,
            documents=visible(PCNDocument, p).filter(pcn=pcn),
            special_audit=visible(SurveillanceAudit, p).filter(pk=pcn.special_audit_id).first(),
            impact_effect=forms.PCN_IMPACT_EFFECTS.get(pcn.impact, ""),
        )
        if _may_add_pcn_document(p, pcn):
            ctx["document_form"] = forms.PCNDocumentForm(auto_id="document_%s")
            ctx["document_url"] = reverse("surveillance:pcn-document-upload", args=[pcn.pk])
        if _may_classify(p, pcn):
            ctx["classify_form"] = forms.PCNClassifyForm(auto_id="classify_%s")
            ctx["classify_url"] = reverse("surveillance:pcn-classify", args=[pcn.pk])
        if _may_close_pcn(p, pcn):
            ctx["close_form"] = forms.PCNCloseForm(
                offer_reinstatement=_offers_reinstatement(pcn, certificate), auto_id="close_%s"
            )
            ctx["close_url"] = reverse("surveillance:pcn-close", args=[pcn.pk])
        return ctx


def _offers_reinstatement(pcn: ProcessChangeNotification, certificate: Certificate | None) -> bool:
    return pcn.suspended_certificate and certificate is not None and certificate.state == CertificateState.SUSPENDED


class PCNSubmitView(FieldValidationMixin, SurveillanceCreateView):
    """The PCN form: checked as typed; its draft is kept in the browser, not on the server (docs/accessibility.md)."""

    form_class = forms.PCNSubmitForm
    title = _("Notify a process change")
    success_message = _("Your PCN is submitted to the certification body. Add supporting documents below.")

    def allowed(self) -> bool:
        return _may_submit_pcn(self.principal)

    def call_service(self, data: dict[str, Any]) -> ProcessChangeNotification:
        return services.pcn_submit(actor=self.principal, **data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # One draft per person and form in this browser: a colleague signing in here does not get it.
        return super().get_context_data(draft_key=f"pcn-submit:{self.request.user.pk}", **kwargs)

    def get_success_url(self) -> str:
        return reverse("surveillance:pcn-detail", args=[self.object.pk])


class PCNDocumentUploadView(SurveillanceRecordFormView):
    model = ProcessChangeNotification
    form_class = forms.PCNDocumentForm
    title_pattern = _("Add a document to %(record)s")
    detail_url_name = "surveillance:pcn-detail"
    success_message = _("The document is attached to the PCN.")

    def allowed(self, record: ProcessChangeNotification) -> bool:
        return _may_add_pcn_document(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> PCNDocument:
        return services.pcn_document_upload(actor=self.principal, pcn=self.record.pk, **data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(multipart=True, **kwargs)


class PCNClassifyView(SurveillanceRecordFormView):
    model = ProcessChangeNotification
    form_class = forms.PCNClassifyForm
    title_pattern = _("Classify the impact of %(record)s")
    detail_url_name = "surveillance:pcn-detail"
    success_message = _("The impact is classified; the certificate follows it.")

    def allowed(self, record: ProcessChangeNotification) -> bool:
        return _may_classify(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> ProcessChangeNotification:
        return services.pcn_classify(actor=self.principal, pk=self.record.pk, **data)


class PCNCloseView(SurveillanceRecordFormView):
    model = ProcessChangeNotification
    form_class = forms.PCNCloseForm
    title_pattern = _("Close %(record)s")
    detail_url_name = "surveillance:pcn-detail"
    success_message = _("The PCN is closed.")

    def allowed(self, record: ProcessChangeNotification) -> bool:
        return _may_close_pcn(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        certificate = visible(Certificate, self.principal).filter(pk=self.record.certificate_id).first()
        return {**kwargs, "offer_reinstatement": _offers_reinstatement(self.record, certificate)}

    def call_service(self, data: dict[str, Any]) -> ProcessChangeNotification:
        return services.pcn_close(
            actor=self.principal, pk=self.record.pk, reason=data["reason"], reinstate=data.get("reinstate", False)
        )


class PCNDocumentDownloadView(PrincipalMixin, LoginRequiredMixin, View):
    """The stored document, only as an attachment and only to those who see its PCN (404 otherwise)."""

    http_method_names = ["get"]
    model = PCNDocument

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        try:
            document = get_visible(PCNDocument, self.principal, pk)
        except NotFound:
            raise Http404 from None
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- frequency (SV-07) ------------------------------------------------------------------------------------------


class ManufacturerFrequencyView(PrincipalMixin, LoginRequiredMixin, View):
    """The manufacturer's surveillance frequency and why, per CB: loaded into the manufacturer page by htmx, or
    a page of its own without JavaScript."""

    http_method_names = ["get"]
    model = Manufacturer

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            manufacturer = get_visible(Manufacturer, self.principal, pk)
        except NotFound:
            raise Http404 from None
        context = {
            "manufacturer": manufacturer,
            "frequencies": frequencies_for(self.principal, manufacturer),
            "title": _("Surveillance frequency of %(manufacturer)s") % {"manufacturer": manufacturer},
            "links": _manufacturer_links(manufacturer),
        }
        template = "surveillance/_frequency.html" if request.htmx else "surveillance/frequency.html"
        response = render(request, template, context)
        patch_vary_headers(response, ("HX-Request",))
        return response


def _manufacturer_links(manufacturer: Manufacturer) -> list[tuple[str, str]]:
    query = f"?manufacturer={manufacturer.pk}"
    return [
        (_("Audits"), reverse("surveillance:audit-list") + query),
        (_("Nonconformities"), reverse("surveillance:nonconformity-list") + query),
        (_("Process change notifications"), reverse("surveillance:pcn-list") + query),
    ]
