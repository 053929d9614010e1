"""PL-01/API: who a token acts for comes from the cache until a token, organisation or supervisory body changes
(iecq/api/token_cache.py). These tests commit (transaction=True): entries are only stored outside transactions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from iecq.api import token_cache
from iecq.models import ApiToken, Organisation
from iecq.roles import Role
from iecq.services import api_token_revoke
from iecq.tenancy import scope

from .conftest import token_client
from .factories import SYSTEM

pytestmark = [pytest.mark.req("PL-01"), pytest.mark.django_db(transaction=True)]


def _token_queries(queries) -> int:
    return sum('"iecq_apitoken"' in q["sql"] and q["sql"].lstrip().startswith("SELECT") for q in queries)


def test_a_known_token_is_not_read_again_and_a_wrong_secret_still_fails(world):
    raw = world.a.tokens["cb"][0]
    api = token_client(raw)
    assert api.get("/api/v1/certificates/").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/certificates/").status_code == 200
    assert _token_queries(captured.captured_queries) == 0
    prefix = raw.split("_")[1]
    wrong = token_client(f"iecq_{prefix}_{'x' * 40}")
    response = wrong.get("/api/v1/certificates/")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_a_revocation_takes_effect_on_the_next_request(world):
    raw = world.a.tokens["cb"][0]
    api = token_client(raw)
    assert api.get("/api/v1/certificates/").status_code == 200
    assert api.get("/api/v1/certificates/").status_code == 200  # from the cache
    prefix = raw.split("_")[1]
    with scope(SYSTEM):
        token = ApiToken.objects_unscoped.get(prefix=prefix)
    api_token_revoke(actor=world.a.users[Role.CB_ADMIN][1], pk=token.pk)
    response = api.get("/api/v1/certificates/")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_an_entry_read_before_a_change_and_stored_after_it_is_never_used(world):
    raw = world.a.tokens["cb"][0]
    prefix = raw.split("_")[1]
    entry, generation = token_cache.lookup(prefix)
    assert entry is None
    with scope(SYSTEM):
        token = ApiToken.objects_unscoped.select_related("organisation").get(prefix=prefix)
    from iecq.principals import principal_from_token

    token_cache.forget_all()  # a revocation commits while the request reads the token
    token_cache.store(prefix, generation, token=token, principal=principal_from_token(token))
    assert token_cache.lookup(prefix)[0] is None


def test_an_organisation_change_reaches_the_next_request(world):
    """A token's organisation that moves country acts for the new one at once (the principal is rebuilt)."""
    raw = world.a.tokens["cb"][0]
    api = token_client(raw)
    assert api.get("/api/v1/certificates/").status_code == 200
    prefix = raw.split("_")[1]
    first, _g = token_cache.lookup(prefix)
    assert first is not None and first["principal"]["organisation_id"]
    with scope(SYSTEM):
        org = Organisation.objects_unscoped.get(pk=first["principal"]["organisation_id"])
        org.name = org.name + " (renamed)"
        org.save()
    assert token_cache.lookup(prefix)[0] is None  # forgotten: the next request reads the database again
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/certificates/").status_code == 200
    assert _token_queries(captured.captured_queries) == 1
