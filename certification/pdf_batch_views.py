"""Portal pages of zips of certificate PDFs (CE-03): asked for from the certificate list (the ticked rows, or all
rows matching its filter), followed on a page whose progress bar htmx polls, downloaded when done, asked for again
once the daily clean-up deleted the zip (certification.pdf_cleanup)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from iecq.errors import DomainError, Gone, NotFound
from iecq.log import history_of
from iecq.portal.views import PrincipalMixin, ScopedDetailView
from iecq.selectors import get_visible

from . import services
from .choices import PDF_BATCH_MAX
from .choices import PdfBatchState as S
from .models import Certificate, CertificatePdfBatch
from .views import CertificateListView


class CertificatePdfBatchCreateView(PrincipalMixin, LoginRequiredMixin, View):
    """POST from the certificate list (its filter in the query string): queue a zip of the ticked certificates,
    or of every certificate matching the filter (`all`), read as the list reads them."""

    http_method_names = ["post"]
    model = Certificate

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.principal.is_cb:
            raise Http404
        if request.POST.get("all"):
            listing = CertificateListView()
            listing.setup(request)
            _filterset, qs, _sort = listing.filtered()
            ids = list(qs.values_list("pk", flat=True)[: PDF_BATCH_MAX + 1])
        else:
            ids = request.POST.getlist("selected")
        try:
            batch = services.certificate_pdf_batch_create(
                actor=self.principal, certificate_ids=ids, language=get_language()
            )
        except DomainError as exc:
            for msgs in exc.errors.values():
                for msg in msgs:
                    messages.error(request, msg)
            if not exc.errors:
                messages.error(request, exc.detail)
            query = request.GET.urlencode()
            return redirect(reverse("certification:certificate-list") + (f"?{query}" if query else ""))
        messages.success(request, _("The PDFs are being prepared; this page shows how far it got."))
        return redirect("certification:pdf-batch-detail", pk=batch.pk)


class CertificatePdfBatchDetailView(LoginRequiredMixin, ScopedDetailView):
    """One zip of PDFs: its progress bar (polled while it runs), the download link when done, its logged states."""

    template_name = "certification/pdf_batch_detail.html"
    model = CertificatePdfBatch

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["history"] = history_of(ctx["object"], self.principal)
        ctx["no_decision_evidence"] = True  # the steps are the task's, not decisions anyone documents
        ctx["state_labels"] = dict(S.choices)
        ctx["title"] = _("Certificate PDFs %(n)d") % {"n": ctx["object"].pk}
        ctx["failure_reason"] = failure_reason(ctx["object"], ctx["history"])
        return ctx


class CertificatePdfBatchProgressView(PrincipalMixin, LoginRequiredMixin, View):
    """The progress fragment htmx polls; once the job is final it carries the download link and stops polling."""

    http_method_names = ["get"]
    model = CertificatePdfBatch

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            batch = get_visible(CertificatePdfBatch, self.principal, pk)
        except NotFound:
            raise Http404 from None
        context = {"object": batch, "failure_reason": failure_reason(batch, history_of(batch, self.principal))}
        return render(request, "certification/_pdf_batch_progress.html", context)


class CertificatePdfBatchDownloadView(PrincipalMixin, LoginRequiredMixin, View):
    """The zip, only as an attachment, only to those who see the job (404 otherwise) and only once it is done;
    once the clean-up deleted it, a page (410) that says so and offers to ask for it again."""

    http_method_names = ["get"]
    model = CertificatePdfBatch

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            batch = get_visible(CertificatePdfBatch, self.principal, pk)
            return zip_response(batch)
        except NotFound:
            raise Http404 from None
        except Gone as exc:
            title = _("Certificate PDFs %(n)d") % {"n": batch.pk}
            context = {"object": batch, "detail": exc.detail, "title": title}
            return render(request, "certification/pdf_batch_expired.html", context, status=410)


class CertificatePdfBatchRepeatView(PrincipalMixin, LoginRequiredMixin, View):
    """POST: ask again for the PDFs of a zip that expired or failed: a new job of the same certificates (those the
    requester still sees) in the same language."""

    http_method_names = ["post"]
    model = CertificatePdfBatch

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            batch = get_visible(CertificatePdfBatch, self.principal, pk)
        except NotFound:
            raise Http404 from None
        try:
            again = services.certificate_pdf_batch_create(
                actor=self.principal, certificate_ids=batch.certificate_ids, language=batch.language
            )
        except DomainError as exc:
            for msg in [m for msgs in exc.errors.values() for m in msgs] or [exc.detail]:
                messages.error(request, msg)
            return redirect("certification:pdf-batch-detail", pk=batch.pk)
        messages.success(request, _("The PDFs are being prepared; this page shows how far it got."))
        return redirect("certification:pdf-batch-detail", pk=again.pk)


def failure_reason(batch: CertificatePdfBatch, history) -> str:
    """Why a failed job failed (its logged reason), shown above "ask again"; empty for any other job."""
    if batch.state != S.FAILED:
        return ""
    row = history.filter(target=S.FAILED).last()
    return row.reason if row else ""


def expired_detail() -> str:
    return _(
        "This zip has expired: zips of certificate PDFs are deleted %(days)d days after they are ready. "
        "Ask for the PDFs again to get a new zip."
    ) % {"days": settings.IECQ_PDF_BATCH_RETENTION_DAYS}


def zip_response(batch: CertificatePdfBatch) -> FileResponse:
    """The finished zip as an attachment (shared by the portal and the API): NotFound until the job is done, Gone
    once the clean-up deleted the zip, also when it did so after this request read the job."""
    if batch.state == S.EXPIRED:
        raise Gone(expired_detail(), code="pdf_batch_expired")
    if batch.state != S.DONE or not batch.file:
        raise NotFound()
    try:
        zip_file = batch.file.open("rb")
    except FileNotFoundError:
        raise Gone(expired_detail(), code="pdf_batch_expired") from None
    response = FileResponse(
        zip_file,
        as_attachment=True,
        filename=f"certificates-{batch.pk}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
