"""`Idempotency-Key` on every POST of the API: a retried request is answered with the first response, never redone.

The key is claimed (a row inserted, unique per principal and key) after authentication and permission checks and
before the handler runs. The first request stores its response when it finishes; a retry with the same key and
the same body gets that response again (`Idempotent-Replayed: true`); the same key with another body is a 422
problem; a retry while the first is still running is a 409 problem. A response of 500 or more, or an exception,
releases the key so the client may try again. Keys expire after `IDEMPOTENCY_KEY_TTL` seconds.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import IdempotencyKey
from ..principals import Principal

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces (a UUID is typical)


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."
    default_code = "idempotency_key_in_flight"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


class Replay(Exception):
    """Carries the stored first response out of `initial()`; the view answers with it."""

    def __init__(self, response: Response):
        self.response = response


def ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "IDEMPOTENCY_KEY_TTL", 24 * 3600))


def principal_key(principal: Principal) -> str | None:
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    if principal.user_id is not None:
        return f"user:{principal.user_id}@{principal.organisation_id}"
    return None


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict: keep every value of a repeated field
        return {k: [_canonical(v) for v in vs] for k, vs in value.lists()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    """The request as the API understood it: method, path, query and the parsed body (files by content)."""
    data = _canonical(request.data)
    if hasattr(request, "FILES") and request.FILES:
        data = {"data": data, "files": _canonical(request.FILES)}
    text = json.dumps([request.method, request.path, request.GET.urlencode(), data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotentPostMixin:
    """Gives every POST of an API view the `Idempotency-Key` behaviour described in the module docstring."""

    _idempotency_row: IdempotencyKey | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._idempotency_row = None
        if request.method != "POST" or HEADER not in request.headers:
            return
        key = request.headers[HEADER]
        if not KEY_PATTERN.match(key):
            raise exceptions.ValidationError({HEADER: ["Send 1 to 255 printable ASCII characters, e.g. a UUID."]})
        owner = principal_key(request.principal)
        if owner is None:  # anonymous POSTs are refused by the permissions before this point
            return
        print_ = fingerprint(request)
        now = timezone.now()
        values = {"method": request.method, "path": request.path[:500], "fingerprint": print_}
        try:
            with transaction.atomic():
                IdempotencyKey.objects.filter(principal_key=owner, key=key, expires_at__lte=now).delete()
                self._idempotency_row = IdempotencyKey.objects.create(
                    principal_key=owner, key=key, expires_at=now + ttl(), **values
                )
            return
        except IntegrityError:
            pass
        first = IdempotencyKey.objects.filter(principal_key=owner, key=key).first()
        if first is None:  # released by a failed first attempt meanwhile
            raise KeyInFlight()
        if first.fingerprint != print_:
            raise KeyReused()
        if first.response_status is None:
            raise KeyInFlight()
        body = json.loads(first.response_body) if first.response_body else None
        response = Response(body, status=first.response_status, content_type=first.response_content_type or None)
        response["Idempotent-Replayed"] = "true"
        raise Replay(response)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)

    def dispatch(self, request, *args: Any, **kwargs: Any):
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            self._idempotency_release()
            raise

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        row = self._idempotency_row
        if row is not None:
            self._idempotency_row = None
            if response.status_code >= 500 or not isinstance(response, Response):
                IdempotencyKey.objects.filter(pk=row.pk).delete()
            else:
                IdempotencyKey.objects.filter(pk=row.pk).update(
                    response_status=response.status_code,
                    response_body=json.dumps(response.data, default=str) if response.data is not None else "",
                    response_content_type=response.content_type or "",
                )
        return response

    def _idempotency_release(self) -> None:
        row = self._idempotency_row
        if row is not None:
            self._idempotency_row = None
            IdempotencyKey.objects.filter(pk=row.pk).delete()


def clear_expired() -> int:
    """Delete expired keys; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
