"""Brute-force sign-in and token guessing (iecq/lockout.py): locked per account and address, per address, and
per account for unknown addresses only, so an attacker cannot lock the real user out from everywhere."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from iecq import lockout
from iecq.roles import Role

from .conftest import token_client
from .factories import PASSWORD

pytestmark = pytest.mark.req("PL-01")

LIMITS = {"IECQ_LOCKOUT_FAILURES": 3, "IECQ_LOCKOUT_ADDRESS_FAILURES": 10, "IECQ_LOCKOUT_WINDOW_SECONDS": 900}


def sign_in(username: str, password: str, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@override_settings(**LIMITS)
def test_an_account_is_locked_for_the_guessing_address_and_not_for_its_owner(world, reliability):
    reliability.describe(
        "Brute force",
        "Sign-in and API token guessing (iecq/lockout.py): locked per address, per account and address, and per "
        "account for unknown addresses only, so the owner keeps signing in from a known address.",
    )
    user, _p = world.a.users[Role.CB_ADMIN]
    name = user.get_username()
    assert signed_in(sign_in(name, PASSWORD, "198.51.100.1"))  # the owner's usual address becomes known
    for _ in range(3):
        response = sign_in(name, "wrong guess", "203.0.113.7")
        assert response.status_code == 200 and not signed_in(response)
    locked = sign_in(name, PASSWORD, "203.0.113.7")  # even the right password: not checked while locked
    page = locked.content.decode()
    assert locked.status_code == 429 and not signed_in(locked)
    assert "Too many failed sign-in attempts" in page and f'value="{name}"' in page
    assert int(locked["Retry-After"]) > 0
    assert signed_in(sign_in(name, PASSWORD, "198.51.100.1"))  # the owner is not locked out
    assert signed_in(sign_in(name, PASSWORD, "192.0.2.50"))  # nor is a new address, yet: 3 failures only
    reliability.add("Brute force", "login lockouts proven", 1)


@override_settings(**LIMITS)
def test_a_distributed_attack_locks_unknown_addresses_only(world, reliability):
    user, _p = world.a.users[Role.CB_ADMIN]
    name = user.get_username()
    assert signed_in(sign_in(name, PASSWORD, "198.51.100.1"))
    attempts = 0
    for n in range(lockout.DISTRIBUTED_FACTOR * 3):  # 2 guesses from each of many addresses: under the pair limit
        response = sign_in(name, "wrong guess", f"203.0.113.{n // 2}")
        attempts += 1
        assert response.status_code == 200
    assert sign_in(name, PASSWORD, "192.0.2.50").status_code == 429  # a new place: locked
    assert signed_in(sign_in(name, PASSWORD, "198.51.100.1"))  # the owner's known address still works
    reliability.record("Brute force", "distributed guesses before unknown addresses lock", attempts)


@override_settings(**LIMITS)
def test_one_address_guessing_many_accounts_is_locked_for_all_of_them(world, reliability):
    user, _p = world.a.users[Role.CB_ADMIN]
    for n in range(10):
        assert sign_in(f"nobody-{n}", "guess", "203.0.113.9").status_code == 200
    assert sign_in(user.get_username(), PASSWORD, "203.0.113.9").status_code == 429
    assert signed_in(sign_in(user.get_username(), PASSWORD, "203.0.113.10"))
    # Unknown accounts are counted like real ones: the answer does not tell an attacker which names exist.
    assert lockout.failures("login", "nobody-0", "203.0.113.9")["pair"] == 1
    reliability.add("Brute force", "login lockouts proven", 1)


@override_settings(**LIMITS)
def test_a_window_later_the_lock_is_gone(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    for _ in range(3):
        sign_in(user.get_username(), "wrong", "203.0.113.7")
    assert sign_in(user.get_username(), PASSWORD, "203.0.113.7").status_code == 429
    from django.core.cache import cache

    for key in lockout._keys("login", user.get_username(), "203.0.113.7").values():
        cache.delete(key)  # what the cache's expiry does after IECQ_LOCKOUT_WINDOW_SECONDS
    assert signed_in(sign_in(user.get_username(), PASSWORD, "203.0.113.7"))


@override_settings(**LIMITS)
def test_token_guessing_is_locked_per_address_and_a_real_token_keeps_working_elsewhere(world, reliability):
    token, _p = world.a.tokens["cb"]
    prefix = token.split("_")[1]
    guesser = token_client(f"iecq_{prefix}_wrongsecret")
    guesser.defaults["REMOTE_ADDR"] = "203.0.113.7"
    for _ in range(3):
        assert guesser.get("/api/v1/certification-bodies/").status_code == 401
    refused = guesser.get("/api/v1/certification-bodies/")
    assert refused.status_code == 429 and refused["Content-Type"].startswith("application/problem+json")
    assert int(refused["Retry-After"]) > 0
    right_from_there = token_client(token)
    right_from_there.defaults["REMOTE_ADDR"] = "203.0.113.7"
    assert right_from_there.get("/api/v1/certification-bodies/").status_code == 429  # not checked while locked
    owner = token_client(token)
    owner.defaults["REMOTE_ADDR"] = "198.51.100.1"
    assert owner.get("/api/v1/certification-bodies/").status_code == 200
    # Random prefixes from one address: the address lock.
    for n in range(10):
        token_client(f"iecq_nope{n}_x").get("/api/v1/certification-bodies/", REMOTE_ADDR="203.0.113.99")
    other = token_client(token)
    assert other.get("/api/v1/certification-bodies/", REMOTE_ADDR="203.0.113.99").status_code == 429
    reliability.add("Brute force", "token lockouts proven", 2)


@override_settings(**LIMITS)
def test_a_distributed_token_attack_spares_the_integrators_known_address(world):
    token, _p = world.a.tokens["cb"]
    prefix = token.split("_")[1]
    assert token_client(token).get("/api/v1/certification-bodies/", REMOTE_ADDR="198.51.100.1").status_code == 200
    for n in range(lockout.DISTRIBUTED_FACTOR * 3):
        token_client(f"iecq_{prefix}_guess{n}").get("/api/v1/certification-bodies/", REMOTE_ADDR=f"203.0.113.{n}")
    assert token_client(token).get("/api/v1/certification-bodies/", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert token_client(token).get("/api/v1/certification-bodies/", REMOTE_ADDR="198.51.100.1").status_code == 200
