"""PL-04: signed webhooks, delivered to a real HTTP server on 127.0.0.1, with retries, no redirects, URL rules,
replay and tenant isolation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from certification.models import Certificate
from certification.services import certificate_transition
from iecq.integrations.models import WebhookDelivery, WebhookSubscription
from iecq.integrations.tasks import webhook_dispatch_due
from iecq.roles import Role
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM

pytestmark = pytest.mark.req("PL-04")


class Receiver:
    """A local webhook endpoint: answers each request with the next of `statuses` (then 200) and records it."""

    def __init__(self, statuses=(), location: str = ""):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def verify_standard_webhook(secret: str, headers: dict, body: bytes, *, tolerance: int = 300) -> dict:
    """An independent implementation of the Standard Webhooks verification (the receiver's side)."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, timestamp, signatures = lower["webhook-id"], lower["webhook-timestamp"], lower["webhook-signature"]
    now = int(timezone.now().timestamp())
    assert abs(now - int(timestamp)) <= tolerance, "timestamp outside tolerance"
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    to_sign = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()
    versions = [s.split(",", 1) for s in signatures.split(" ")]
    assert any(v == "v1" and hmac.compare_digest(sig, expected) for v, sig in versions), "bad signature"
    return json.loads(body)


def subscribe(world, url: str, *, side="a", types=None) -> tuple[int, str]:
    token, _p = getattr(world, side).tokens["cb"]
    body = {"target_url": url, **({"event_types": types} if types is not None else {})}
    with override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True):
        response = token_client(token).post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"], response.json()["secret"]


def suspend(world, side="a", reason="Field failures"):
    s = getattr(world, side)
    manager = s.users[Role.CB_CERTIFICATION_MANAGER][1]
    return certificate_transition(actor=manager, pk=s.records[Certificate].pk, name="suspend", reason=reason)


@override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True)
def test_a_suspension_reaches_the_subscriber_signed_per_standard_webhooks(world, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        sub_id, secret = subscribe(world, receiver.url, types=["certificate.*"])
        with django_capture_on_commit_callbacks(execute=True):
            suspend(world)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = verify_standard_webhook(secret, request["headers"], request["body"])
    assert body["type"] == "certificate.suspended"
    assert body["data"]["subject_id"] == world.a.records[Certificate].pk
    assert body["data"]["data"]["state"] == "suspended"
    assert body["data"]["data"]["reason"] == "Field failures"
    with pytest.raises(AssertionError, match="bad signature"):  # the verifier itself can fail
        verify_standard_webhook("whsec_" + base64.b64encode(b"x" * 24).decode(), request["headers"], request["body"])
    with scope(SYSTEM):
        delivery = WebhookDelivery.objects.get(subscription_id=sub_id)
    assert delivery.state == "succeeded" and delivery.attempts == 1 and delivery.last_status_code == 200
    assert request["headers"]["webhook-id"] == delivery.message_id


@override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True)
def test_a_failed_delivery_is_retried_with_backoff_and_the_log_shows_every_attempt(
    world, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500]) as receiver:
        sub_id, secret = subscribe(world, receiver.url, types=["certificate.suspended"])
        with django_capture_on_commit_callbacks(execute=True):
            suspend(world)
        with scope(SYSTEM):
            delivery = WebhookDelivery.objects.get(subscription_id=sub_id)
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=5)
        assert webhook_dispatch_due() == 0  # not due yet
        assert len(receiver.requests) == 1
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            assert webhook_dispatch_due() == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    verify_standard_webhook(secret, receiver.requests[1]["headers"], receiver.requests[1]["body"], tolerance=10**6)
    token, _p = world.a.tokens["cb"]
    log = token_client(token).get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()
    assert log["state"] == "succeeded"
    assert [a["status_code"] for a in log["attempt_log"]] == [500, 200]
    assert "500" in log["attempt_log"][0]["error"]


@override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True)
def test_a_redirect_is_never_followed(world, django_capture_on_commit_callbacks):
    elsewhere = Receiver()
    with elsewhere, Receiver(statuses=[302], location=elsewhere.url) as receiver:
        # the redirect points at another local server, which must never be asked
        sub_id, _secret = subscribe(world, receiver.url, types=["certificate.*"])
        with django_capture_on_commit_callbacks(execute=True):
            suspend(world)
    assert len(receiver.requests) == 1
    assert elsewhere.requests == []
    with scope(SYSTEM):
        delivery = WebhookDelivery.objects.get(subscription_id=sub_id, event__type="certificate.suspended")
    assert delivery.last_status_code == 302 and delivery.state == "pending"
    assert "redirect" in delivery.last_error


def test_private_and_non_http_targets_are_refused_at_subscription(world):
    token, _p = world.a.tokens["cb"]
    api = token_client(token)
    for url in (
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "ftp://198.51.100.7/hook",
        "http://user:pw@127.0.0.1/hook",
    ):
        response = api.post("/api/v1/webhooks/", {"target_url": url}, format="json")
        assert response.status_code == 400, url
        assert response["Content-Type"].startswith("application/problem+json")
        assert "target_url" in json.dumps(response.json()), url
    with scope(SYSTEM):
        assert not WebhookSubscription.objects.filter(organisation=world.a.cb_org, is_active=True).exists()


def test_a_target_that_became_private_is_refused_at_delivery(world, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        sub_id, _secret = subscribe(world, receiver.url)  # allowed then (a closed network)
        with override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=False), django_capture_on_commit_callbacks(execute=True):
            suspend(world)
    assert receiver.requests == []
    with scope(SYSTEM):
        delivery = WebhookDelivery.objects.filter(subscription_id=sub_id).latest("pk")
    assert delivery.attempts == 1 and delivery.last_status_code is None
    assert "private or reserved" in delivery.last_error


@override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True)
def test_replay_sends_the_same_message_again_in_api_and_portal(world, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        sub_id, secret = subscribe(world, receiver.url, types=["certificate.suspended"])
        with django_capture_on_commit_callbacks(execute=True):
            suspend(world)
        with scope(SYSTEM):
            delivery = WebhookDelivery.objects.get(subscription_id=sub_id)
        token, _p = world.a.tokens["cb"]
        with django_capture_on_commit_callbacks(execute=True):
            response = token_client(token).post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")
        assert response.status_code == 200
        admin = Client()
        admin.force_login(world.a.users[Role.CB_ADMIN][0])
        page = admin.get(f"/settings/webhooks/{sub_id}/")
        assert delivery.message_id in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(f"/settings/webhooks/deliveries/{delivery.pk}/replay/")
        assert response.status_code == 302
    assert len(receiver.requests) == 3
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    for r in receiver.requests:
        verify_standard_webhook(secret, r["headers"], r["body"])
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.state == "succeeded"


@override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True)
def test_side_b_events_never_reach_side_a_subscriptions(world, django_capture_on_commit_callbacks):
    with Receiver() as receiver_a, Receiver() as receiver_b:
        sub_a, _s = subscribe(world, receiver_a.url)
        subscribe(world, receiver_b.url, side="b")
        with django_capture_on_commit_callbacks(execute=True):
            suspend(world, side="b", reason="Bravoside suspension")
    assert receiver_a.requests == []
    # B's own CB watches its certificate (tests/factories.py), so B also gets the watchlist event
    assert sorted(json.loads(r["body"])["type"] for r in receiver_b.requests) == [
        "certificate.suspended",
        "watchlist.certificate_changed",
    ]
    with scope(SYSTEM):
        assert not WebhookDelivery.objects.filter(subscription_id=sub_a).exists()
    token, _p = world.a.tokens["cb"]
    listing = token_client(token).get("/api/v1/webhook-deliveries/")
    assert "Bravoside" not in listing.content.decode()
    with scope(SYSTEM):
        own = set(WebhookSubscription.objects.filter(organisation=world.a.cb_org).values_list("pk", flat=True))
    assert {d["subscription"] for d in listing.json()["results"]} <= own


def test_only_administrators_manage_webhooks_and_the_portal_shows_the_secret_once(world):
    clerk = Client()
    clerk.force_login(world.a.users[Role.CB_CLERK][0])
    assert clerk.get("/settings/webhooks/").status_code == 404
    admin = Client()
    admin.force_login(world.a.users[Role.CB_ADMIN][0])
    with override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=False):
        refused = admin.post("/settings/webhooks/", {"target_url": "http://10.0.0.8/x", "event_types": "certificate.*"})
    assert refused.status_code == 200 and "private or reserved" in refused.content.decode()
    assert 'value="certificate.*"' in refused.content.decode()  # what was typed is kept
    with override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True):
        created = admin.post("/settings/webhooks/", {"target_url": "http://127.0.0.1:9/x", "event_types": "bad type"})
        assert "Not an event type" in created.content.decode()
        created = admin.post(
            "/settings/webhooks/", {"target_url": "http://127.0.0.1:9/x", "event_types": "certificate.*"}
        )
    html = created.content.decode()
    assert "whsec_" in html
    with scope(SYSTEM):
        subscription = WebhookSubscription.objects.get(organisation=world.a.cb_org, is_active=True)
    assert subscription.secret in html and subscription.event_types == ["certificate.*"]
    assert subscription.secret not in admin.get("/settings/webhooks/").content.decode()
    assert subscription.secret not in admin.get(f"/settings/webhooks/{subscription.pk}/").content.decode()
    manager = world.a.users[Role.CB_CERTIFICATION_MANAGER][1]
    from iecq.errors import Forbidden
    from iecq.integrations.services import webhook_subscription_update

    with pytest.raises(Forbidden):
        webhook_subscription_update(actor=manager, pk=subscription.pk, is_active=False)
    with pytest.raises(Forbidden):  # the operator sees every subscription but manages none of another's
        webhook_subscription_update(actor=world.operator[1], pk=subscription.pk, is_active=False)
    subscription.refresh_from_db()
    assert subscription.is_active


@override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True)
def test_a_subscription_is_changed_switched_off_and_its_secret_renewed(world, django_capture_on_commit_callbacks):
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["webhook-dispatch-due"]["task"] == "integrations.webhook_dispatch_due"
    api = token_client(world.a.tokens["cb"][0])
    with Receiver() as receiver:
        sub_id, old_secret = subscribe(world, receiver.url)
        renewed = api.post(f"/api/v1/webhooks/{sub_id}/rotate-secret/")
        assert renewed.status_code == 200 and renewed.json()["secret"] != old_secret
        assert "secret" not in api.get(f"/api/v1/webhooks/{sub_id}/").json()
        changed = api.patch(f"/api/v1/webhooks/{sub_id}/", {"event_types": ["certificate.withdrawn"]}, format="json")
        assert changed.status_code == 200 and changed.json()["event_types"] == ["certificate.withdrawn"]
        bad = api.patch(f"/api/v1/webhooks/{sub_id}/", {"secret": "whsec_mine"}, format="json")
        assert bad.status_code == 400
        with django_capture_on_commit_callbacks(execute=True):
            suspend(world)  # not a wanted type
        assert receiver.requests == []
        assert (
            api.patch(f"/api/v1/webhooks/{sub_id}/", {"is_active": False}, format="json").json()["is_active"] is False
        )
        with django_capture_on_commit_callbacks(execute=True):
            transition_name = "withdraw"
            certificate_transition(
                actor=world.a.users[Role.CB_CERTIFICATION_MANAGER][1],
                pk=world.a.records[Certificate].pk,
                name=transition_name,
                reason="switched off meanwhile",
            )
    assert receiver.requests == []
    with scope(SYSTEM):
        assert not WebhookDelivery.objects.filter(subscription_id=sub_id).exists()
