"""PL-04 (and PL-03): the append-only event feed an integrator rebuilds state from, and watchlists."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.test import Client, override_settings
from django.utils import timezone

from certification.models import Application, Certificate
from certification.register import register_entry
from certification.services import certificate_issue, certificate_transition
from iecq.integrations.models import Event, WatchlistEntry, WebhookDelivery, WebhookSubscription
from iecq.roles import Role
from iecq.selectors import visible
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM, make_token

pytestmark = pytest.mark.req("PL-04")


def manager(side):
    return side.users[Role.CB_CERTIFICATION_MANAGER][1]


def transition(side, pk, name, reason="because"):
    return certificate_transition(actor=manager(side), pk=pk, name=name, reason=reason)


def issue_second_certificate(side) -> Certificate:
    with scope(manager(side)), transaction.atomic():
        app = Application.objects.get(pk=side.records[Application].pk)
        return certificate_issue(actor=manager(side), application=app)


def replay(client, query: str = "") -> list[dict]:
    """Follow the feed from the start, page by page, as an integrator would."""
    events, url = [], f"/api/v1/events/?limit=2{query}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        events += body["results"]
        url = body["next"]
    return events


def states_from(events: list[dict]) -> dict[int, str]:
    state = {}
    for event in events:
        if event["subject_type"] == "certification.certificate":
            state[event["subject_id"]] = event["data"]["state"]
    return state


@pytest.mark.req("PL-03")
def test_replaying_the_feed_reproduces_the_current_states_of_the_visible_certificates(world):
    a, b = world.a, world.b
    first = a.records[Certificate]
    transition(a, first.pk, "suspend")
    second = issue_second_certificate(a)
    transition(a, second.pk, "suspend")
    transition(a, second.pk, "reinstate")
    transition(a, second.pk, "withdraw")
    transition(b, b.records[Certificate].pk, "suspend", reason="Bravoside suspension")
    for token_key, principal_side in (("cb", a), ("manufacturer", a)):
        token, principal = principal_side.tokens[token_key]
        events = replay(token_client(token))
        ids = [e["id"] for e in events]
        assert ids == sorted(ids) and len(ids) == len(set(ids))
        with scope(principal):
            current = dict(visible(Certificate, principal).values_list("pk", "state"))
        assert states_from(events) == current
        assert current == {first.pk: "suspended", second.pk: "withdrawn"}
        assert b.records[Certificate].pk not in states_from(events)
        assert all("Bravoside" not in str(e) for e in events)
    from iecq.integrations.selectors import event_feed

    supervisor = a.users[Role.SB_VIEWER][1]  # the GB supervisory body sees side A's records by country
    with scope(supervisor):
        feed = [
            {"subject_type": e.subject_type, "subject_id": e.subject_id, "data": e.data}
            for e in event_feed(principal=supervisor)
        ]
        assert states_from(feed) == dict(visible(Certificate, supervisor).values_list("pk", "state"))
    assert states_from(feed) == {first.pk: "suspended", second.pk: "withdrawn"}


def test_the_feed_filters_by_type_subject_and_after(world):
    a = world.a
    cert = a.records[Certificate]
    transition(a, cert.pk, "suspend")
    transition(a, cert.pk, "reinstate")
    api = token_client(a.tokens["cb"][0])
    suspended = api.get("/api/v1/events/?type=certificate.suspended").json()["results"]
    assert [e["data"]["to"] for e in suspended] == ["suspended"]
    assert suspended[0]["data"]["reason"] == "because" and suspended[0]["actor_label"]
    family = api.get("/api/v1/events/?type=certificate.*").json()["results"]
    assert [e["type"] for e in family] == ["certificate.created", "certificate.suspended", "certificate.valid"]
    subject = api.get(f"/api/v1/events/?subject=certification.certificate:{cert.pk}").json()["results"]
    assert {e["subject_id"] for e in subject} == {cert.pk} and len(subject) == 3
    after = api.get(f"/api/v1/events/?subject=certification.certificate:{cert.pk}&after={subject[1]['id']}")
    assert [e["type"] for e in after.json()["results"]] == ["certificate.valid"]
    assert api.get(f"/api/v1/events/{subject[0]['id']}/").json()["type"] == "certificate.created"
    bad = api.get("/api/v1/events/?subject=certificate")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert api.get("/api/v1/events/?limit=lots").status_code == 400
    assert api.get("/api/v1/events/?after=-3").status_code == 400
    narrow_token, _p = make_token(a.cb_org, Role.CB_ADMIN, a.users[Role.CB_ADMIN][0], scopes=["certification:read"])
    assert token_client(narrow_token).get("/api/v1/events/").status_code == 403


def test_events_are_written_in_the_change_transaction_and_never_rewritten(world):
    a = world.a
    with scope(SYSTEM):
        before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(a, a.records[Certificate].pk, "suspend")
        raise RuntimeError("the request failed after the decision")
    with scope(SYSTEM):
        assert Event.objects.count() == before
    transition(a, a.records[Certificate].pk, "suspend")
    with scope(SYSTEM):
        event = Event.objects.filter(type__startswith="certificate.").latest("id")
    assert event.type == "certificate.suspended" and event.certification_body_id == a.cb.pk
    for change in (
        lambda: Event.objects_append.filter(pk=event.pk).update(type="certificate.valid"),
        lambda: Event.objects_append.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()


def test_an_integrator_watches_a_certificate_of_another_cb_and_sees_public_fields_only(world):
    a, b = world.a, world.b
    oem_token, _oem = a.tokens["manufacturer"]  # Alphaside Components buys from Bravoside Components
    api = token_client(oem_token)
    foreign = b.records[Certificate]
    assert api.post("/api/v1/watchlist/", {"certificate_number": "IECQ-NOPE"}, format="json").status_code == 400
    watched = api.post("/api/v1/watchlist/", {"certificate_number": foreign.number.lower()}, format="json")
    assert watched.status_code == 201 and watched.json()["label"] == foreign.number
    again = api.post("/api/v1/watchlist/", {"certificate_number": foreign.number}, format="json")
    assert again.status_code == 400
    by_name = api.post("/api/v1/watchlist/", {"manufacturer_name": "Bravoside Components"}, format="json")
    assert by_name.status_code == 201 and by_name.json()["kind"] == "manufacturer"
    with override_settings(IECQ_WEBHOOK_ALLOW_PRIVATE=True):  # nothing is sent: on-commit work never runs here
        subscription = api.post(
            "/api/v1/webhooks/",
            {"target_url": "http://127.0.0.1:9/hook", "event_types": ["watchlist.*"]},
            format="json",
        )
    assert subscription.status_code == 201, subscription.content
    sub_id = subscription.json()["id"]

    transition(b, foreign.pk, "suspend", reason="Bravoside internal reason")

    events = api.get("/api/v1/events/?type=watchlist.certificate_changed").json()["results"]
    assert len(events) == 1  # watched twice (number and manufacturer), told once
    event = events[0]
    assert event["subject_type"] == "register.certificate" and event["subject_id"] is None
    assert set(event["data"]) == {"change", "certificate"} and event["data"]["change"] == "certificate.suspended"
    public = register_entry(foreign.number)
    public.pop("checked_at")
    shown = dict(event["data"]["certificate"])
    shown.pop("checked_at")
    assert shown == public and shown["status"] == "suspended"
    assert "Bravoside internal reason" not in str(event)
    feed = api.get("/api/v1/events/").json()["results"]
    assert not [e for e in feed if e["type"] == "certificate.suspended"]  # B's own event stays B's
    with scope(SYSTEM):
        deliveries = WebhookDelivery.objects.filter(subscription_id=sub_id)
        assert [d.event.type for d in deliveries] == ["watchlist.certificate_changed"]
        assert not WebhookDelivery.objects.filter(
            subscription__organisation=b.cb_org, event__organisation=a.manufacturer_org
        ).exists()
    # another organisation that watches nothing of B gets nothing
    cb_api = token_client(a.tokens["cb"][0])
    assert "Bravoside" not in cb_api.get("/api/v1/events/?type=watchlist.*").content.decode()
    entry_id = watched.json()["id"]
    assert api.delete(f"/api/v1/watchlist/{entry_id}/").status_code == 204
    with scope(SYSTEM):
        assert not WatchlistEntry.objects.filter(pk=entry_id).exists()
        assert WebhookSubscription.objects.filter(pk=sub_id, organisation=a.manufacturer_org).exists()


def test_the_watchlist_page_adds_shows_changes_and_removes(world):
    a, b = world.a, world.b
    foreign = b.records[Certificate]
    submitter = Client()
    submitter.force_login(a.users[Role.MF_SUBMITTER][0])
    refused = submitter.post("/settings/watchlist/", {"certificate_number": foreign.number})
    assert refused.status_code == 200 and "may not change" in refused.content.decode()
    admin = Client()
    admin.force_login(a.users[Role.MF_ADMIN][0])
    missing = admin.post("/settings/watchlist/", {"certificate_number": "IECQ-XX-0", "note": "my note"})
    assert "No certificate with this number" in missing.content.decode()
    assert 'value="my note"' in missing.content.decode()
    assert admin.post("/settings/watchlist/", {"certificate_number": foreign.number}).status_code == 302
    transition(b, foreign.pk, "suspend")
    page = admin.get("/settings/watchlist/").content.decode()
    assert foreign.number in page and "certificate.suspended" in page and "Suspended" in page
    with scope(SYSTEM):
        entry = WatchlistEntry.objects.get(organisation=a.manufacturer_org)
    assert admin.post("/settings/watchlist/", {"remove": entry.pk}).status_code == 302
    with scope(SYSTEM):
        assert not WatchlistEntry.objects.filter(pk=entry.pk).exists()


def test_the_feed_holds_back_events_of_transactions_that_may_still_be_running(world):
    """An event whose writer may not have committed yet (its transaction id is not below the snapshot's xmin)
    is held back, so `after=<last id>` never skips it; settled ones and the caller's own are shown."""
    from django.db import connection

    a = world.a
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        xmin = cursor.fetchone()[0]
    fields = {
        "subject_type": "certification.certificate",
        "subject_id": a.records[Certificate].pk,
        "actor_label": "probe",
        "certification_body_id": a.cb.pk,
    }
    settled = Event.objects_append.create(type="probe.settled", txid=xmin - 1, **fields)
    running = Event.objects_append.create(type="probe.running", txid=xmin + 10_000, **fields)
    api = token_client(a.tokens["cb"][0])
    shown = {e["id"] for e in api.get("/api/v1/events/?type=probe.*&limit=500").json()["results"]}
    assert settled.pk in shown and running.pk not in shown


def test_creations_are_events_and_a_change_rolled_back_inside_a_service_leaves_none(world):
    from iecq.integrations.events import collecting
    from surveillance.services import complaint_record

    a = world.a
    clerk = a.users[Role.CB_CLERK][1]
    complaint = complaint_record(
        actor=clerk,
        certificate=a.records[Certificate].pk,
        kind="field_failure",
        received_on=timezone.now().date(),
        source="Alphaside customer",
        description="Cracked capacitors",
    )
    api = token_client(a.tokens["cb"][0])
    created = api.get(f"/api/v1/events/?subject=surveillance.complaint:{complaint.pk}").json()["results"]
    assert [e["type"] for e in created] == ["complaint.created"]
    assert created[0]["data"]["description"] == "Cracked capacitors"
    with scope(SYSTEM):
        before = Event.objects.count()
    manager_ = manager(a)
    with scope(manager_), transaction.atomic(), collecting():  # what a service does around its body
        try:
            with transaction.atomic():  # a savepoint the service rolls back and carries on
                cert = Certificate.objects.select_for_update().get(pk=a.records[Certificate].pk)
                from iecq.transitions import transition as fsm_transition

                fsm_transition(cert, "suspend", actor=manager_, reason="undone")
                raise ValueError
        except ValueError:
            pass
    with scope(SYSTEM):
        assert Event.objects.count() == before


def test_a_transfer_is_seen_by_the_cb_it_leaves_and_the_cb_it_joins(world):
    from bodies.models import Technology
    from bodies.services import certification_body_transition
    from certification.services import certificate_transfer

    from .factories import qualify_for_approval

    a, b = world.a, world.b
    cert = a.records[Certificate]
    qualify_for_approval(b.cb, marker="tr")
    with scope(SYSTEM):
        b.cb.technologies.add(Technology.objects.get(code="capacitors"))
    certification_body_transition(actor=world.operator[1], pk=b.cb.pk, name="approve")
    certificate_transfer(actor=world.operator[1], pk=cert.pk, to_certification_body=b.cb, reason="Client's choice")
    subject = f"/api/v1/events/?subject=certification.certificate:{cert.pk}"
    left = token_client(a.tokens["cb"][0]).get(subject).json()["results"]
    assert [e["type"] for e in left] == ["certificate.created", "certificate.transferred"]
    assert left[-1]["data"]["certification_body_id"] == b.cb.pk  # where it went
    joined = token_client(b.tokens["cb"][0]).get(subject).json()["results"]
    assert [e["type"] for e in joined] == ["certificate.updated"]
    assert joined[0]["data"]["state"] == "valid" and joined[0]["data"]["revision"] == 2
