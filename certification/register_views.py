"""Public pages: the certificate register, verification, the signed answer and the platform's public key."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from bodies.models import Technology
from iecq import signing

from . import register_cache
from .choices import CertificateState
from .register import RegisterQuery, register_entry, register_search
from .register_labels import page_context


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search the register by number, manufacturer, technology, CB, country and status (CE-04)."""
    # At most 200 characters a field, and no NUL (nothing stored holds one; PostgreSQL refuses it in a parameter).
    query = RegisterQuery(
        **{f: request.GET.get(f, "")[:200].replace("\x00", "") for f in RegisterQuery.__dataclass_fields__}
    )
    searched = any(vars(query).values())
    records, page = register_search(query, page=request.GET.get("page")) if searched else ([], None)
    return render(
        request,
        "register/search.html",
        {
            "query": query,
            "records": records,
            "page": page,
            "searched": searched,
            "technologies": Technology.objects.all(),
            "statuses": CertificateState.choices,
            "title": "Certificate register",
        },
    )


@require_GET
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """The truth about one certificate, suspended and withdrawn ones included (CE-04, CE-05).

    The anonymous page is stored in PostgreSQL until the certificate changes, and read with its entry in one
    statement (see `register_cache` why it cannot be stale); everybody else is answered from the entry."""
    number = number.strip()
    # Anonymous (no session), no query string, and no message waiting in a cookie (it would be printed); a number
    # that could be one (no certificate number is longer, or holds a space or a control character).
    cacheable = (
        not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and len(number) <= 40
        and number.isprintable()
        and " " not in number
    )
    if cacheable and register_cache.supported():
        language, layout = translation.get_language(), register_cache.layout(request)
        page, entry = register_cache.visit(number, language, layout)
        if page is not None:
            return HttpResponse(register_cache.fill(page, checked_at=register_cache.checked_now()))
        if entry is None:
            raise Http404
        return register_cache.first_visit_response(request, entry, number=number, language=language, layout=layout)
    record = register_entry(number)
    if record is None:
        raise Http404
    return render(request, "register/verify.html", page_context(record))


@require_GET
@cache_control(no_store=True)
def verify_signed(request: HttpRequest, number: str) -> JsonResponse:
    """The verification answer as JSON signed with the platform's Ed25519 key, for offline checking."""
    record = register_entry(number)
    if record is None:
        return JsonResponse(
            {
                "type": "urn:iecq:problem:not_found",
                "title": "Not found",
                "status": 404,
                "detail": "No certificate has this number.",
                "code": "not_found",
            },
            status=404,
            content_type="application/problem+json",
        )
    return JsonResponse(signing.sign(record), json_dumps_params={"ensure_ascii": False})


@require_GET
@cache_control(public=True, max_age=3600)
def public_key(request: HttpRequest) -> JsonResponse:
    """The key that verifies signed answers: raw base64, PEM and its id."""
    import base64

    return JsonResponse(
        {
            "algorithm": "Ed25519",
            "key_id": signing.key_id(),
            "public_key": base64.b64encode(signing.public_key_raw()).decode(),
            "pem": signing.public_key_pem(),
            "signed_bytes": "UTF-8 JSON of `payload` with sorted keys and no whitespace (separators ',' and ':')",
        }
    )
