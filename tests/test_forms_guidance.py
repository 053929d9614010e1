"""Forms that guide (PL-06): every field explained, checked as it is typed (htmx, through the form's own URL, nothing
saved), an application kept as a draft to come back to, a PCN draft kept in the browser, and nothing typed lost when
the server refuses the form, a refused file included."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from certification.choices import ApplicationState
from certification.forms import ApplicationForm
from certification.models import Application, Certificate
from iecq.roles import Role
from iecq.tenancy import scope
from surveillance.forms import PCNSubmitForm
from surveillance.models import ProcessChangeNotification

from .factories import SYSTEM
from .test_certification_portal import approve, own_site, reference_data

pytestmark = pytest.mark.req("PL-06")

HTMX = {"HTTP_HX_REQUEST": "true"}
APPLY = "/certification/applications/new/"
PCN = "/surveillance/pcns/new/"


def signed_in(world, role) -> Client:
    client = Client()
    client.force_login(world.a.users[role][0])
    return client


def count(model) -> int:
    with scope(SYSTEM):
        return model.objects.count()


def field_value(page: str, name: str) -> str:
    """The value an input or textarea named `name` is rendered with."""
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\s*(.*?)</textarea>', page, re.S)
    if textarea:
        return textarea.group(1)
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else ""


@pytest.mark.parametrize("form_class", [ApplicationForm, PCNSubmitForm])
def test_every_field_of_the_application_and_pcn_forms_is_explained(form_class):
    # Only the field declarations matter here: no database, no principal.
    missing = [name for name, field in form_class.base_fields.items() if not str(field.help_text or "").strip()]
    assert not missing, f"{form_class.__name__}: fields without help text: {missing}"


def test_the_application_form_ties_help_and_groups_to_their_fields(world):
    page = signed_in(world, Role.MF_QUALITY_MANAGER).get(APPLY).content.decode()
    # A screen reader reads the help with the field, and a group of boxes under its name.
    assert 'aria-describedby="id_component_types_helptext"' in page and 'id="id_component_types_helptext"' in page
    assert re.search(r'<fieldset aria-describedby="id_technologies_helptext">\s*<legend>Technologies</legend>', page)
    assert "only when you press “Submit application”" in page  # the draft is explained before saving
    assert f'hx-post="{APPLY}"' in page and '"_validate": "component_types"' in page


def test_a_field_is_checked_as_it_is_typed_and_nothing_is_saved(world):
    client = signed_in(world, Role.MF_QUALITY_MANAGER)
    before = count(Application)
    answer = client.post(APPLY, {"_validate": "component_types", "component_types": "  "}, **HTMX)
    fragment = answer.content.decode()
    assert answer.status_code == 200
    assert 'id="id_component_types_error"' in fragment and "This field is required." in fragment
    assert "<form" not in fragment and "sites" not in fragment  # only this field's errors, not the form's
    ok = client.post(APPLY, {"_validate": "component_types", "component_types": "MLCC class 1"}, **HTMX)
    assert ok.status_code == 200 and "errorlist" not in ok.content.decode()
    assert count(Application) == before

    pcn = signed_in(world, Role.MF_QUALITY_MANAGER).post(
        PCN, {"_validate": "planned_on", "planned_on": "next tuesday"}, **HTMX
    )
    assert "Enter a valid date." in pcn.content.decode()
    assert client.post(APPLY, {"_validate": "no_such_field"}, **HTMX).status_code == 400


def test_checking_a_field_needs_the_same_right_as_the_form(world):
    cb_clerk = signed_in(world, Role.CB_CLERK)
    assert cb_clerk.post(APPLY, {"_validate": "component_types", "component_types": ""}, **HTMX).status_code == 403
    foreign = world.b.records[Application]
    answer = signed_in(world, Role.MF_QUALITY_MANAGER).post(
        f"/certification/applications/{foreign.pk}/edit/", {"_validate": "component_types"}, **HTMX
    )
    assert answer.status_code == 404


@pytest.mark.req("MF-04")
def test_a_manufacturer_saves_an_application_as_a_draft_and_comes_back_to_it(world):
    approve(world, world.a.cb)
    scheme, tech = reference_data()
    client = signed_in(world, Role.MF_QUALITY_MANAGER)
    response = client.post(
        APPLY,
        {
            "certification_body": world.a.cb.pk,
            "scheme": scheme.pk,
            "route": "technology_qualification",
            "technologies": [tech.pk],
            "component_types": "Tantalum polymer capacitors",
            "sites": [own_site(world.a.manufacturer).pk],
        },
    )
    assert response.status_code == 302
    with scope(SYSTEM):
        app = Application.objects.get(component_types="Tantalum polymer capacitors")
    assert app.state == ApplicationState.INQUIRY

    detail = client.get(f"/certification/applications/{app.pk}/").content.decode()
    assert "This application is your draft" in detail and f"/certification/applications/{app.pk}/edit/" in detail
    edit = client.get(f"/certification/applications/{app.pk}/edit/").content.decode()
    assert "Tantalum polymer capacitors" in field_value(edit, "component_types")
    assert re.search(rf'value="{tech.pk}"[^>]*checked', edit)  # the technologies chosen are still ticked

    client.post(
        f"/certification/applications/{app.pk}/edit/",
        {
            "scheme": scheme.pk,
            "route": "technology_qualification",
            "technologies": [tech.pk],
            "component_types": "Tantalum polymer capacitors, case sizes B and D",
            "specifications": "IEC 60384-24:2021",
            "sites": [own_site(world.a.manufacturer).pk],
        },
    )
    with scope(SYSTEM):
        app.refresh_from_db()
    assert app.state == ApplicationState.INQUIRY and app.specifications == "IEC 60384-24:2021"


def test_a_refused_application_keeps_what_was_typed(world):
    scheme, _tech = reference_data()
    response = signed_in(world, Role.MF_QUALITY_MANAGER).post(
        APPLY,
        {
            "scheme": scheme.pk,
            "component_types": "Film capacitors for motor drives",
            "specifications": "IEC 60384-14",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "This field is required." in page
    assert field_value(page, "component_types").strip() == "Film capacitors for motor drives"
    assert field_value(page, "specifications").strip() == "IEC 60384-14"
    assert re.search(rf'<option value="{scheme.pk}" selected>', page)
    assert 'aria-invalid="true"' in page  # the refused fields say so to assistive technology


@pytest.mark.req("MF-02")
def test_a_refused_file_keeps_the_other_entries_and_says_to_choose_it_again(world):
    app = world.a.records[Application]
    effective = (timezone.now().date() - timedelta(days=2)).isoformat()
    response = signed_in(world, Role.MF_QUALITY_MANAGER).post(
        f"/certification/applications/{app.pk}/evidence/new/",
        {
            "title": "Process flow chart, issue 3",
            "effective_on": effective,
            "file": SimpleUploadedFile("flow.exe", b"MZ\x90\x00 not a document", "application/pdf"),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Only PDF, PNG and JPEG documents are accepted." in page
    assert field_value(page, "title") == "Process flow chart, issue 3"
    assert field_value(page, "effective_on") == effective
    assert "choose it again" in page


@pytest.mark.req("SV-05")
def test_a_refused_pcn_keeps_what_was_typed_and_offers_its_browser_draft(world):
    cert = world.a.records[Certificate]
    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    client = signed_in(world, Role.MF_QUALITY_MANAGER)
    page = client.get(PCN).content.decode()
    assert f'data-draft="pcn-submit:{user.pk}"' in page and "js/forms.js" in page
    before = count(ProcessChangeNotification)
    response = client.post(PCN, {"certificate": cert.pk, "title": "New reflow furnace on line 3", "planned_on": "x"})
    page = response.content.decode()
    assert response.status_code == 200 and count(ProcessChangeNotification) == before
    assert field_value(page, "title") == "New reflow furnace on line 3"
    assert re.search(rf'<option value="{cert.pk}" selected>', page)
    assert "Enter a valid date." in page and "This field is required." in page
