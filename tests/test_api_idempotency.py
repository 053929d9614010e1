"""PL-03: every POST honours `Idempotency-Key`: a retry gets the first answer and changes nothing twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bodies.models import CertificationBody
from iecq.models import IdempotencyKey, TransitionLog
from iecq.tasks import idempotency_keys_clear
from iecq.tenancy import scope
from manufacturers.api.views import ManufacturerViewSet
from manufacturers.models import Manufacturer

from .conftest import token_client
from .factories import SYSTEM

pytestmark = pytest.mark.req("PL-03")
PROBLEM = "application/problem+json"


def post(client, path: str, body: dict, key: str):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def manufacturers_named(name: str) -> int:
    with scope(SYSTEM):
        return Manufacturer.objects.filter(name=name).count()


def test_a_retried_create_returns_the_first_response_and_creates_once(world):
    client = token_client(world.a.tokens["cb"][0])
    body = {"name": "Retry Capacitors", "country": "GB"}
    first = post(client, "/api/v1/manufacturers/", body, "key-1")
    assert first.status_code == 201, first.content
    again = post(client, "/api/v1/manufacturers/", body, "key-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert manufacturers_named("Retry Capacitors") == 1
    # without the key the same body is a new request: here a duplicate name, refused
    assert client.post("/api/v1/manufacturers/", body, format="json").status_code == 400


def test_a_retried_transition_is_logged_once(world):
    client = world.operator_api()
    path = f"/api/v1/certification-bodies/{world.a.cb.pk}/start-assessment/"
    first = post(client, path, {"reason": "file complete"}, "assess-7")
    again = post(client, path, {"reason": "file complete"}, "assess-7")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    with scope(SYSTEM):
        assert TransitionLog.objects.filter(object_id=world.a.cb.pk, transition="start_assessment").count() == 1
    # a new key is a new request: the state machine now refuses it
    assert post(client, path, {"reason": "file complete"}, "assess-8").status_code == 409


def test_an_error_answer_is_replayed_too(world):
    client = world.operator_api()
    path = f"/api/v1/certification-bodies/{world.a.cb.pk}/approve/"
    first = post(client, path, {}, "approve-1")
    assert first.status_code == 409 and first["Content-Type"].startswith(PROBLEM)
    again = post(client, path, {}, "approve-1")
    assert again.status_code == 409 and again.json() == first.json() and again["Content-Type"].startswith(PROBLEM)


def test_the_same_key_with_another_body_is_a_422_problem(world):
    client = token_client(world.a.tokens["cb"][0])
    assert post(client, "/api/v1/manufacturers/", {"name": "Keyed One", "country": "GB"}, "k").status_code == 201
    response = post(client, "/api/v1/manufacturers/", {"name": "Keyed Two", "country": "GB"}, "k")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert response["Content-Type"].startswith(PROBLEM)
    assert manufacturers_named("Keyed Two") == 0


def test_keys_belong_to_one_principal(world):
    body = {"name": "Shared Key Resistors", "country": "GB"}
    mine = post(token_client(world.a.tokens["cb"][0]), "/api/v1/manufacturers/", body, "same")
    theirs = post(world.operator_api(), "/api/v1/manufacturers/", body, "same")
    assert mine.status_code == 201
    # the operator's request is its own: processed (a duplicate name), not answered with side A's response
    assert theirs.status_code == 400 and "Idempotent-Replayed" not in theirs


def test_a_malformed_key_is_a_400_problem(world):
    client = token_client(world.a.tokens["cb"][0])
    response = post(client, "/api/v1/manufacturers/", {"name": "Spaced", "country": "GB"}, "has space")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert manufacturers_named("Spaced") == 0


def test_keys_expire_and_the_periodic_task_clears_them(world, settings):
    settings.IDEMPOTENCY_KEY_TTL = 3600
    client = token_client(world.a.tokens["cb"][0])
    assert post(client, "/api/v1/manufacturers/", {"name": "Aged", "country": "GB"}, "old").status_code == 201
    assert idempotency_keys_clear() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert idempotency_keys_clear() == 1
        assert not IdempotencyKey.objects.exists()
        # an expired key is forgotten: the same request is processed again (a duplicate name now)
        assert post(client, "/api/v1/manufacturers/", {"name": "Aged", "country": "GB"}, "old").status_code == 400


def _in_thread(target, results, slot):
    def run():
        try:
            results[slot] = target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_is_in_flight_is_a_409(world, monkeypatch):
    token = world.a.tokens["cb"][0]
    entered, release = threading.Event(), threading.Event()
    real = ManufacturerViewSet.create_service

    def slow_create(**kwargs):
        entered.set()
        assert release.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(ManufacturerViewSet, "create_service", staticmethod(slow_create))
    body = {"name": "Racing Diodes", "country": "GB"}
    results: dict[str, object] = {}
    first = _in_thread(lambda: post(token_client(token), "/api/v1/manufacturers/", body, "race"), results, "first")
    assert entered.wait(30)
    second = _in_thread(lambda: post(token_client(token), "/api/v1/manufacturers/", body, "race"), results, "second")
    second.join(30)
    release.set()
    first.join(30)
    assert results["second"].status_code == 409
    assert results["second"].json()["code"] == "idempotency_key_in_flight"
    assert results["first"].status_code == 201
    replay = post(token_client(token), "/api/v1/manufacturers/", body, "race")
    assert replay.status_code == 201 and replay.json() == results["first"].json()
    assert manufacturers_named("Racing Diodes") == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_one_key_create_once(world):
    token = world.a.tokens["cb"][0]
    path = f"/api/v1/certification-bodies/{world.a.cb.pk}/"
    assert token_client(token).get(path).status_code == 200
    body = {"name": "Twin Race Crystals", "country": "GB"}
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def call():
        start.wait(30)
        return post(token_client(token), "/api/v1/manufacturers/", body, "twin")

    threads = [_in_thread(call, results, slot) for slot in ("a", "b")]
    for thread in threads:
        thread.join(60)
    statuses = sorted(r.status_code for r in results.values())
    # one created it; the other was either told the first is in flight, or got the first's answer replayed
    assert statuses in ([201, 201], [201, 409]), statuses
    assert manufacturers_named("Twin Race Crystals") == 1
    with scope(SYSTEM):
        assert CertificationBody.objects.filter(pk=world.a.cb.pk).exists()
