"""Portal pages of the certification app: applications through the qualification stages with their team, evidence
and decisions (MF-01 … MF-04), and certificates with their revisions, scope changes, transfer and PDF (CE-01 …
CE-03). Views stay thin: reads go through the visibility rule, writes through the services, and a form or a link
is offered only to those the service would let act."""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View

from iecq.errors import NotFound
from iecq.models import TransitionLog
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
from iecq.transitions import blocked_transitions
from manufacturers.models import Site

from . import forms, services
from .choices import OPEN_APPLICATION_STATES
from .choices import ApplicationState as A
from .choices import CertificateState as C
from .models import (
    MF_APPLICANTS,
    Application,
    Certificate,
    CertificateRevision,
    EvaluationAuditor,
    Evidence,
    cb_decider,
)
from .pdf import certificate_pdf
from .selectors import certificate_for_document

# The qualification path in order (MF-01); "QMS not accepted" takes the place of "QMS accepted" when it applies.
STAGE_PATH = [
    A.INQUIRY,
    A.SUBMITTED,
    A.UNDER_REVIEW,
    A.QMS_ASSESSMENT,
    A.QMS_ACCEPTED,
    A.TECHNOLOGY_QUALIFICATION,
    A.PRODUCT_CERTIFICATION,
    A.CERTIFIED,
]
_STAGE_POSITION = {**{s: i for i, s in enumerate(STAGE_PATH)}, A.QMS_NOT_ACCEPTED: STAGE_PATH.index(A.QMS_ACCEPTED)}


# --- who may act: the services' own rules, asked before a form or a link is shown --------------------------


def _is_applicant(p: Principal, app: Application) -> bool:
    return p.is_manufacturer and p.manufacturer_id == app.manufacturer_id and p.has_role(*MF_APPLICANTS)


def _may_edit_application(p: Principal, app: Application) -> bool:
    return _is_applicant(p, app) and app.state == A.INQUIRY


def _may_add_evidence(p: Principal, app: Application) -> bool:
    """The applicant and the CB's staff, while the application is open (services.evidence_upload)."""
    applicant = p.is_manufacturer and p.manufacturer_id == app.manufacturer_id
    cb_staff = p.is_cb and p.certification_body_id == app.certification_body_id
    return (applicant or cb_staff) and app.state in OPEN_APPLICATION_STATES


def _may_assign_team(p: Principal, app: Application) -> bool:
    """The CB's certification manager, while the application is open and submitted (evaluation_auditor_assign)."""
    return cb_decider(app, p) and app.state in OPEN_APPLICATION_STATES and app.state != A.INQUIRY


def _may_change_scope(p: Principal, cert: Certificate) -> bool:
    return cb_decider(cert, p) and cert.state == C.VALID


def _may_transfer(p: Principal, cert: Certificate) -> bool:
    return p.is_operator and cert.state == C.VALID


# --- applications ----------------------------------------------------------------------------------------


class ApplicationListView(LoginRequiredMixin, ScopedListView):
    """Applications the principal sees: its own company's, its CB's, or its country's."""

    template_name = "certification/application_list.html"
    model = Application
    title = _("Applications")
    select_related = ("manufacturer", "certification_body", "scheme")
    columns = [
        ("reference", _("Reference")),
        ("manufacturer.name", _("Manufacturer")),
        ("certification_body.name", _("Certification body")),
        ("scheme.name", _("Scheme")),
        ("state", _("Stage")),
        ("submitted", _("Submitted on")),
    ]
    sortable = ("reference", "state", "submitted")
    detail_url_name = "certification:application-detail"
    create_url_name = "certification:application-create"
    portal_filter: ClassVar[type] = forms.ApplicationPortalFilter
    tab = "all"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        # The filter's choices are what this user sees, so it needs the request.
        self.filterset_class = partial(self.portal_filter, request=request)

    def get_queryset(self) -> QuerySet:
        # The list shows "—" for an inquiry not yet submitted rather than "None"; ISO text sorts as the date does.
        return (
            super()
            .get_queryset()
            .annotate(submitted=Coalesce(Cast("submitted_on", output_field=CharField()), Value("—")))
        )

    def can_create(self) -> bool:
        return self.principal.is_manufacturer and self.principal.has_role(*MF_APPLICANTS)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(tab=self.tab, **kwargs)


class RefusedApplicationListView(ApplicationListView):
    """The register of refused and withdrawn applications, with the decision's date, author and reason."""

    title = _("Refused and withdrawn applications")
    portal_filter = forms.RefusedApplicationPortalFilter
    columns = [
        ("reference", _("Reference")),
        ("manufacturer.name", _("Manufacturer")),
        ("certification_body.name", _("Certification body")),
        ("state", _("Outcome")),
        ("decided_on", _("Decided on")),
        ("decided_by", _("By")),
        ("decision_reason", _("Reason")),
    ]
    sortable = ("reference", "state", "decided_on")
    tab = "refused"

    def get_queryset(self) -> QuerySet:
        last_decision = (
            TransitionLog.objects.visible_to(self.principal)
            .filter(
                content_type=ContentType.objects.get_for_model(Application),
                object_id=OuterRef("pk"),
                target=OuterRef("state"),
            )
            .order_by("-at", "-id")
        )
        return (
            super()
            .get_queryset()
            .filter(state__in=forms.REFUSED_STATES)
            .annotate(
                decision_reason=Coalesce(
                    Subquery(last_decision.values("reason")[:1]), Value("—"), output_field=TextField()
                ),
                decided_by=Coalesce(Subquery(last_decision.values("actor_label")[:1]), Value("—")),
            )
            .order_by("-decided_on", "-pk")
        )


def stage_progress(app: Application, history: list[TransitionLog]) -> list[dict[str, Any]]:
    """Every stage of the path, each done, current, stopped (rejected or withdrawn there) or still to come, with
    when and by whom it was entered (MF-01, MF-02)."""
    entered = {row.target: row for row in history}
    reached = app.state
    stopped = app.state in (A.REJECTED, A.WITHDRAWN)
    if stopped:
        final = next((row for row in reversed(history) if row.target == app.state), None)
        reached = final.source if final is not None and final.source in _STAGE_POSITION else A.INQUIRY
    position = _STAGE_POSITION[reached]
    steps = []
    for index, stage in enumerate(STAGE_PATH):
        shown = A.QMS_NOT_ACCEPTED if index == position and reached == A.QMS_NOT_ACCEPTED else stage
        if index < position:
            status = "done"
        elif index == position:
            status = "stopped" if stopped else "current"
        else:
            status = "todo"
        row = entered.get(shown)
        steps.append(
            {
                "label": A(shown).label,
                "status": status,
                "at": row.at if row is not None else (app.created_at if shown == A.INQUIRY else None),
                "by": row.actor_label if row is not None else (app.created_by_label if shown == A.INQUIRY else ""),
            }
        )
    return steps


class ApplicationDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "certification/application_detail.html"
    model = Application
    fields = [
        ("manufacturer", _("Manufacturer")),
        ("certification_body", _("Certification body")),
        ("scheme", _("Scheme")),
        ("route", _("Qualification route")),
        ("component_types", _("Component types")),
        ("specifications", _("Specifications")),
        ("created_by_label", _("Opened by")),
        ("created_at", _("Opened at")),
        ("submitted_on", _("Submitted on")),
        ("decided_on", _("Decided on")),
        ("state", _("Stage")),
    ]
    transition_url_name = "certification:application-transition"
    edit_url_name = "certification:application-edit"

    def can_edit(self, obj: Application) -> bool:
        return _may_edit_application(self.principal, obj)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        app: Application = ctx["object"]
        p = self.principal
        history = list(ctx["history"])
        team = list(visible(EvaluationAuditor, p).filter(application=app).select_related("auditor"))
        evidence = list(visible(Evidence, p).filter(application=app).order_by("uploaded_at", "pk"))
        ctx.update(
            history=history,
            stages=stage_progress(app, history),
            outcome=next((row for row in reversed(history) if row.target in (A.REJECTED, A.WITHDRAWN)), None),
            technologies=app.technologies.all(),
            sites=visible(Site, p).filter(applications=app),
            team=team,
            evidence_by_stage=[
                (label, [e for e in evidence if e.stage == stage])
                for stage, label in A.choices
                if any(e.stage == stage for e in evidence)
            ],
            blocked=blocked_transitions(app, p),
            certificates=visible(Certificate, p).filter(application=app),
            # MF-03: said before the button is pressed, and refused by the service if it is.
            audited_by_me=p.user_id is not None and any(member.auditor.user_id == p.user_id for member in team),
        )
        if _may_add_evidence(p, app):
            ctx["evidence_form"] = forms.EvidenceForm()
            ctx["evidence_url"] = reverse("certification:evidence-upload", args=[app.pk])
        if _may_assign_team(p, app):
            ctx["assign_form"] = forms.AuditorAssignForm(principal=p, application=app)
            ctx["assign_url"] = reverse("certification:evaluation-auditor-assign", args=[app.pk])
        return ctx


class ApplicationTransitionView(TransitionView):
    model = Application
    services = services.APPLICATION_TRANSITION_SERVICES
    detail_url_name = "certification:application-detail"


class ApplicationCreateView(FieldValidationMixin, ServiceFormView):
    """The application form; saving records an inquiry, the application's draft, which stays editable until the
    manufacturer submits it (PL-06)."""

    form_class = forms.ApplicationForm
    title = _("Apply for certification")
    intro = _(
        "Saving records your application as an inquiry: a draft you and your colleagues can change and complete "
        "with evidence. The certification body starts its review only when you press “Submit application”."
    )
    success_message = _("Your inquiry is recorded. Add evidence, then submit it to the certification body.")

    def get_form_kwargs(self) -> dict[str, Any]:
        if not (self.principal.is_manufacturer and self.principal.has_role(*MF_APPLICANTS)):
            raise PermissionDenied
        return {
            **super().get_form_kwargs(),
            "principal": self.principal,
            "manufacturer_id": self.principal.manufacturer_id,
        }

    def call_service(self, data: dict[str, Any]) -> Application:
        return services.application_create(actor=self.principal, **data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(intro=self.intro, **kwargs)

    def get_success_url(self) -> str:
        return reverse("certification:application-detail", args=[self.object.pk])


class ApplicationEditView(FieldValidationMixin, RecordFormView):
    model = Application
    form_class = forms.ApplicationForm
    title_pattern = _("Change application %(record)s")
    detail_url_name = "certification:application-detail"
    success_message = _("Saved.")

    def allowed(self, record: Application) -> bool:
        return _may_edit_application(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        return {**kwargs, "principal": self.principal, "manufacturer_id": self.record.manufacturer_id, "editing": True}

    def get_initial(self) -> dict[str, Any]:
        app = self.record
        return {
            "scheme": app.scheme_id,
            "route": app.route,
            "technologies": list(app.technologies.all()),
            "component_types": app.component_types,
            "specifications": app.specifications,
            "sites": list(visible(Site, self.principal).filter(applications=app)),
        }

    def call_service(self, data: dict[str, Any]) -> Application:
        return services.application_update(actor=self.principal, pk=self.record.pk, **data)


class EvaluationAuditorAssignView(RecordFormView):
    """Put an auditor on the team; a refusal lists every reason the assignment check found (CB-03, CB-04)."""

    model = Application
    form_class = forms.AuditorAssignForm
    title_pattern = _("Assign an auditor to %(record)s")
    detail_url_name = "certification:application-detail"
    success_message = _("The auditor is on the team.")

    def allowed(self, record: Application) -> bool:
        return _may_assign_team(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "application": self.record}

    def call_service(self, data: dict[str, Any]) -> EvaluationAuditor:
        return services.evaluation_auditor_assign(
            actor=self.principal, application=self.record.pk, auditor=data["auditor"], role=data["role"]
        )


class EvidenceUploadView(FieldValidationMixin, RecordFormView):
    model = Application
    form_class = forms.EvidenceForm
    title_pattern = _("Add evidence to %(record)s")
    detail_url_name = "certification:application-detail"
    success_message = _("The document is stored with the current stage.")

    def allowed(self, record: Application) -> bool:
        return _may_add_evidence(self.principal, record)

    def call_service(self, data: dict[str, Any]) -> Evidence:
        return services.evidence_upload(actor=self.principal, application=self.record.pk, **data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(multipart=True, **kwargs)


class EvidenceDownloadView(PrincipalMixin, LoginRequiredMixin, View):
    """The stored document, only as an attachment and only to those who see it (404 otherwise)."""

    http_method_names = ["get"]
    model = Evidence

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        try:
            evidence = get_visible(Evidence, self.principal, pk)
        except NotFound:
            raise Http404 from None
        response = FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- certificates ----------------------------------------------------------------------------------------


class CertificateListView(LoginRequiredMixin, ScopedListView):
    """Certificates the principal sees: its CB's, its company's, or its country's."""

    model = Certificate
    title = _("Certificates")
    select_related = ("manufacturer", "certification_body", "scheme")
    columns = [
        ("number", _("Number")),
        ("manufacturer.name", _("Manufacturer")),
        ("certification_body.name", _("Certification body")),
        ("scheme.name", _("Scheme")),
        ("state", _("Status")),
        ("expires_on", _("Expires on")),
    ]
    sortable = ("number", "state", "expires_on")
    detail_url_name = "certification:certificate-detail"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.filterset_class = partial(forms.CertificatePortalFilter, request=request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        if self.principal.is_cb:  # a zip of the ticked certificates' PDFs, or of all matching the filter (CE-03)
            query = self.request.GET.copy()
            query.pop("page", None)
            ctx["selection"] = {
                "url": reverse("certification:pdf-batch-create") + (f"?{query.urlencode()}" if query else ""),
                "selected_label": _("PDFs of the ticked certificates"),
                "all_label": _("PDFs of all matching certificates"),
            }
        return ctx


class CertificateDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "certification/certificate_detail.html"
    model = Certificate
    fields = [
        ("manufacturer", _("Holder")),
        ("certification_body", _("Certification body")),
        ("scheme", _("Scheme")),
        ("issued_on", _("First issued on")),
        ("period_start", _("Current period from")),
        ("expires_on", _("Expires on")),
        ("revision", _("Revision")),
        ("state", _("Status")),
    ]
    transition_url_name = "certification:certificate-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        cert: Certificate = ctx["object"]
        p = self.principal
        ctx.update(
            # Transfer has its own form (the target CB); expiry is the sweep's.
            transitions=[t for t in ctx["transitions"] if t.name in services.CERTIFICATE_TRANSITION_SERVICES],
            technologies=cert.technologies.all(),
            sites=visible(Site, p).filter(certificates=cert),
            revisions=visible(CertificateRevision, p).filter(certificate=cert).order_by("-number"),
            application=visible(Application, p).filter(pk=cert.application_id).first(),
            pdf_url=reverse("certification:certificate-pdf", args=[cert.pk]),
            verify_url=reverse("register:verify", args=[cert.number]),
            scope_url=reverse("certification:certificate-scope", args=[cert.pk])
            if _may_change_scope(p, cert)
            else None,
            transfer_url=(
                reverse("certification:certificate-transfer", args=[cert.pk]) if _may_transfer(p, cert) else None
            ),
        )
        return ctx


class CertificateTransitionView(TransitionView):
    model = Certificate
    services = services.CERTIFICATE_TRANSITION_SERVICES
    detail_url_name = "certification:certificate-detail"


class CertificateScopeView(RecordFormView):
    model = Certificate
    form_class = forms.CertificateScopeForm
    title_pattern = _("Change the scope of %(record)s")
    detail_url_name = "certification:certificate-detail"
    success_message = _("The scope is changed; the certificate has a new revision.")

    def allowed(self, record: Certificate) -> bool:
        return _may_change_scope(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "certificate": self.record}

    def get_initial(self) -> dict[str, Any]:
        cert = self.record
        return {
            "technologies": list(cert.technologies.all()),
            "component_types": cert.component_types,
            "specifications": cert.specifications,
            "sites": list(visible(Site, self.principal).filter(certificates=cert)),
        }

    def call_service(self, data: dict[str, Any]) -> Certificate:
        return services.certificate_update_scope(actor=self.principal, pk=self.record.pk, **data)


class CertificateTransferView(RecordFormView):
    model = Certificate
    form_class = forms.CertificateTransferForm
    title_pattern = _("Transfer %(record)s to another certification body")
    detail_url_name = "certification:certificate-detail"
    success_message = _("The certificate is transferred.")

    def allowed(self, record: Certificate) -> bool:
        return _may_transfer(self.principal, record)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "certificate": self.record}

    def call_service(self, data: dict[str, Any]) -> Certificate:
        return services.certificate_transfer(actor=self.principal, pk=self.record.pk, **data)


class CertificatePdfView(PrincipalMixin, LoginRequiredMixin, View):
    """The certificate as a PDF with the QR code to its public verification page (CE-03), as an attachment."""

    http_method_names = ["get"]
    model = Certificate

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            cert = certificate_for_document(self.principal, pk)
        except NotFound:
            raise Http404 from None
        response = HttpResponse(certificate_pdf(cert, language=get_language()), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, f"{cert.number}.pdf")
        response["X-Content-Type-Options"] = "nosniff"
        return response
