"""Forms that guide (PL-06): each field is checked as it is typed, by the form's own URL, without saving anything.

An htmx request POSTs the whole form to the page's own URL with `_validate=<field name>`; the view builds the same
form with the same permission checks (a user who may not use the form gets the same 403/404), runs its validation and
answers only that field's error list, which the page swaps into the field's live region. The service is never
called, so nothing is written; the full POST (without `_validate`) works exactly as before.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string

VALIDATE_PARAM = "_validate"


class FieldValidationMixin:
    """Mix into a FormView: `_validate=<field>` in an htmx POST answers that field's errors fragment."""

    request: HttpRequest

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = request.POST.get(VALIDATE_PARAM)
        if name is None or not request.headers.get("HX-Request"):
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        if name not in form.fields:
            return HttpResponseBadRequest()
        form.is_valid()  # field cleaning and the form's clean(); nothing reaches the service
        html = render_to_string("portal/_field_errors.html", {"field": form[name]}, request=request)
        return HttpResponse(html.strip())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The fields of this page's form validate against the page's own URL (portal/_field.html).
        return super().get_context_data(validate_url=self.request.path, **kwargs)
