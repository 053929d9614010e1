"""The API skeleton (PL-03): problem details, tokens with scopes and expiry, pagination, schema, writes."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from bodies.choices import CertificationBodyState as S
from bodies.models import CertificationBody
from iecq.models import ApiToken
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Manufacturer

from .conftest import token_client
from .factories import SYSTEM, make_token

pytestmark = pytest.mark.req("PL-03")
PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:iecq:problem:{code}" and body["title"] and body["detail"]
    return body


def test_unknown_record_is_a_404_problem(world):
    client = token_client(world.a.tokens["cb"][0])
    body = assert_problem(client.get("/api/v1/certification-bodies/987654/"), 404, "not_found")
    assert body["instance"] == "/api/v1/certification-bodies/987654/"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer nonsense", "token_malformed"),
        ("Bearer iecq_deadbeef_secret", "token_invalid"),
        ("Token iecq__x", "token_malformed"),
        ("Basic dXNlcjpwYXNz", "token_malformed"),
    ],
)
def test_bad_tokens_are_401_problems(world, api, header, code):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/manufacturers/")
    assert_problem(response, 401, code)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_right_prefix_wrong_secret_is_refused(world, api):
    token = world.a.tokens["cb"][0]
    api.credentials(HTTP_AUTHORIZATION="Bearer " + token[:-3] + "xyz")
    assert_problem(api.get("/api/v1/manufacturers/"), 401, "token_invalid")


def test_expired_and_revoked_tokens_stop_working(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    token, principal = make_token(world.a.cb_org, Role.CB_ADMIN, user, days=1)
    client = token_client(token)
    assert client.get("/api/v1/manufacturers/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert_problem(client.get("/api/v1/manufacturers/"), 401, "token_expired")
    with scope(SYSTEM):
        ApiToken.objects.filter(pk=principal.token_id).update(revoked_at=timezone.now())
    assert_problem(client.get("/api/v1/manufacturers/"), 401, "token_revoked")


def test_token_scopes_limit_reads_and_writes(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    token, _p = make_token(world.a.cb_org, Role.CB_ADMIN, user, scopes=["manufacturers:read"])
    client = token_client(token)
    assert client.get("/api/v1/manufacturers/").status_code == 200
    assert_problem(client.get("/api/v1/certification-bodies/"), 403, "permission_denied")
    response = client.post("/api/v1/manufacturers/", {"name": "New Co", "country": "GB"}, format="json")
    assert_problem(response, 403, "permission_denied")
    with scope(SYSTEM):
        assert not Manufacturer.objects.filter(name="New Co").exists()


def test_token_sees_what_its_organisation_sees(world):
    client = token_client(world.a.tokens["manufacturer"][0])
    names = [m["name"] for m in client.get("/api/v1/manufacturers/").json()["results"]]
    assert names == ["Alphaside Components"]
    me = client.get("/api/v1/me/").json()
    assert me["manufacturer_id"] == world.a.manufacturer.pk and "manufacturers:write" in me["scopes"]


def test_anonymous_reads_only_public_rows_and_cannot_write(world, api):
    names = [c["name"] for c in api.get("/api/v1/certification-bodies/").json()["results"]]
    assert names == ["Publicside Certification"]
    assert_problem(
        api.post("/api/v1/manufacturers/", {"name": "X", "country": "GB"}, format="json"), 401, "not_authenticated"
    )


def test_illegal_transition_is_a_409_problem(world):
    client = world.operator_api()
    response = client.post(f"/api/v1/certification-bodies/{world.a.cb.pk}/approve/", {}, format="json")
    assert_problem(response, 409, "illegal_transition")
    response = client.post(
        f"/api/v1/certification-bodies/{world.a.cb.pk}/start-assessment/", {"reason": "complete file"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == S.UNDER_ASSESSMENT
    history = client.get(f"/api/v1/certification-bodies/{world.a.cb.pk}/history/").json()
    assert [(h["source"], h["target"], h["reason"]) for h in history] == [
        (S.APPLIED, S.UNDER_ASSESSMENT, "complete file")
    ]


def test_forbidden_transition_is_a_403_problem(world):
    client = token_client(world.a.tokens["cb"][0])
    response = client.post(f"/api/v1/certification-bodies/{world.a.cb.pk}/start-assessment/", {}, format="json")
    assert_problem(response, 403, "forbidden")


def test_validation_errors_name_each_field(world):
    client = token_client(world.a.tokens["cb"][0])
    body = assert_problem(
        client.post("/api/v1/manufacturers/", {"country": "XX", "website": "not a url"}, format="json"),
        400,
        "validation_failed",
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "country", "website"} <= fields


def test_unknown_fields_are_refused_not_dropped(world):
    client = token_client(world.a.tokens["manufacturer"][0])
    body = assert_problem(
        client.patch(
            f"/api/v1/manufacturers/{world.a.manufacturer.pk}/", {"state": "approved", "name": "Renamed"}, format="json"
        ),
        400,
        "validation_failed",
    )
    assert [e["field"] for e in body["errors"]] == ["state"]
    with scope(SYSTEM):
        assert Manufacturer.objects.get(pk=world.a.manufacturer.pk).name == "Alphaside Components"


def test_duplicate_registration_is_a_clear_400(world):
    client = token_client(world.a.tokens["cb"][0])
    response = client.post("/api/v1/manufacturers/", {"name": "bravoside components", "country": "DE"}, format="json")
    body = assert_problem(response, 400, "validation_failed")
    assert body["errors"][0]["field"] == "name"


def test_hostile_bodies_get_problems(world):
    client = token_client(world.a.tokens["cb"][0])
    assert_problem(
        client.post("/api/v1/manufacturers/", "{not json", content_type="application/json"), 400, "parse_error"
    )
    assert_problem(
        client.post("/api/v1/manufacturers/", "name=x", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    assert_problem(
        client.post("/api/v1/manufacturers/", json.dumps(["a", "list"]), content_type="application/json"),
        400,
        "validation_failed",
    )
    body = assert_problem(
        client.post("/api/v1/manufacturers/", {"name": "x" * 5000, "country": "GB"}, format="json"),
        400,
        "validation_failed",
    )
    assert body["errors"][0]["field"] == "name"


@pytest.mark.req("MF-05")
def test_cb_staff_register_a_manufacturer_and_keep_seeing_it(world):
    client = token_client(world.a.tokens["cb"][0])
    response = client.post("/api/v1/manufacturers/", {"name": "Severn Inductors", "country": "GB"}, format="json")
    assert response.status_code == 201, response.content
    new_id = response.json()["id"]
    assert client.get(f"/api/v1/manufacturers/{new_id}/").status_code == 200
    engagements = client.get(f"/api/v1/engagements/?manufacturer={new_id}").json()["results"]
    assert [e["certification_body"] for e in engagements] == [world.a.cb.pk]


def test_cursor_pagination(world):
    with scope(SYSTEM):
        for i in range(7):
            CertificationBody.objects.create(name=f"Paged CB {i}", country="FR")
    client = world.operator_api()
    seen = []
    url = "/api/v1/certification-bodies/?page_size=4"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 4
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 10


def test_filters_on_lists(world):
    client = world.operator_api()
    assert [c["name"] for c in client.get("/api/v1/certification-bodies/?country=DE").json()["results"]] == [
        "Bravoside Certification"
    ]
    states = {c["state"] for c in client.get("/api/v1/certification-bodies/?state=approved").json()["results"]}
    assert states == {S.APPROVED}
    assert_problem(client.get("/api/v1/certification-bodies/?state=bogus"), 400, "validation_failed")


def test_tokens_created_by_admins_shown_once(world, client):
    user, _p = world.a.users[Role.CB_ADMIN]
    client.force_login(user)
    response = client.post(
        "/api/v1/tokens/",
        {"name": "ERP", "role": Role.CB_CLERK, "scopes": ["bodies:read"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    secret = response.json()["token"]
    assert token_client(secret).get("/api/v1/me/").json()["role"] == Role.CB_CLERK
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert all("token" not in t and "secret_hash" not in t for t in listed)
    with scope(SYSTEM):
        assert secret.split("_")[2] not in json.dumps(list(ApiToken.objects.values()), default=str)
    bad = client.post(
        "/api/v1/tokens/",
        {"name": "x", "role": Role.MF_ADMIN, "scopes": ["bodies:read"]},
        content_type="application/json",
    )
    assert_problem(bad, 400, "validation_failed")


def test_non_admins_cannot_create_tokens(world, client):
    user, _p = world.a.users[Role.CB_AUDITOR]
    client.force_login(user)
    response = client.post(
        "/api/v1/tokens/",
        {"name": "x", "role": Role.CB_AUDITOR, "scopes": ["bodies:read"]},
        content_type="application/json",
    )
    assert_problem(response, 403, "forbidden")


def test_schema_is_valid_and_complete(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/certification-bodies/{id}/suspend/", "/api/v1/manufacturers/{id}/", "/api/v1/tokens/"):
        assert path in text
    assert "application/problem+json" in text or "Problem" in text


def test_docs_page_loads_nothing_from_elsewhere(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in html
    import re

    external = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if u.startswith(("http:", "https:", "//"))]
    assert external == []
