"""Sending webhooks (PL-04): Standard Webhooks signatures, target URL rules, retries with backoff.

A target is checked when a subscription is made and again before every request: http or https only,
no credentials in the URL, and every address the host resolves to must be public (not loopback,
private, link-local, multicast, reserved or unspecified) unless `IECQ_WEBHOOK_ALLOW_PRIVATE` is on.
The request goes to the address that was checked (no second DNS lookup an attacker could answer
differently), redirects are never followed, timeouts are short and at most 1 KiB of the answer is read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ValidationFailed
from ..tenancy import scope
from .choices import DeliveryState
from .models import Event, WebhookAttempt, WebhookDelivery

# Delay before attempt n+1 after attempt n failed; after the last one the delivery is failed (replay restarts it).
RETRY_SCHEDULE = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
RESPONSE_READ_LIMIT = 1024
USER_AGENT = "IECQ-Webhooks/1.0"


class UnsafeTarget(ValueError):
    """The target URL breaks a rule; the message says which."""


# --- signing (https://www.standardwebhooks.com/) ----------------------------------------------------------


def new_secret() -> str:
    """`whsec_` and 24 random bytes in base64, as the Standard Webhooks libraries expect."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def payload(event: Event) -> bytes:
    """The request body: the event as the feed shows it, under Standard Webhooks' `type`/`timestamp`/`data`."""
    from .api.serializers import EventSerializer

    body = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": EventSerializer(event).data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode()


# --- target rules -------------------------------------------------------------------------------------


def _address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return False
    if settings.IECQ_WEBHOOK_ALLOW_PRIVATE:
        return True
    return ip.is_global and not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the request goes to


def resolve_target(url: str) -> Target:
    """Check a target URL against the rules and resolve it; raises UnsafeTarget with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(_("This is not a valid URL.")) from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(_("Use an http or https URL."))
    if parts.username or parts.password:
        raise UnsafeTarget(_("Put no user name or password in the URL; verify the signature instead."))
    host = parts.hostname
    if not host:
        raise UnsafeTarget(_("The URL names no host."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(_("The host %(host)s cannot be resolved.") % {"host": host}) from exc
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise UnsafeTarget(_("The host %(host)s cannot be resolved.") % {"host": host})
    for address in addresses:
        if not _address_allowed(ipaddress.ip_address(address.split("%")[0])):
            raise UnsafeTarget(
                _("The host %(host)s resolves to %(address)s, a private or reserved address: not allowed.")
                % {"host": host, "address": address}
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def validate_target_url(url: str) -> None:
    """For services: the same rules as a ValidationFailed on `target_url`."""
    try:
        resolve_target(url)
    except UnsafeTarget as exc:
        raise ValidationFailed(errors={"target_url": [str(exc)]}) from None


# --- one request --------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(url: str, *, message_id: str, secret: str, body: bytes) -> Outcome:
    """POST one signed message; never raises, never follows a redirect."""
    started = time.monotonic()

    def done(status: int | None, error: str) -> Outcome:
        return Outcome(status, error[:2000], int((time.monotonic() - started) * 1000))

    try:
        target = resolve_target(url)
    except UnsafeTarget as exc:
        return done(None, str(exc))
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }
    timeout = settings.IECQ_WEBHOOK_TIMEOUT_SECONDS
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return done(None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    if 300 <= status < 400:
        return done(status, _("The endpoint answered with a redirect; redirects are not followed."))
    if not 200 <= status < 300:
        return done(status, _("The endpoint answered %(status)d.") % {"status": status})
    return done(status, "")


# --- one attempt of one delivery ---------------------------------------------------------------------


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """Make the next attempt of a due delivery; None if it is not due or another worker holds it.

    The row stays locked during the request, so two workers never send the same attempt.
    """
    from .events import DELIVERY, organisation_principal

    with scope(DELIVERY), transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__organisation__supervisory_body", "event")
            .filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if delivery is None:
            return None
        subscription = delivery.subscription
        org_sees = (
            Event.objects.visible_to(organisation_principal(subscription.organisation))
            .filter(pk=delivery.event_id)
            .exists()
        )
        if not subscription.is_active or not org_sees:
            outcome = Outcome(None, _("The subscription is no longer active."), 0)
            if not org_sees:
                outcome = Outcome(None, _("The organisation may no longer see this event."), 0)
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = outcome.error
            delivery.save(update_fields=["state", "next_attempt_at", "last_error"])
            return delivery
        outcome = send(
            subscription.target_url,
            message_id=delivery.message_id,
            secret=subscription.secret,
            body=payload(delivery.event),
        )
        now = timezone.now()
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.state = DeliveryState.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + RETRY_SCHEDULE[min(delivery.attempts, MAX_ATTEMPTS) - 1]
        delivery.save()
        return delivery


def due_delivery_ids(limit: int = 100) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest first (retries and lost enqueues)."""
    from .events import DELIVERY

    with scope(DELIVERY):
        return list(
            WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
