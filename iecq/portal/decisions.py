"""Evidence of decisions: attach a document to a logged decision, download it (SA-02)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views import View

from .. import services
from ..errors import NotFound
from ..models import DecisionEvidence, TransitionLog
from ..selectors import get_visible
from .views import PrincipalMixin, RecordFormView


class DecisionEvidenceForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("What the document shows, for example 'Audit report, finding 3'.")
    )
    file = forms.FileField(label=_("Document"), help_text=_("PDF, PNG or JPEG; the type is checked from the content."))


class DecisionEvidenceAttachView(RecordFormView):
    """Attach a document to one decision of the record's history."""

    model = TransitionLog
    form_class = DecisionEvidenceForm
    title_pattern = _("Evidence for the decision “%(record)s”")
    success_message = _("The document is attached to the decision.")

    def get_success_url(self) -> str:
        """Back to the page the user came from, if it is one of ours."""
        from django.utils.http import url_has_allowed_host_and_scheme

        target = self.request.POST.get("next") or self.request.GET.get("next") or "/"
        return target if url_has_allowed_host_and_scheme(target, {self.request.get_host()}) else "/"

    def call_service(self, data: dict[str, Any]) -> DecisionEvidence:
        return services.decision_evidence_attach(actor=self.principal, decision=self.record.pk, **data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(multipart=True, **kwargs)


class DecisionEvidenceDownloadView(PrincipalMixin, View):
    """The document, as an attachment, to whoever sees the decision."""

    model = DecisionEvidence
    http_method_names = ["get"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            evidence = get_visible(DecisionEvidence, self.principal, pk)
        except NotFound:
            raise Http404 from None
        response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition_header(True, evidence.original_name)
        response["X-Content-Type-Options"] = "nosniff"
        return response
