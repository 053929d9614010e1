"""Writes of the integrations app: webhook subscriptions, replaying a delivery, watchlists (PL-04)."""

from __future__ import annotations

import re

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import Forbidden, ValidationFailed
from ..principals import Principal
from ..roles import MASTER_DATA_ROLES
from ..selectors import get_visible
from ..tenancy import service
from .choices import DeliveryState, WatchKind
from .delivery import new_secret, validate_target_url
from .models import WatchlistEntry, WebhookDelivery, WebhookSubscription

EVENT_TYPE = re.compile(r"^[a-z_]+(\.[a-z_]+)?(\.\*)?$|^\*$")
MAX_SUBSCRIPTIONS = 20
MAX_WATCHLIST = 1000


def _require_admin(actor: Principal, organisation_id: int | None = None) -> None:
    """An administrator of the organisation (of the record's organisation, when one is given)."""
    if not actor.is_organisation_admin or actor.organisation_id is None:
        raise Forbidden(_("Only your organisation's administrator manages its webhooks."))
    if organisation_id is not None and organisation_id != actor.organisation_id:
        raise Forbidden(_("Only the subscribing organisation's administrator manages its webhooks."))


def _clean_types(event_types: list[str]) -> list[str]:
    cleaned = sorted({t.strip() for t in event_types if t and t.strip()})
    bad = [t for t in cleaned if not EVENT_TYPE.match(t)]
    if bad:
        raise ValidationFailed(
            errors={
                "event_types": [
                    _("Not an event type: %(types)s (e.g. certificate.suspended, certificate.*).")
                    % {"types": ", ".join(bad)}
                ]
            }
        )
    return [] if "*" in cleaned else cleaned


@service
def webhook_subscription_create(
    *, actor: Principal, target_url: str, event_types: list[str] | None = None, description: str = ""
) -> tuple[WebhookSubscription, str]:
    """Subscribe the actor's organisation; returns the subscription and its signing secret, shown only once."""
    _require_admin(actor)
    validate_target_url(target_url.strip())
    types = _clean_types(event_types or [])
    count = WebhookSubscription.objects.filter(organisation_id=actor.organisation_id).count()
    if count >= MAX_SUBSCRIPTIONS:
        raise ValidationFailed(
            errors={"target_url": [_("An organisation has at most %(n)d subscriptions.") % {"n": MAX_SUBSCRIPTIONS}]}
        )
    secret = new_secret()
    subscription = WebhookSubscription.objects.create(
        organisation_id=actor.organisation_id,
        target_url=target_url.strip(),
        event_types=types,
        description=description.strip()[:200],
        secret=secret,
        created_by_label=actor.label[:200],
    )
    return subscription, secret


@service
def webhook_subscription_update(*, actor: Principal, pk: object, **changes) -> WebhookSubscription:
    """Change a subscription's URL, event types, description, or switch it on or off."""
    subscription = get_visible(WebhookSubscription, actor, pk, for_update=True)
    _require_admin(actor, subscription.organisation_id)
    unknown = sorted(set(changes) - {"target_url", "event_types", "description", "is_active"})
    if unknown:
        raise ValidationFailed(errors={name: [_("This field cannot be changed.")] for name in unknown})
    if "target_url" in changes:
        validate_target_url(changes["target_url"].strip())
        subscription.target_url = changes["target_url"].strip()
    if "event_types" in changes:
        subscription.event_types = _clean_types(changes["event_types"] or [])
    if "description" in changes:
        subscription.description = changes["description"].strip()[:200]
    if "is_active" in changes:
        subscription.is_active = bool(changes["is_active"])
    subscription.save()
    return subscription


@service
def webhook_subscription_rotate_secret(*, actor: Principal, pk: object) -> tuple[WebhookSubscription, str]:
    """A new signing secret, effective at once; returned only here."""
    subscription = get_visible(WebhookSubscription, actor, pk, for_update=True)
    _require_admin(actor, subscription.organisation_id)
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription, subscription.secret


@service
def webhook_delivery_replay(*, actor: Principal, pk: object) -> WebhookDelivery:
    """Send a delivery again (same `webhook-id`), whatever its state; the earlier attempts stay in its log."""
    from .events import DELIVERY
    from .tasks import webhook_deliver

    delivery = get_visible(WebhookDelivery, actor, pk, for_update=True)
    _require_admin(actor, delivery.subscription.organisation_id)
    if not delivery.subscription.is_active:
        raise ValidationFailed(errors={"subscription": [_("Switch the subscription on before replaying.")]})
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["state", "next_attempt_at"])
    webhook_deliver.enqueue(delivery.pk, principal=DELIVERY)
    return delivery


# --- watchlists ------------------------------------------------------------------------------------------


def _require_watch_manager(actor: Principal, organisation_id: int | None = None) -> None:
    if actor.organisation_id is None or not (actor.is_organisation_admin or actor.has_role(*MASTER_DATA_ROLES)):
        raise Forbidden(_("Your role may not change your organisation's watchlist."))
    if organisation_id is not None and organisation_id != actor.organisation_id:
        raise Forbidden(_("Only the watching organisation changes its watchlist."))


@service
def watchlist_entry_add(
    *, actor: Principal, certificate_number: str = "", manufacturer_name: str = "", note: str = ""
) -> WatchlistEntry:
    """Watch a certificate by its number, or a manufacturer by its name, as the public register shows them."""
    from certification.models import Certificate
    from certification.register import REGISTER

    _require_watch_manager(actor)
    number, name = certificate_number.strip(), manufacturer_name.strip()
    if bool(number) == bool(name):
        raise ValidationFailed(
            errors={"certificate_number": [_("Give either a certificate number or a manufacturer's name.")]}
        )
    if WatchlistEntry.objects.filter(organisation_id=actor.organisation_id).count() >= MAX_WATCHLIST:
        raise ValidationFailed(errors={"certificate_number": [_("The watchlist is full.")]})
    # The register is public: a certificate or a manufacturer named on it may be watched by anybody.
    register = Certificate.objects.visible_to(REGISTER)
    if number:
        found = register.filter(number__iexact=number).values("pk", "number").first()
        if found is None:
            raise ValidationFailed(errors={"certificate_number": [_("No certificate with this number is registered.")]})
        target = {"kind": WatchKind.CERTIFICATE, "certificate_id": found["pk"], "label": found["number"]}
        field = "certificate_number"
    else:
        found = (
            register.filter(manufacturer__name__iexact=name)
            .values("manufacturer_id", "manufacturer__name")
            .order_by("manufacturer_id")
            .first()
        )
        if found is None:
            raise ValidationFailed(
                errors={"manufacturer_name": [_("No manufacturer of this name has a registered certificate.")]}
            )
        target = {
            "kind": WatchKind.MANUFACTURER,
            "manufacturer_id": found["manufacturer_id"],
            "label": found["manufacturer__name"],
        }
        field = "manufacturer_name"
    existing = WatchlistEntry.objects.filter(
        models.Q(organisation_id=actor.organisation_id),
        models.Q(certificate_id=target.get("certificate_id", -1))
        | models.Q(manufacturer_id=target.get("manufacturer_id", -1)),
    )
    if existing.exists():
        raise ValidationFailed(errors={field: [_("Your organisation already watches this.")]})
    return WatchlistEntry.objects.create(
        organisation_id=actor.organisation_id, note=note.strip()[:200], created_by_label=actor.label[:200], **target
    )


@service
def watchlist_entry_remove(*, actor: Principal, pk: object) -> None:
    """Stop watching; watchlist events already received stay in the feed."""
    entry = get_visible(WatchlistEntry, actor, pk, for_update=True)
    _require_watch_manager(actor, entry.organisation_id)
    entry.delete()
