"""Portal pages of sanctions: corrective action requests (SA-01, SA-06), supervisory requests to suspend a
certificate (SA-02), appeals (SA-04) and defect reports (SA-05). The public bulletin and defect form are in
`public_views`. Views stay thin: reads go through the visibility rule, writes through the services, and a form
or a link is offered only to those the service would let act."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from certification.models import CB_DECIDERS, CB_STAFF, MF_APPLICANTS, Application, Certificate
from iecq.models import TransitionLog
from iecq.portal.views import (
    PrincipalMixin,
    RecordFormView,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
    TransitionView,
)
from iecq.principals import Principal
from iecq.selectors import visible
from surveillance.models import Nonconformity, ProcessChangeNotification, SurveillanceAudit

from . import forms, services
from .choices import AppealState, DefectOutcome, DefectState, RequestState
from .models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport

# --- who may act: the services' own rules, asked before a form or a link is shown --------------------------


def _decider_of(p: Principal, certification_body_id: int | None) -> bool:
    return p.is_cb and p.certification_body_id == certification_body_id and p.has_role(*CB_DECIDERS)


def _may_issue_car(p: Principal) -> bool:
    return p.is_cb and p.has_role(*CB_DECIDERS)


def _may_respond(p: Principal, car: CorrectiveActionRequest) -> bool:
    mine = p.is_manufacturer and p.manufacturer_id == car.manufacturer_id and p.has_role(*MF_APPLICANTS)
    return mine and car.state in forms.UNANSWERED


def _may_request_suspension(p: Principal) -> bool:
    return p.is_supervisor and p.country is not None


def _may_lodge_appeal(p: Principal) -> bool:
    """A manufacturer appeals decisions about its records; a CB's administrator, decisions about the CB."""
    return (p.is_manufacturer and p.has_role(*MF_APPLICANTS)) or (p.is_cb and p.has_role("cb_admin"))


def _sees_defect_reports(p: Principal) -> bool:
    """Defect reports name their reporters: the CB that investigates them and the operator read them."""
    return p.is_cb or p.is_operator


def _may_close_defect(p: Principal, report: DefectReport) -> bool:
    """The CB concerned, or the operator (who alone handles reports that named no known certificate)."""
    return (p.is_operator or _decider_of(p, report.certification_body_id)) and report.state != DefectState.CLOSED


def _may_record_unnotified_change(p: Principal, audit: SurveillanceAudit) -> bool:
    staff = p.is_cb and p.certification_body_id == audit.certification_body_id and p.has_role(*CB_STAFF)
    return staff and audit.certificate_id is not None


def _overdue(car: CorrectiveActionRequest) -> bool:
    return car.state in forms.UNANSWERED and car.due_on < timezone.now().date()


# --- shared pieces --------------------------------------------------------------------------------------------


class SanctionsListView(LoginRequiredMixin, ScopedListView):
    """The sanctions lists share their tabs; their filters' choices are what the user sees."""

    template_name = "sanctions/list.html"
    portal_filter: ClassVar[type]
    tab: ClassVar[str]
    intro: ClassVar[str] = ""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.filterset_class = partial(self.portal_filter, request=request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(tab=self.tab, intro=self.intro, tabs=sanction_tabs(self.principal), **kwargs)


class SanctionsCreateView(ServiceFormView):
    """A record created from the sanctions pages; `?certificate=` or `?decision=` preselects."""

    template_name = "sanctions/record_form.html"
    preselect: ClassVar[tuple[str, ...]] = ("certificate",)
    intro: ClassVar[str] = ""
    submit_label: ClassVar[str] = ""

    def allowed(self) -> bool:
        return False

    def get_form_kwargs(self) -> dict[str, Any]:
        if not self.allowed():
            raise PermissionDenied
        return {**super().get_form_kwargs(), "principal": self.principal}

    def get_initial(self) -> dict[str, Any]:
        return {name: self.request.GET[name] for name in self.preselect if self.request.GET.get(name, "").isdigit()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(intro=self.intro, submit_label=self.submit_label, **kwargs)


class SanctionsRecordFormView(RecordFormView):
    template_name = "sanctions/record_form.html"
    intro: ClassVar[str] = ""
    submit_label: ClassVar[str] = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(intro=self.intro, submit_label=self.submit_label, **kwargs)


def sanction_tabs(p: Principal) -> list[tuple[str, str, str]]:
    """(key, label, url) of the sanctions lists this principal works with."""
    tabs = [("cars", _("Corrective action requests"), reverse("sanctions:car-list"))]
    if p.is_cb or p.is_supervisor or p.is_operator:
        tabs.append(("requests", _("Suspension requests"), reverse("sanctions:suspension-request-list")))
    tabs.append(("appeals", _("Appeals"), reverse("sanctions:appeal-list")))
    if _sees_defect_reports(p):
        tabs.append(("defects", _("Defect reports"), reverse("sanctions:defect-list")))
    return tabs


class SanctionsIndexView(PrincipalMixin, LoginRequiredMixin, TemplateView):
    """One page linking the sanctions lists, with what is open in each."""

    template_name = "sanctions/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        p = self.principal
        today = timezone.now().date()
        open_counts = {
            "cars": visible(CorrectiveActionRequest, p).filter(state__in=forms.UNANSWERED).count(),
            "overdue": visible(CorrectiveActionRequest, p).filter(state__in=forms.UNANSWERED, due_on__lt=today).count(),
            "requests": visible(CertificateSuspensionRequest, p).filter(state=RequestState.OPEN).count(),
            "appeals": visible(Appeal, p).filter(state__in=(AppealState.LODGED, AppealState.ACKNOWLEDGED)).count(),
            "defects": (
                visible(DefectReport, p).exclude(state=DefectState.CLOSED).count() if _sees_defect_reports(p) else 0
            ),
        }
        return super().get_context_data(
            title=_("Sanctions"),
            tabs=sanction_tabs(p),
            counts=open_counts,
            lodge_url=reverse("sanctions:appeal-lodge") if _may_lodge_appeal(p) else None,
            **kwargs,
        )


# --- corrective action requests (SA-01, SA-06) -------------------------------------------------------------


class CARListView(SanctionsListView):
    model = CorrectiveActionRequest
    title = _("Corrective action requests")
    portal_filter = forms.CARPortalFilter
    tab = "cars"
    intro = _(
        "The manufacturer answers each request online by its due date; the certification body accepts the answer "
        "or sends it back. “Overdue”: not answered and past its due date; the request then proposes a suspension."
    )
    select_related = ("manufacturer", "certificate")
    columns = [
        ("number", _("Number")),
        ("manufacturer.name", _("Manufacturer")),
        ("certificate.number", _("Certificate")),
        ("due_on", _("Response due")),
        ("issued_by_label", _("Issued by")),
        ("state", _("State")),
    ]
    sortable = ("number", "due_on", "state")
    detail_url_name = "sanctions:car-detail"
    create_url_name = "sanctions:car-issue"

    def can_create(self) -> bool:
        return _may_issue_car(self.principal)


class CARDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "sanctions/car_detail.html"
    model = CorrectiveActionRequest
    fields = [
        ("manufacturer", _("Manufacturer")),
        ("certificate", _("Certificate")),
        ("issued_by_label", _("Issued by")),
        ("created_at", _("Issued at")),
        ("due_on", _("Response due")),
        ("state", _("State")),
    ]
    transition_url_name = "sanctions:car-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        car: CorrectiveActionRequest = ctx["object"]
        p = self.principal
        ctx.update(
            # The response goes through its own form, which carries the text.
            transitions=[t for t in ctx["transitions"] if t.name in services.CAR_TRANSITION_SERVICES],
            overdue=_overdue(car),
            certificate=visible(Certificate, p).filter(pk=car.certificate_id).first(),
            nonconformity=visible(Nonconformity, p).filter(pk=car.nonconformity_id).first(),
            pcn=visible(ProcessChangeNotification, p).filter(pk=car.pcn_id).first(),
        )
        if _may_respond(p, car):
            ctx["respond_form"] = forms.CARRespondForm(initial={"response": car.response})
            ctx["respond_url"] = reverse("sanctions:car-respond", args=[car.pk])
        return ctx


class CARTransitionView(TransitionView):
    model = CorrectiveActionRequest
    services = services.CAR_TRANSITION_SERVICES
    detail_url_name = "sanctions:car-detail"


class CARIssueView(SanctionsCreateView):
    form_class = forms.CARIssueForm
    submit_label = _("Issue the request")
    title = _("Issue a corrective action request")
    intro = _("The manufacturer is notified at once and answers online by the due date (SA-01).")
    success_message = _("The corrective action request is issued; the manufacturer is notified.")

    def allowed(self) -> bool:
        return _may_issue_car(self.principal)

    def call_service(self, data: dict[str, Any]) -> CorrectiveActionRequest:
        return services.car_issue(
            actor=self.principal, certificate=data["certificate"], request=data["request"], due_on=data["due_on"]
        )

    def get_success_url(self) -> str:
        return reverse("sanctions:car-detail", args=[self.object.pk])


class CARRespondView(SanctionsRecordFormView):
    model = CorrectiveActionRequest
    form_class = forms.CARRespondForm
    submit_label = _("Submit the response")
    title_pattern = _("Answer %(record)s")
    detail_url_name = "sanctions:car-detail"
    success_message = _("Your response is submitted; the certification body examines it.")

    def allowed(self, record: CorrectiveActionRequest) -> bool:
        return _may_respond(self.principal, record)

    def get_initial(self) -> dict[str, Any]:
        return {"response": self.record.response}

    def call_service(self, data: dict[str, Any]) -> CorrectiveActionRequest:
        return services.car_respond(actor=self.principal, pk=self.record.pk, response=data["response"])


class UnnotifiedChangeView(SanctionsRecordFormView):
    """SA-06: the audit team records a change it found that was never notified; a CAR follows."""

    model = SurveillanceAudit
    form_class = forms.UnnotifiedChangeForm
    submit_label = _("Record the change and issue a CAR")
    title_pattern = _("Change found at %(record)s, never notified")
    detail_url_name = "surveillance:audit-detail"
    intro = _(
        "The change is recorded as a process change notification found at the audit, and a corrective action "
        "request is issued to the manufacturer in the certification body's name (SA-06)."
    )
    success_message = _("The change is recorded and a corrective action request is issued to the manufacturer.")

    def allowed(self, record: SurveillanceAudit) -> bool:
        return _may_record_unnotified_change(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> CorrectiveActionRequest:
        return services.pcn_found_at_audit(actor=self.principal, audit=self.record.pk, **data)

    def get_success_url(self) -> str:
        """To the CAR once issued; until then "back" leads to the audit."""
        car = getattr(self, "object", None)
        return reverse("sanctions:car-detail", args=[car.pk]) if car is not None else super().get_success_url()


# --- supervisory requests to suspend a certificate (SA-02) --------------------------------------------------


class SuspensionRequestListView(SanctionsListView):
    model = CertificateSuspensionRequest
    title = _("Requests to suspend a certificate")
    portal_filter = forms.SuspensionRequestPortalFilter
    tab = "requests"
    intro = _(
        "A supervisory body asks the certification body to suspend a certificate of its country; the certification "
        "body accepts (the certificate is suspended and the suspension published) or declines, with its reason."
    )
    select_related = ("certificate", "supervisory_body")
    columns = [
        ("certificate.number", _("Certificate")),
        ("supervisory_body.name", _("Requested by")),
        ("created_at", _("Requested at")),
        ("state", _("State")),
    ]
    sortable = ("created_at", "state")
    detail_url_name = "sanctions:suspension-request-detail"
    create_url_name = "sanctions:suspension-request-create"

    def can_create(self) -> bool:
        return _may_request_suspension(self.principal)


class SuspensionRequestDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "sanctions/suspension_request_detail.html"
    model = CertificateSuspensionRequest
    fields = [
        ("certificate", _("Certificate")),
        ("manufacturer", _("Holder")),
        ("certification_body", _("Certification body")),
        ("supervisory_body", _("Requested by")),
        ("requested_by_label", _("Requested by (person)")),
        ("created_at", _("Requested at")),
        ("state", _("State")),
    ]
    transition_url_name = "sanctions:suspension-request-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        request: CertificateSuspensionRequest = ctx["object"]
        certificate = visible(Certificate, self.principal).filter(pk=request.certificate_id).first()
        ctx["certificate"] = certificate
        ctx["title"] = _("Request to suspend %(certificate)s") % {"certificate": request.certificate}
        return ctx


class SuspensionRequestTransitionView(TransitionView):
    model = CertificateSuspensionRequest
    services = services.SUSPENSION_REQUEST_TRANSITION_SERVICES
    detail_url_name = "sanctions:suspension-request-detail"


class SuspensionRequestCreateView(SanctionsCreateView):
    form_class = forms.SuspensionRequestForm
    submit_label = _("Send the request")
    title = _("Request the suspension of a certificate")
    intro = _(
        "The certification body that issued the certificate is notified and must decide: it suspends the "
        "certificate or declines, and says why (SA-02)."
    )
    success_message = _("Your request is sent to the certification body, which must decide on it.")

    def allowed(self) -> bool:
        return _may_request_suspension(self.principal)

    def call_service(self, data: dict[str, Any]) -> CertificateSuspensionRequest:
        return services.certificate_suspension_request_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("sanctions:suspension-request-detail", args=[self.object.pk])


# --- appeals (SA-04) ------------------------------------------------------------------------------------------


class AppealListView(SanctionsListView):
    model = Appeal
    title = _("Appeals")
    portal_filter = forms.AppealPortalFilter
    tab = "appeals"
    intro = _(
        "A manufacturer appeals a decision about it within %(days)s days; people not involved in the decision "
        "decide the appeal, and an upheld appeal reverses the decision and is published."
    )
    select_related = ("manufacturer", "decision")
    columns = [
        ("decision.object_repr", _("Decision about")),
        ("manufacturer.name", _("Appellant")),
        ("created_at", _("Lodged at")),
        ("response_due_on", _("Answer due")),
        ("state", _("State")),
    ]
    sortable = ("created_at", "response_due_on", "state")
    detail_url_name = "sanctions:appeal-detail"
    create_url_name = "sanctions:appeal-lodge"

    def can_create(self) -> bool:
        return _may_lodge_appeal(self.principal)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["intro"] = self.intro % {"days": settings.IECQ_APPEAL_DAYS}
        return ctx


def decided_record_url(decision: TransitionLog, p: Principal) -> str | None:
    """The page of the record a decision was about, if the principal sees it."""
    model = decision.content_type.model_class()
    pages = {Certificate: "certification:certificate-detail", Application: "certification:application-detail"}
    if model not in pages or not visible(model, p).filter(pk=decision.object_id).exists():
        return None
    return reverse(pages[model], args=[decision.object_id])


class AppealDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "sanctions/appeal_detail.html"
    model = Appeal
    fields = [
        ("manufacturer", _("Appellant")),
        ("certification_body", _("Certification body")),
        ("lodged_by_label", _("Lodged by")),
        ("created_at", _("Lodged at")),
        ("response_due_on", _("Answer due")),
        ("state", _("State")),
    ]
    transition_url_name = "sanctions:appeal-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        appeal: Appeal = ctx["object"]
        p = self.principal
        decision = visible(TransitionLog, p).select_related("content_type").filter(pk=appeal.decision_id).first()
        open_ = appeal.state in (AppealState.LODGED, AppealState.ACKNOWLEDGED)
        what = forms.decision_what(decision) if decision else ""
        ctx.update(
            title=_("Appeal against “%(what)s” — %(record)s")
            % {"what": what or appeal.decision.transition, "record": appeal.decision.object_repr},
            decision=decision,
            decision_what=what,
            decision_url=decided_record_url(decision, p) if decision else None,
            # SA-04: the service refuses such a person; say so before they try.
            involved=bool(
                open_ and decision and p.user_id is not None and decision.actor_user_id == p.user_id and p.is_cb
            ),
            overdue=open_ and appeal.response_due_on < timezone.now().date(),
        )
        return ctx


class AppealTransitionView(TransitionView):
    model = Appeal
    services = services.APPEAL_TRANSITION_SERVICES
    detail_url_name = "sanctions:appeal-detail"


class AppealLodgeView(SanctionsCreateView):
    form_class = forms.AppealLodgeForm
    submit_label = _("Lodge the appeal")
    template_name = "sanctions/appeal_form.html"
    title = _("Appeal a decision")
    preselect = ("decision",)
    intro = _(
        "Choose the decision and say why it is wrong. The certification body acknowledges the appeal and answers "
        "it by a set date; people not involved in the decision decide it (SA-04)."
    )
    success_message = _("Your appeal is lodged; the certification body must answer it by the date shown.")

    def allowed(self) -> bool:
        return _may_lodge_appeal(self.principal)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["no_decisions"] = not ctx["form"].fields["decision"].queryset.exists()
        ctx["appeal_days"] = settings.IECQ_APPEAL_DAYS
        return ctx

    def call_service(self, data: dict[str, Any]) -> Appeal:
        return services.appeal_lodge(actor=self.principal, decision=data["decision"], grounds=data["grounds"])

    def get_success_url(self) -> str:
        return reverse("sanctions:appeal-detail", args=[self.object.pk])


# --- defect reports (SA-05) ---------------------------------------------------------------------------------


class DefectReportsOnly:
    """Pages of defect reports: the CB and the operator; to anybody else they do not exist."""

    principal: Principal

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any):
        if request.user.is_authenticated and not _sees_defect_reports(self.principal):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class DefectReportListView(DefectReportsOnly, SanctionsListView):
    model = DefectReport
    title = _("Defect reports")
    portal_filter = forms.DefectReportPortalFilter
    tab = "defects"
    intro = _(
        "Defects in certified components reported by manufacturers, customers and the public through the public "
        "form. The certification body investigates each and closes it with an outcome: no action, a special "
        "audit, a corrective action request or a sanction."
    )
    select_related = ("certificate",)
    columns = [
        ("component", _("Component")),
        ("certificate_number", _("Certificate number given")),
        ("reporter_kind", _("Reported by")),
        ("created_at", _("Received at")),
        ("state", _("State")),
        ("outcome", _("Outcome")),
    ]
    sortable = ("created_at", "state")
    detail_url_name = "sanctions:defect-detail"


class DefectReportDetailView(DefectReportsOnly, LoginRequiredMixin, ScopedDetailView):
    template_name = "sanctions/defect_detail.html"
    model = DefectReport
    fields = [
        ("reporter_kind", _("Reported by")),
        ("reporter_name", _("Name")),
        ("reporter_email", _("Email")),
        ("created_at", _("Received at")),
        ("certificate_number", _("Certificate number given")),
        ("certificate", _("Certificate")),
        ("manufacturer", _("Manufacturer")),
        ("certification_body", _("Certification body")),
        ("state", _("State")),
        ("outcome", _("Outcome")),
    ]
    transition_url_name = "sanctions:defect-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        report: DefectReport = ctx["object"]
        p = self.principal
        ctx.update(
            title=_("Defect report: %(component)s") % {"component": report.component},
            # Closing has its own form: it carries the outcome.
            transitions=[t for t in ctx["transitions"] if t.name in services.DEFECT_TRANSITION_SERVICES],
            certificate=visible(Certificate, p).filter(pk=report.certificate_id).first(),
            **follow_up(report, p, ctx["history"]),
        )
        if _may_close_defect(p, report):
            ctx["close_form"] = forms.DefectCloseForm(auto_id="close_%s")
            ctx["close_url"] = reverse("sanctions:defect-close", args=[report.pk])
        return ctx


def follow_up(report: DefectReport, p: Principal, history) -> dict[str, Any]:
    """What closing the report set off: the special audit planned or the CAR issued in the same transaction."""
    closed = next((row for row in reversed(list(history)) if row.transition == "close"), None)
    if closed is None or report.certificate_id is None:
        return {"follow_up_car": None, "follow_up_audit": None}
    car = audit = None
    if report.outcome == DefectOutcome.CAR:
        car = visible(CorrectiveActionRequest, p).filter(defect_report=report).first()
    elif report.outcome == DefectOutcome.SPECIAL_AUDIT:
        audit = visible(SurveillanceAudit, p).filter(trigger="defect", trigger_reference=str(report)).first()
    return {"follow_up_car": car, "follow_up_audit": audit}


class DefectTransitionView(DefectReportsOnly, TransitionView):
    model = DefectReport
    services = services.DEFECT_TRANSITION_SERVICES
    detail_url_name = "sanctions:defect-detail"


class DefectCloseView(DefectReportsOnly, SanctionsRecordFormView):
    model = DefectReport
    form_class = forms.DefectCloseForm
    submit_label = _("Close the report")
    title_pattern = _("Close %(record)s with an outcome")
    detail_url_name = "sanctions:defect-detail"
    success_message = _("The defect report is closed; its outcome follows.")

    def allowed(self, record: DefectReport) -> bool:
        return _may_close_defect(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> DefectReport:
        return services.defect_transition(
            actor=self.principal, pk=self.record.pk, name="close", outcome=data["outcome"], reason=data["reason"]
        )
