"""The portal shell (PL-06): sign-in with optional TOTP, role-aware navigation, transitions, forms, languages."""

import base64
import re

import pyotp
import pytest
from django.apps import apps
from django.test import Client

from bodies.choices import CertificationBodyState as S
from bodies.models import CertificationBody
from iecq import qr
from iecq.models import User
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Manufacturer

from .factories import PASSWORD, SYSTEM

pytestmark = pytest.mark.req("PL-06")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_sign_in_with_password_lands_on_the_home_page(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert "Welcome, Alphaside Certification" in page and "CB administrator" in page


def test_wrong_password_keeps_the_username_and_says_so(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    response = Client().post("/accounts/login/", {"username": user.username, "password": "nope"})
    page = response.content.decode()
    assert response.status_code == 200 and f'value="{user.username}"' in page
    assert "Please enter a correct username and password" in page


def test_totp_enrolment_then_two_step_sign_in(world):
    user, _p = world.a.users[Role.CB_CLERK]
    client = signed_in(user)
    page = client.get("/accounts/two-factor/").content.decode()
    user.refresh_from_db()
    assert user.totp_secret and user.totp_secret in page
    # The QR code on the page, scanned as an authenticator app would, gives the key.
    image = base64.b64decode(re.search(r'<img src="data:image/png;base64,([^"]+)"', page).group(1))
    scanned = qr.read(image)
    assert scanned.startswith("otpauth://totp/") and f"secret={user.totp_secret}" in scanned
    client.post("/accounts/two-factor/", {"code": "000000"})
    user.refresh_from_db()
    assert not user.totp_enabled
    client.post("/accounts/two-factor/", {"code": pyotp.TOTP(user.totp_secret).now()})
    user.refresh_from_db()
    assert user.totp_enabled

    fresh = Client()
    response = fresh.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
    assert fresh.get("/").context["user"].is_authenticated is False  # not signed in yet
    response = fresh.post("/accounts/login/verify/", {"code": "123456"})
    assert "That code is not right" in response.content.decode()
    response = fresh.post("/accounts/login/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 302
    assert fresh.get("/").context["user"] == user


def test_five_wrong_codes_send_the_user_back_to_the_password(world):
    user, _p = world.a.users[Role.CB_CLERK]
    User.objects.filter(pk=user.pk).update(totp_secret=pyotp.random_base32(), totp_enabled=True)
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    for _ in range(5):
        response = client.post("/accounts/login/verify/", {"code": "000000"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"


@pytest.mark.parametrize(
    ("side_role", "present", "absent"),
    [
        (Role.CB_ADMIN, ["Manufacturers", "API tokens"], ["My company"]),
        (Role.CB_AUDITOR, ["Manufacturers"], ["API tokens", "My company"]),
        (Role.MF_ADMIN, ["My company", "API tokens"], [">Manufacturers<"]),
        (Role.SB_VIEWER, ["Manufacturers"], ["API tokens"]),
    ],
)
def test_navigation_follows_the_role(world, side_role, present, absent):
    user, _p = world.a.users[side_role]
    nav = signed_in(user).get("/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    for label in present:
        assert label in nav
    for label in absent:
        assert label not in nav


def test_operator_takes_a_decision_in_the_portal_and_it_is_logged(world):
    user, _p = world.operator
    client = signed_in(user)
    page = client.get(f"/bodies/{world.a.cb.pk}/").content.decode()
    assert "Start assessment" in page and "Approve" not in page  # only what the state allows
    response = client.post(
        f"/bodies/{world.a.cb.pk}/transitions/start_assessment/", {"reason": "File complete"}, follow=True
    )
    page = response.content.decode()
    assert "Done: Start assessment." in page and "File complete" in page
    with scope(SYSTEM):
        assert CertificationBody.objects.get(pk=world.a.cb.pk).state == S.UNDER_ASSESSMENT


def test_a_refused_decision_explains_why_and_changes_nothing(world):
    user, _p = world.operator
    client = signed_in(user)
    client.post(f"/bodies/{world.public_cb.pk}/transitions/suspend/", {"reason": ""}, follow=True)
    with scope(SYSTEM):
        assert CertificationBody.objects.get(pk=world.public_cb.pk).state == S.APPROVED
    response = client.post(f"/bodies/{world.public_cb.pk}/transitions/approve/", {}, follow=True)
    assert "“Approve” is not possible" in response.content.decode()


def test_cb_staff_see_no_decision_buttons_on_their_own_cb(world):
    user, _p = world.a.users[Role.CB_ADMIN]
    page = signed_in(user).get(f"/bodies/{world.a.cb.pk}/").content.decode()
    assert 'class="transition"' not in page
    response = signed_in(user).post(f"/bodies/{world.a.cb.pk}/transitions/start_assessment/", {}, follow=True)
    assert "Your role may not" in response.content.decode()


def test_refused_form_keeps_what_was_typed(world):
    user, _p = world.a.users[Role.CB_CLERK]
    client = signed_in(user)
    response = client.post(
        "/manufacturers/new/",
        {
            "name": "Bravoside Components",
            "country": "DE",
            "legal_name": "Typed With Care GmbH",
            "website": "",
            "email": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "already registered" in page and 'value="Typed With Care GmbH"' in page
    with scope(SYSTEM):
        assert Manufacturer.objects.filter(name="Bravoside Components").count() == 1


@pytest.mark.req("MF-05")
def test_manufacturer_edits_its_own_details_and_adds_a_site(world):
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    client = signed_in(user)
    m = world.a.manufacturer
    response = client.post(
        f"/manufacturers/{m.pk}/edit/",
        {
            "name": "Alphaside Components",
            "country": "GB",
            "legal_name": "Alphaside Components plc",
            "website": "https://alphaside.example",
            "email": "",
        },
    )
    assert response.status_code == 302
    client.post(
        f"/manufacturers/{m.pk}/sites/new/", {"name": "Penang", "address": "Lot 5", "city": "Penang", "country": "MY"}
    )
    page = client.get(f"/manufacturers/{m.pk}/").content.decode()
    assert "Alphaside Components plc" in page and "Penang" in page


def test_submitter_cannot_edit_the_company(world):
    user, _p = world.a.users[Role.MF_SUBMITTER]
    response = signed_in(user).post(
        f"/manufacturers/{world.a.manufacturer.pk}/edit/", {"name": "Renamed", "country": "GB"}
    )
    assert response.status_code == 200 and "Only the manufacturer" in response.content.decode()


def test_admin_creates_and_revokes_a_token_in_the_portal(world):
    user, _p = world.a.users[Role.MF_ADMIN]
    client = signed_in(user)
    response = client.post(
        "/settings/api-tokens/",
        {"name": "ERP", "role": Role.MF_SUBMITTER, "scopes": ["manufacturers:read"], "expires_in_days": 30},
    )
    page = response.content.decode()
    assert "Copy this token now" in page and "iecq_" in page
    from iecq.models import ApiToken

    with scope(SYSTEM):
        token = ApiToken.objects.get(name="ERP")
    client.post("/settings/api-tokens/", {"revoke": token.pk})
    with scope(SYSTEM):
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    auditor, _p = world.a.users[Role.CB_AUDITOR]
    assert signed_in(auditor).get("/settings/api-tokens/").status_code == 404


@pytest.mark.parametrize(("language", "text"), [("en", "Certification bodies"), ("fr", "Organismes de certification")])
def test_pages_in_english_and_french(world, language, text):
    user, _p = world.a.users[Role.CB_ADMIN]
    client = signed_in(user)
    client.cookies["django_language"] = language
    page = client.get("/bodies/").content.decode()
    assert f'lang="{language}"' in page and text in page


def table_counts() -> dict[str, int]:
    with scope(SYSTEM):
        return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def test_a_crawler_following_every_link_changes_nothing(world):
    """GET never writes: every page and API read, as every role, leaves every table as it was."""
    from .test_isolation import fill, walk

    before = table_counts()
    users = [u for u, _p in world.a.users.values()] + [world.operator[0]]
    own = {CertificationBody: world.a.cb.pk, Manufacturer: world.a.manufacturer.pk}
    fetched = 0
    for user in users:
        client = signed_in(user)
        for route in walk():
            if route.params and (route.model not in own or "name" in route.params):
                continue
            client.get(fill(route, {"pk": own.get(route.model, 0)}))
            fetched += 1
    assert fetched > 100
    after = table_counts()
    after.pop("sessions.Session"), before.pop("sessions.Session")
    assert after == before


def test_the_french_catalogue_is_complete_and_compiled():
    """Every message of the portal, the PDFs and the emails has a French translation (PL-06)."""
    import re
    from pathlib import Path

    locale = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES"
    text = (locale / "django.po").read_text()
    entries = [b for b in text.split("\n\n")[1:] if "msgid" in b and not b.lstrip().startswith("#~")]
    untranslated = [b for b in entries if re.search(r'msgstr ""\s*$', b.strip())]
    assert len(entries) > 1000
    assert untranslated == [] and "#, fuzzy" not in text
    from django.utils import translation

    with translation.override("fr"):  # the compiled catalogue carries the latest strings too
        assert translation.gettext("Report a defect") != "Report a defect"
