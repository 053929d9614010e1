"""Portal pages of imports: upload (CB administrator and certification manager), the job with its htmx-polled
progress bar and the table of rejected rows, and the templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from iecq.errors import DomainError, NotFound
from iecq.log import history_of
from iecq.portal.views import PrincipalMixin, ScopedDetailView

from . import selectors, services
from .api.views import template_response
from .choices import ImportFormat, ImportKind, ImportState
from .columns import COLUMNS
from .forms import ImportUploadForm
from .models import ImportJob

REPORT_PAGE = 200


def _may_see_imports(principal) -> bool:
    return principal.is_cb or principal.is_operator


class ImportListView(PrincipalMixin, LoginRequiredMixin, View):
    """The CB's imports, newest first, and the upload form for those who may import."""

    model = ImportJob

    def get(self, request: HttpRequest, form: ImportUploadForm | None = None, status: int = 200) -> HttpResponse:
        if not _may_see_imports(self.principal):
            raise Http404
        may_import = services.may_import(self.principal)
        jobs = Paginator(selectors.import_job_list(principal=self.principal), 25).get_page(request.GET.get("page"))
        context: dict[str, Any] = {
            "title": _("Import"),
            "page": jobs,
            "form": (form or ImportUploadForm()) if may_import else None,
            "templates": [
                (kind.label, [(fmt.label, f"?kind={kind.value}&format={fmt.value}") for fmt in ImportFormat])
                for kind in ImportKind
            ],
            "columns": {ImportKind(kind).label: cols for kind, cols in COLUMNS.items()},
        }
        return render(request, "imports/job_list.html", context, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not _may_see_imports(self.principal):
            raise Http404
        if not services.may_import(self.principal):
            raise PermissionDenied
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        try:
            job = services.import_job_create(actor=self.principal, **form.cleaned_data)
        except DomainError as exc:
            if not exc.errors:
                form.add_error(None, exc.detail)
            for field, msgs in exc.errors.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
            return self.get(request, form=form, status=400)
        messages.success(request, _("The file is uploaded; it is checked row by row before anything is written."))
        return redirect("imports:job-detail", pk=job.pk)


def _report_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    errors = (job.report or {}).get("errors", [])
    return {
        "object": job,
        "progress": selectors.import_job_progress(job),
        "report": job.report or {},
        "errors": Paginator(errors, REPORT_PAGE).get_page(request.GET.get("page")),
    }


class ImportDetailView(LoginRequiredMixin, ScopedDetailView):
    """One import: state, progress bar (polled while it runs), rejected rows, and its logged states."""

    template_name = "imports/job_detail.html"
    model = ImportJob

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(_report_context(self.request, ctx["object"]))
        ctx["history"] = history_of(ctx["object"], self.principal)
        ctx["no_decision_evidence"] = True  # a job's steps are the task's, not decisions anyone documents
        ctx["state_labels"] = dict(ImportState.choices)
        ctx["title"] = _("Import %(n)d") % {"n": ctx["object"].pk}
        return ctx


class ImportProgressView(PrincipalMixin, LoginRequiredMixin, View):
    """The progress fragment htmx polls; once the job is final it carries the report and stops polling."""

    http_method_names = ["get"]
    model = ImportJob

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            job = selectors.import_job_get(principal=self.principal, pk=pk)
        except NotFound:
            raise Http404 from None
        return render(request, "imports/_progress.html", _report_context(request, job))


class ImportTemplateView(LoginRequiredMixin, View):
    """A template of the columns (?kind=manufacturers|certificates&format=csv|json)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return template_response(request.GET)
        except DomainError:
            raise Http404 from None
