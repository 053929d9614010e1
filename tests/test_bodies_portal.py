"""Portal pages of the bodies app: what each role sees and does on them (CB-01 … CB-10, PL-01, PL-06)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bodies import services
from bodies.choices import REQUIREMENT_TABLE
from bodies.choices import CertificationBodyState as S
from bodies.models import (
    Accreditation,
    AccreditationBody,
    Auditor,
    AuditorTraining,
    CBAssessment,
    CBSuspensionRequest,
    CertificationBody,
    Equipment,
    LabAction,
    ProficiencyRound,
    SupervisoryBody,
    Technology,
    TestLaboratory,
)
from iecq.roles import Role
from iecq.tenancy import scope

from .factories import SYSTEM, make_cb, qualify_for_approval

TODAY = timezone.now().date()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def client_of(side, role) -> Client:
    return signed_in(side.users[role][0])


def refreshed(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def row_of(page: str, text: str) -> str:
    """The table row of `page` that contains `text`."""
    rows = [r for r in re.split(r"<tr[ >]", page) if text in r]
    assert rows, f"no row with {text!r}"
    return rows[0].split("</tr>")[0]


def ukas() -> AccreditationBody:
    return AccreditationBody.objects.get(acronym="UKAS")


# --- the CB page ---------------------------------------------------------------------------------------


@pytest.mark.req("CB-01")
@pytest.mark.req("CB-06")
def test_cb_page_shows_why_it_cannot_be_approved(world):
    _u, op = world.operator
    services.certification_body_transition(actor=op, pk=world.a.cb.pk, name="start_assessment")
    with scope(SYSTEM):
        AccreditationBody.objects.filter(acronym="UKAS").update(iaf_mla_signatory=False)

    page = client_of(world.a, Role.CB_ADMIN).get(f"/bodies/{world.a.cb.pk}/").content.decode()
    blockers = page.split('id="blockers-title"')[1].split("</section>")[0]
    assert "Before it can be approved" in blockers
    assert "CB-01: no accreditation in force from an IAF MLA signatory" in blockers
    for category in ("Technical competence", "Process management", "Quality system", "Continuing compliance"):
        assert f"CB-06: {category} has not been assessed." in blockers
    assert "Organizational has not been assessed" not in blockers  # the fixture verified it

    # A client of the CB sees its state, not the assessment's internals.
    client_page = client_of(world.a, Role.MF_ADMIN).get(f"/bodies/{world.a.cb.pk}/").content.decode()
    assert "Under assessment" in client_page and "CB-01" not in client_page and "Accreditations" not in client_page


@pytest.mark.req("CB-01")
@pytest.mark.req("CB-06")
@pytest.mark.req("CB-07")
def test_operator_qualifies_a_cb_through_the_forms_and_approves_it_from_the_page(world):
    cb, _org = make_cb("Charlieside Certification", "GB")
    with scope(SYSTEM):
        capacitors = Technology.objects.get(code="capacitors")
        body = ukas()
    client = signed_in(world.operator[0])
    url = f"/bodies/{cb.pk}/"
    client.post(f"{url}transitions/start_assessment/", {"reason": "File complete"})
    page = client.get(url).content.decode()
    assert "CB-01: no accreditation in force" in page and "CB-02: the technology scope is empty." in page
    assert page.count("has not been assessed.") == 5
    assert f'action="{url}transitions/approve/"' not in page

    assert client.post(f"{url}scope/", {"technologies": [capacitors.pk]}).status_code == 302
    response = client.post(
        f"{url}accreditations/new/",
        {
            "accreditation_body": body.pk,
            "certificate_number": "CHARLIE-0042",
            "scope": "Product certification (ISO/IEC 17065) of passive components",
            "valid_from": (TODAY - timedelta(days=10)).isoformat(),
            "valid_until": (TODAY + timedelta(days=700)).isoformat(),
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    for category, (_criteria, methods) in REQUIREMENT_TABLE.items():
        response = client.post(
            f"{url}requirements/new/",
            {
                "category": category,
                "method": methods[0],
                "result": "verified",
                "evidence": f"Examined the {category} records on site",
                "assessed_on": TODAY.isoformat(),
            },
        )
        assert response.status_code == 302, response.content.decode()

    page = client.get(url).content.decode()
    assert "Every approval condition is met" in page and "CHARLIE-0042" in page
    assert "Not assessed" not in page
    response = client.post(f"{url}transitions/approve/", {"reason": ""}, follow=True)
    assert "Done: Approve." in response.content.decode()
    assert refreshed(CertificationBody, cb.pk).state == S.APPROVED


@pytest.mark.req("CB-06")
def test_a_method_from_another_category_is_refused_on_the_form(world):
    client = signed_in(world.operator[0])
    response = client.post(
        f"/bodies/{world.a.cb.pk}/requirements/new/",
        {
            "category": "quality_system",
            "method": "background_check",
            "result": "verified",
            "evidence": "Audit report QS-7",
            "assessed_on": TODAY.isoformat(),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "This verification method does not apply to this category." in page
    assert "Audit report QS-7</textarea>" in page


# --- refusals keep what was typed; roles see only what they may do ---------------------------------------


@pytest.mark.req("PL-06")
@pytest.mark.req("CB-01")
def test_a_refused_form_keeps_the_typed_values(world):
    client = client_of(world.a, Role.CB_ADMIN)
    with scope(SYSTEM):
        body = ukas()
        before = Accreditation.objects.count()
    response = client.post(
        f"/bodies/{world.a.cb.pk}/accreditations/new/",
        {
            "accreditation_body": body.pk,
            "certificate_number": "Alphaside-ACC",  # UKAS already issued this number
            "scope": "Typed with care: passive components",
            "valid_from": "2026-01-05",
            "valid_until": "2030-01-04",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This accreditation body has already issued this certificate number." in page
    assert 'value="Alphaside-ACC"' in page and "Typed with care: passive components</textarea>" in page
    assert 'value="2030-01-04"' in page
    with scope(SYSTEM):
        assert Accreditation.objects.count() == before


@pytest.mark.req("PL-06")
@pytest.mark.req("CB-04")
def test_a_clerk_sees_no_add_links_and_is_refused_with_the_reason(world):
    auditor = world.a.records[Auditor]
    admin = client_of(world.a, Role.CB_ADMIN)
    clerk = client_of(world.a, Role.CB_CLERK)
    cb_url, auditor_url = f"/bodies/{world.a.cb.pk}/", f"/bodies/auditors/{auditor.pk}/"
    for label in ("Record an accreditation", "Register an auditor", "Register a laboratory"):
        assert label in admin.get(cb_url).content.decode()
        assert label not in clerk.get(cb_url).content.decode()
    for label in ("Add a training record", "Grant a competence", "Record a declaration"):
        assert label in admin.get(auditor_url).content.decode()
        assert label not in clerk.get(auditor_url).content.decode()

    response = clerk.post(
        f"{auditor_url}trainings/new/",
        {"course": "IPC-A-610 refresher", "provider": "", "completed_on": TODAY.isoformat(), "hours": "8"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Only the certification body&#x27;s administrator or certification manager may do this." in page
    assert 'value="IPC-A-610 refresher"' in page
    with scope(SYSTEM):
        assert not AuditorTraining.objects.filter(course="IPC-A-610 refresher").exists()


@pytest.mark.req("PL-01")
def test_a_supervisory_body_of_another_country_gets_404_on_the_cb_pages(world):
    r = world.a.records
    german = client_of(world.b, Role.SB_VIEWER)
    british = client_of(world.a, Role.SB_VIEWER)
    pages = [
        f"/bodies/{world.a.cb.pk}/",
        f"/bodies/{world.a.cb.pk}/findings/new/",
        f"/bodies/{world.a.cb.pk}/suspension-requests/new/",
        f"/bodies/auditors/{r[Auditor].pk}/",
        f"/bodies/laboratories/{r[TestLaboratory].pk}/",
        f"/bodies/assessments/{r[CBAssessment].pk}/",
        f"/bodies/suspension-requests/{r[CBSuspensionRequest].pk}/",
    ]
    for url in pages:
        assert german.get(url).status_code == 404, url
        assert british.get(url).status_code == 200, url
    response = german.post(f"/bodies/{world.a.cb.pk}/findings/new/", {"severity": "major", "description": "x"})
    assert response.status_code == 404
    assert "Alphaside Auditor" not in german.get("/bodies/auditors/").content.decode()
    assert "Record a finding" in british.get(pages[0]).content.decode()


# --- auditors (CB-03, CB-04) -------------------------------------------------------------------------------


def check(client, auditor, *, manufacturer, technology, htmx: bool):
    data = {"manufacturer": manufacturer.pk, "technology": technology.pk, "on": TODAY.isoformat()}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/bodies/auditors/{auditor.pk}/", data, headers=headers)


@pytest.mark.req("CB-03")
@pytest.mark.req("CB-04")
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-javascript"])
def test_the_assignment_check_gives_every_reason(world, htmx):
    auditor = world.a.records[Auditor]
    manufacturer = world.a.manufacturer
    client = client_of(world.a, Role.CB_CERTIFICATION_MANAGER)
    with scope(SYSTEM):
        capacitors = Technology.objects.get(code="capacitors")
        resistors = Technology.objects.create(code="resistors", name="Resistors")

    page = check(client, auditor, manufacturer=manufacturer, technology=capacitors, htmx=htmx).content.decode()
    assert "Alphaside Auditor can be assigned." in page

    # The auditor declares a conflict with the manufacturer; the qualification runs out.
    response = client.post(
        f"/bodies/auditors/{auditor.pk}/declarations/new/",
        {
            "signed_on": TODAY.isoformat(),
            "conflicted_manufacturers": [manufacturer.pk],
            "interests": "Spouse works in its purchasing department",
        },
    )
    assert response.status_code == 302
    with scope(SYSTEM):
        Auditor.objects.filter(pk=auditor.pk).update(qualified_until=TODAY - timedelta(days=1))

    response = check(client, auditor, manufacturer=manufacturer, technology=resistors, htmx=htmx)
    page = response.content.decode()
    assert response.status_code == 200
    expired = (TODAY - timedelta(days=1)).isoformat()
    assert f"CB-04: Alphaside Auditor&#x27;s qualification expired on {expired}." in page
    assert "CB-04: Alphaside Auditor is not competent in Resistors." in page
    assert f"CB-03: Alphaside Auditor declared a conflict of interest with this manufacturer on {TODAY}" in page
    assert "can be assigned." not in page
    if htmx:  # only the result, swapped into the page
        assert "<html" not in page and "Training" not in page
    else:  # the whole page again, with what was chosen still chosen
        assert "<html" in page and "Declarations of interests" in page
        assert f'<option value="{resistors.pk}" selected>Resistors</option>' in page
    assert "HX-Request" in response["Vary"]


@pytest.mark.req("CB-04")
def test_a_cb_manager_registers_an_auditor_with_training_and_competence(world):
    client = client_of(world.a, Role.CB_ADMIN)
    response = client.post(
        "/bodies/auditors/new/",
        {
            "name": "Dana Ohm",
            "email": "dana.ohm@example.org",
            "qualified_until": (TODAY + timedelta(days=700)).isoformat(),
            "audits_performed": "12",
            "experience": "Ten years of capacitor audits",
        },
    )
    assert response.status_code == 302
    url = response["Location"]
    with scope(SYSTEM):
        auditor = Auditor.objects.get(email="dana.ohm@example.org")
        capacitors = Technology.objects.get(code="capacitors")
    assert url == f"/bodies/auditors/{auditor.pk}/" and auditor.certification_body_id == world.a.cb.pk
    client.post(
        f"{url}trainings/new/",
        {"course": "ISO 19011 lead auditor", "provider": "IRCA", "completed_on": TODAY.isoformat(), "hours": "40"},
    )
    client.post(f"{url}competences/new/", {"technology": capacitors.pk, "since": TODAY.isoformat()})
    page = client.get(url).content.decode()
    assert "ISO 19011 lead auditor" in page and "40.0" in page
    assert row_of(page, "Capacitors") and "12 audits performed." in page
    # A second grant of the same competence is refused, with the reason.
    response = client.post(f"{url}competences/new/", {"technology": capacitors.pk, "since": TODAY.isoformat()})
    assert "This competence is already recorded." in response.content.decode()


# --- laboratories (CB-05, CB-10) ---------------------------------------------------------------------------


@pytest.mark.req("CB-10")
def test_overdue_calibration_is_flagged_on_the_laboratory_page(world):
    lab = world.a.records[TestLaboratory]
    equipment = world.a.records[Equipment]
    client = client_of(world.a, Role.CB_CERTIFICATION_MANAGER)
    with scope(SYSTEM):
        Equipment.objects.filter(pk=equipment.pk).update(
            last_calibrated_on=TODAY - timedelta(days=400), calibration_due_on=TODAY - timedelta(days=35)
        )
    response = client.post(
        f"/bodies/laboratories/{lab.pk}/equipment/new/",
        {
            "name": "Climatic chamber",
            "asset_number": "CC-7",
            "calibration_interval_months": "12",
            "calibrated_on": TODAY.isoformat(),
            "certificate_reference": "DAkkS-CAL-1",
        },
    )
    assert response.status_code == 302

    page = client.get(f"/bodies/laboratories/{lab.pk}/").content.decode()
    assert "Calibration overdue" in row_of(page, "Alphaside LCR meter")
    assert "Calibration overdue" not in row_of(page, "Climatic chamber")

    response = client.post(
        f"/bodies/equipment/{equipment.pk}/calibrations/new/",
        {"calibrated_on": TODAY.isoformat(), "certificate_reference": "UKAS-CAL-2026-88", "due_on": ""},
    )
    assert response.status_code == 302 and response["Location"] == f"/bodies/laboratories/{lab.pk}/"
    page = client.get(f"/bodies/laboratories/{lab.pk}/").content.decode()
    assert "Calibration overdue" not in page


@pytest.mark.req("CB-05")
def test_an_unsatisfactory_result_shows_its_action_which_the_manager_closes(world):
    lab = world.a.records[TestLaboratory]
    client = client_of(world.a, Role.CB_ADMIN)
    with scope(SYSTEM):
        round_ = ProficiencyRound.objects.get(code="PT-2026-01")
    url = f"/bodies/laboratories/{lab.pk}/"
    for measurand, z in (("ESR at 100 kHz", "-3.200"), ("Leakage current", "2.500")):
        response = client.post(
            f"{url}proficiency-results/new/", {"round": round_.pk, "measurand": measurand, "z_score": z}
        )
        assert response.status_code == 302
    page = client.get(url).content.decode()
    esr = row_of(page, "ESR at 100 kHz")
    assert "Unsatisfactory (|z| ≥ 3)" in esr and "Investigate the unsatisfactory result" in esr and "Open" in esr
    leakage = row_of(page, "Leakage current")
    assert "Questionable (2 &lt; |z| &lt; 3)" in leakage and "/bodies/lab-actions/" not in leakage

    with scope(SYSTEM):
        action = LabAction.objects.get(result__measurand="ESR at 100 kHz")
    clerk = client_of(world.a, Role.CB_CLERK)
    clerk.post(f"/bodies/lab-actions/{action.pk}/transitions/close/", {"reason": "Looks fine"})
    assert refreshed(LabAction, action.pk).state == "open"
    response = client.post(
        f"/bodies/lab-actions/{action.pk}/transitions/close/", {"reason": "Repeat round passed"}, follow=True
    )
    assert "Done: Close as effective." in response.content.decode()
    assert refreshed(LabAction, action.pk).state == "closed"


# --- oversight (CB-07, CB-08) ------------------------------------------------------------------------------


@pytest.mark.req("CB-08")
def test_the_supervisory_body_of_the_country_takes_part_in_an_assessment(world):
    assessment = world.a.records[CBAssessment]
    url = f"/bodies/assessments/{assessment.pk}/"
    british = client_of(world.a, Role.SB_VIEWER)
    assert "Take part" not in client_of(world.a, Role.CB_ADMIN).get(url).content.decode()
    assert "Take part" in british.get(url).content.decode()

    response = british.post(f"{url}join/", follow=True)
    page = response.content.decode()
    assert "Your supervisory body takes part in this assessment." in page
    assert "GB Supervisory Body" in page.split('id="participants-title"')[1] and "Take part" not in page
    assert client_of(world.b, Role.SB_VIEWER).post(f"{url}join/").status_code == 404


@pytest.mark.req("CB-07")
def test_a_suspension_requested_by_the_supervisory_body_and_accepted_suspends_the_cb(world):
    cb = world.a.cb
    _u, op = world.operator
    qualify_for_approval(cb, marker="portal")
    services.certification_body_transition(actor=op, pk=cb.pk, name="start_assessment")
    services.certification_body_transition(actor=op, pk=cb.pk, name="approve")
    operator = signed_in(world.operator[0])
    operator.post(
        f"/bodies/suspension-requests/{world.a.records[CBSuspensionRequest].pk}/transitions/decline/",
        {"reason": "Already corrected"},
    )

    british = client_of(world.a, Role.SB_VIEWER)
    assert "Ask the operator to suspend" in british.get(f"/bodies/{cb.pk}/").content.decode()
    assert (
        "Ask the operator to suspend" not in client_of(world.a, Role.CB_ADMIN).get(f"/bodies/{cb.pk}/").content.decode()
    )
    response = british.post(
        f"/bodies/{cb.pk}/suspension-requests/new/", {"reason": "Certificates issued outside the scope"}
    )
    assert response.status_code == 302
    request_url = response["Location"]

    page = operator.get(request_url).content.decode()
    assert "Certificates issued outside the scope" in page and "Accept and suspend the CB" in page
    response = operator.post(f"{request_url}transitions/accept/", {"reason": "Confirmed by file review"}, follow=True)
    assert "Done: Accept and suspend the CB." in response.content.decode()
    assert refreshed(CertificationBody, cb.pk).state == S.SUSPENDED
    page = operator.get(f"/bodies/{cb.pk}/").content.decode()
    assert "Before it can be reinstated" in page and "Confirmed by file review" in page


@pytest.mark.req("PL-06")
@pytest.mark.req("PL-01")
def test_the_operator_deactivates_a_supervisory_body_which_then_oversees_nothing(world):
    british = client_of(world.a, Role.SB_VIEWER)
    with scope(SYSTEM):
        body = SupervisoryBody.objects.get(country="GB")
    operator = signed_in(world.operator[0])
    cb_url = f"/bodies/{world.a.cb.pk}/"
    assert "Record a finding" in british.get(cb_url).content.decode()
    response = operator.post(
        f"/bodies/supervisory-bodies/{body.pk}/transitions/deactivate/", {"reason": "Mandate ended"}, follow=True
    )
    page = response.content.decode()
    assert "Done: Deactivate." in page and "Mandate ended" in page and "Reactivate" in page
    assert british.get(cb_url).status_code == 404
    response = british.post(f"{cb_url}findings/new/", {"severity": "major", "description": "Unqualified auditors"})
    assert response.status_code == 404
    operator.post(f"/bodies/supervisory-bodies/{body.pk}/transitions/reactivate/", {"reason": "Mandate renewed"})
    assert "Record a finding" in british.get(cb_url).content.decode()


# --- reference data and navigation (PL-06) -----------------------------------------------------------------


@pytest.mark.req("PL-06")
def test_reference_data_is_read_by_all_and_maintained_by_the_operator(world):
    operator = signed_in(world.operator[0])
    response = operator.post("/bodies/technologies/new/", {"code": "inductors", "name": "Inductors"})
    assert response.status_code == 302
    with scope(SYSTEM):
        inductors = Technology.objects.get(code="inductors")
    operator.post(
        f"/bodies/technologies/{inductors.pk}/edit/",
        {"code": "inductors", "name": "Inductors and transformers", "description": ""},
    )

    submitter = client_of(world.a, Role.MF_SUBMITTER)
    page = submitter.get("/bodies/technologies/").content.decode()
    assert "Inductors and transformers" in page
    assert "/bodies/technologies/new/" not in page and f"/bodies/technologies/{inductors.pk}/edit/" not in page
    response = client_of(world.a, Role.CB_ADMIN).post("/bodies/technologies/new/", {"code": "diodes", "name": "Diodes"})
    assert "Reference data is maintained by the system operator." in response.content.decode()
    assert 'value="Diodes"' in response.content.decode()
    with scope(SYSTEM):
        assert not Technology.objects.filter(code="diodes").exists()


@pytest.mark.req("PL-06")
@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (Role.CB_CLERK, ["Auditors", "Laboratories", "Reference data"], []),
        (Role.SB_VIEWER, ["Auditors", "Laboratories", "Reference data"], []),
        (Role.MF_ADMIN, ["Reference data", "My company"], ["Auditors", "Laboratories"]),
    ],
)
def test_navigation_offers_the_bodies_sections_by_role(world, role, present, absent):
    nav = client_of(world.a, role).get("/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    for label in present:
        assert f">{label}<" in nav
    for label in absent:
        assert f">{label}<" not in nav


@pytest.mark.req("PL-06")
def test_operator_navigation_has_the_bodies_sections(world):
    nav = signed_in(world.operator[0]).get("/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    assert ">Auditors<" in nav and ">Laboratories<" in nav and ">Reference data<" in nav
