"""The integrator's event feed, webhook subscriptions and their deliveries, and watchlists (PL-03, PL-04)."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..tenancy import Tenancy, TenantScopedManager
from .choices import DeliveryState, WatchKind


class Event(models.Model):
    """One thing that happened to one record (created, a state change), for integrators to follow (PL-04).

    Append-only: a database trigger rejects UPDATE and DELETE (migration 0002). Written in the
    transaction of the change itself (from `iecq.transitions.log_append` and the create services), so
    the feed never shows a change that was rolled back and never misses one that committed. The owning
    CB, manufacturer and countries are copied from the subject so an event is visible exactly to whoever
    sees its subject; a watchlist event belongs to the watching organisation only and carries nothing but
    the public register's fields.
    """

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("type"), max_length=80, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=100)  # "certification.certificate"
    # None for watchlist events: a watcher knows the certificate by its public number only.
    subject_id = models.BigIntegerField(_("subject id"), null=True, blank=True)
    data = models.JSONField(_("data"), encoder=DjangoJSONEncoder, default=dict)
    actor_label = models.CharField(_("who"), max_length=200)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)
    # The writing transaction's id: the feed holds back events of transactions still running (see selectors).
    txid = models.BigIntegerField(null=True, blank=True, editable=False)
    certification_body = models.ForeignKey(
        "bodies.CertificationBody", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    country = models.CharField(max_length=2, blank=True)
    other_country = models.CharField(max_length=2, blank=True)
    organisation = models.ForeignKey(
        "iecq.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    tenancy = Tenancy(
        cb="certification_body",
        manufacturer="manufacturer",
        country=("country", "other_country"),
        organisation="organisation",
    )
    objects = TenantScopedManager()
    # Writing needs no read scope; iecq.integrations.events is its only user.
    objects_append = models.Manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("event")
        indexes = [models.Index(fields=["subject_type", "subject_id", "id"], name="event_subject_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.subject_type}:{self.subject_id}"


class WebhookSubscription(models.Model):
    """An organisation's endpoint that receives the events it may see, signed per Standard Webhooks (PL-04).

    The secret signs every delivery; it is shown once, when the subscription is made or its secret renewed.
    """

    organisation = models.ForeignKey(
        "iecq.Organisation", on_delete=models.PROTECT, related_name="webhook_subscriptions"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    target_url = models.URLField(_("target URL"), max_length=500)
    # Event types ("certificate.suspended") or families ("certificate.*"); empty: every event.
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = Tenancy(organisation="organisation")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")

    def __str__(self) -> str:
        return self.description or self.target_url

    def wants(self, event_type: str) -> bool:
        """Whether this subscription asked for events of this type."""
        if not self.event_types:
            return True
        return any(
            event_type == wanted or (wanted.endswith(".*") and event_type.startswith(wanted[:-1]))
            for wanted in self.event_types
        )


class WebhookDelivery(models.Model):
    """One event to send to one subscription (an outbox row), written with the event; retried with backoff."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    # The `webhook-id` header: the same for every attempt, so the receiver can drop duplicates.
    message_id = models.CharField(max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(organisation="subscription__organisation")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_state_display()})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: when, the answer's status code or the error, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    tenancy = Tenancy(organisation="delivery__subscription__organisation")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["attempted_at", "id"]
        verbose_name = _("delivery attempt")

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"


class WatchlistEntry(models.Model):
    """A certificate (by number) or a manufacturer an organisation depends on, watched through the public
    register: its changes reach the organisation as watchlist events carrying only public fields (PL-04)."""

    organisation = models.ForeignKey("iecq.Organisation", on_delete=models.PROTECT, related_name="watchlist")
    kind = models.CharField(_("kind"), max_length=16, choices=WatchKind.choices)
    # Resolved through the public register; only `label` (the number or the name) is ever shown.
    certificate = models.ForeignKey(
        "certification.Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manufacturer = models.ForeignKey(
        "manufacturers.Manufacturer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("watched"), max_length=200)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    tenancy = Tenancy(organisation="organisation")
    objects = TenantScopedManager()

    class Meta:
        ordering = ["kind", "label"]
        verbose_name = _("watchlist entry")
        verbose_name_plural = _("watchlist entries")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "certificate"], name="watch_certificate_once"),
            models.UniqueConstraint(fields=["organisation", "manufacturer"], name="watch_manufacturer_once"),
            models.CheckConstraint(
                name="watch_one_target",
                condition=models.Q(kind=WatchKind.CERTIFICATE, certificate__isnull=False, manufacturer=None)
                | models.Q(kind=WatchKind.MANUFACTURER, manufacturer__isnull=False, certificate=None),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"
