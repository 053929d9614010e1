"""Errors as RFC 9457 problem details (`application/problem+json`) with a stable `code`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ..errors import DomainError
from ..tenancy import ScopeError

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "The input is not valid",
    401: "Authentication is required",
    403: "You may not perform this action",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "No longer available",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
}


def problem(status_code: int, code: str, detail: str, *, instance: str = "", errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:iecq:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error dict as a flat list of {field, message, code}."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, "" if key == "non_field_errors" else name))
    elif isinstance(detail, list):
        for i, item in enumerate(detail):
            if isinstance(item, dict | list):
                out.extend(_flatten(item, f"{prefix}[{i}]" if prefix else str(i)))
            else:
                out.extend(_flatten(item, prefix))
    else:
        out.append({"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid") or "invalid"})
    return out


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, DomainError):
        errors = [
            {"field": field, "message": str(msg), "code": exc.code}
            for field, msgs in exc.errors.items()
            for msg in msgs
        ]
        body = problem(exc.status, exc.code, exc.detail, instance=instance, errors=errors or None)
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, ScopeError):
        raise exc
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_failed"
        detail = "The input is not valid; see `errors`."
        errors = _flatten(exc.detail)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        detail = str(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
        errors = None
    response.data = problem(response.status_code, code, detail, instance=instance, errors=errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
