"""The sanctions portal: the CB issues corrective action requests and the manufacturer answers them online; the
supervisory body requests a suspension and the CB decides; the manufacturer appeals and someone not involved
decides; defect reports from the public form are investigated and closed with an outcome; a change found at an
audit that was never notified gets a CAR (SA-01 … SA-06, PL-06)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from certification.choices import CertificateState
from certification.models import Certificate
from certification.services import certificate_transition
from iecq.models import TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from sanctions.choices import AppealState, CARState, DefectOutcome, DefectState, RequestState
from sanctions.models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport
from surveillance.models import ProcessChangeNotification, SurveillanceAudit

from .factories import SYSTEM


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(response) -> str:
    """The page as a reader sees it: entities decoded."""
    return html.unescape(response.content.decode())


def fetch(model, pk):
    with scope(SYSTEM):
        return model.objects.get(pk=pk)


def nav_of(client: Client) -> str:
    return client.get("/").content.decode().split('class="mainnav"')[1].split("</nav>")[0]


@pytest.mark.req("SA-01")
@pytest.mark.req("PL-06")
def test_cb_manager_issues_a_car_the_manufacturer_answers_and_the_cb_accepts(world):
    cert = world.a.records[Certificate]
    manager = signed_in(world.a.users[Role.CB_CERTIFICATION_MANAGER][0])
    manufacturer = signed_in(world.a.users[Role.MF_QUALITY_MANAGER][0])

    assert f"/sanctions/cars/new/?certificate={cert.pk}" in page_of(
        manager.get(f"/certification/certificates/{cert.pk}/")
    )
    form = page_of(manager.get(f"/sanctions/cars/new/?certificate={cert.pk}"))
    assert cert.number in form and "Bravoside" not in form
    assert "Unanswered by this date, the request escalates" in form  # the due date is explained where set
    yesterday = timezone.now().date() - timedelta(days=1)
    response = manager.post(
        "/sanctions/cars/new/",
        {"certificate": cert.pk, "request": "Show the calibration records of line 2", "due_on": yesterday.isoformat()},
    )
    page = page_of(response)
    assert response.status_code == 200
    assert "The due date must be in the future." in page and "Show the calibration records of line 2" in page

    response = manager.post(
        "/sanctions/cars/new/", {"certificate": cert.pk, "request": "Show the calibration records of line 2"}
    )
    with scope(SYSTEM):
        car = CorrectiveActionRequest.objects.get(request="Show the calibration records of line 2")
    assert response.status_code == 302 and response["Location"] == f"/sanctions/cars/{car.pk}/"
    assert car.due_on == timezone.now().date() + timedelta(days=30)
    # A clerk of the same CB may read it but not issue one.
    assert signed_in(world.a.users[Role.CB_CLERK][0]).get("/sanctions/cars/new/").status_code == 403

    page = page_of(manufacturer.get(f"/sanctions/cars/{car.pk}/"))
    assert "Show the calibration records of line 2" in page and "Answer this request" in page
    assert "Accept the response" not in page  # not the manufacturer's decision
    response = manufacturer.post(f"/sanctions/cars/{car.pk}/respond/", {"response": "  "})
    assert response.status_code == 200 and "This field is required." in page_of(response)
    response = manufacturer.post(
        f"/sanctions/cars/{car.pk}/respond/", {"response": "Records attached; procedure QP-12 revised"}, follow=True
    )
    assert "Your response is submitted" in page_of(response)
    assert fetch(CorrectiveActionRequest, car.pk).state == CARState.RESPONDED

    page = page_of(manager.get(f"/sanctions/cars/{car.pk}/"))
    assert "Records attached; procedure QP-12 revised" in page
    assert "Accept the response" in page and "Send the response back" in page
    page = page_of(manager.post(f"/sanctions/cars/{car.pk}/transitions/accept/", {"reason": ""}, follow=True))
    assert "A reason is required for this decision." in page
    assert fetch(CorrectiveActionRequest, car.pk).state == CARState.RESPONDED
    page = page_of(
        manager.post(f"/sanctions/cars/{car.pk}/transitions/accept/", {"reason": "Records verified"}, follow=True)
    )
    assert "Done: Accept the response." in page and "Records verified" in page  # in the history
    assert fetch(CorrectiveActionRequest, car.pk).state == CARState.ACCEPTED


@pytest.mark.req("SA-01")
def test_the_car_list_filters_overdue_requests(world):
    fixture_car = world.a.records[CorrectiveActionRequest]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    from sanctions.services import car_issue

    fresh = car_issue(actor=mgr, certificate=world.a.records[Certificate], request="Fresh request")
    with scope(SYSTEM):
        CorrectiveActionRequest.objects.filter(pk=fixture_car.pk).update(
            due_on=timezone.now().date() - timedelta(days=2)
        )
    client = signed_in(world.a.users[Role.MF_ADMIN][0])
    overdue = page_of(client.get("/sanctions/cars/?overdue=true"))
    assert fixture_car.number in overdue and fresh.number not in overdue
    on_time = page_of(client.get("/sanctions/cars/?overdue=false"))
    assert fresh.number in on_time and fixture_car.number not in on_time
    assert "Overdue." in page_of(client.get(f"/sanctions/cars/{fixture_car.pk}/"))


@pytest.mark.req("SA-02")
@pytest.mark.req("SA-03")
@pytest.mark.req("PL-06")
def test_the_supervisory_body_requests_a_suspension_and_the_cb_accepts_it(world):
    cert = world.a.records[Certificate]
    fixture_request = world.a.records[CertificateSuspensionRequest]
    supervisor = signed_in(world.a.users[Role.SB_VIEWER][0])
    manager = signed_in(world.a.users[Role.CB_CERTIFICATION_MANAGER][0])

    assert f"/sanctions/suspension-requests/new/?certificate={cert.pk}" in page_of(
        supervisor.get(f"/certification/certificates/{cert.pk}/")
    )
    data = {"certificate": cert.pk, "reason": "Market samples failed twice at our laboratory"}
    response = supervisor.post("/sanctions/suspension-requests/new/", data)
    page = page_of(response)  # the fixture's request is still open: refused, what was typed is kept
    assert response.status_code == 200
    assert "A request to suspend this certificate is already open." in page
    assert "Market samples failed twice at our laboratory" in page

    page = page_of(
        manager.post(
            f"/sanctions/suspension-requests/{fixture_request.pk}/transitions/decline/",
            {"reason": "Already handled by a special audit"},
            follow=True,
        )
    )
    assert "Done: Decline." in page
    response = supervisor.post("/sanctions/suspension-requests/new/", data)
    assert response.status_code == 302
    with scope(SYSTEM):
        request = CertificateSuspensionRequest.objects.get(state=RequestState.OPEN, certificate=cert)
    assert response["Location"] == f"/sanctions/suspension-requests/{request.pk}/"
    assert "Accept and suspend" not in page_of(supervisor.get(response["Location"]))  # the CB decides

    page = page_of(manager.get(f"/sanctions/suspension-requests/{request.pk}/"))
    assert "Market samples failed twice at our laboratory" in page and "Accept and suspend" in page
    page = page_of(
        manager.post(
            f"/sanctions/suspension-requests/{request.pk}/transitions/accept/",
            {"reason": "Confirmed by our own tests"},
            follow=True,
        )
    )
    assert "Done: Accept and suspend." in page
    assert fetch(Certificate, cert.pk).state == CertificateState.SUSPENDED
    page = page_of(manager.get(f"/certification/certificates/{cert.pk}/"))
    assert "<strong>Suspended.</strong>" in page and "may not use the IECQ mark" in page
    bulletin = page_of(Client().get("/bulletin/"))
    assert cert.number in bulletin and "Confirmed by our own tests" in bulletin and "Suspension" in bulletin


@pytest.mark.req("SA-04")
@pytest.mark.req("PL-06")
def test_the_manufacturer_appeals_a_suspension_and_only_someone_not_involved_decides(world):
    cert = world.a.records[Certificate]
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    certificate_transition(actor=mgr, pk=cert.pk, name="suspend", reason="Complaint about cracked terminations")
    with scope(SYSTEM):
        decision = TransitionLog.objects.get(object_id=cert.pk, transition="suspend")
    manufacturer = signed_in(world.a.users[Role.MF_ADMIN][0])
    manager = signed_in(world.a.users[Role.CB_CERTIFICATION_MANAGER][0])
    admin = signed_in(world.a.users[Role.CB_ADMIN][0])

    certificate_page = page_of(manufacturer.get(f"/certification/certificates/{cert.pk}/"))
    assert f"/sanctions/appeals/new/?decision={decision.pk}" in certificate_page
    form = page_of(manufacturer.get(f"/sanctions/appeals/new/?decision={decision.pk}"))
    assert f"Suspend — {cert.number}" in form and "Bravoside" not in form
    assert re.search(rf'value="{decision.pk}"[^>]*checked', form)  # preselected
    response = manufacturer.post("/sanctions/appeals/new/", {"decision": decision.pk, "grounds": ""})
    assert response.status_code == 200 and "This field is required." in page_of(response)
    response = manufacturer.post(
        "/sanctions/appeals/new/",
        {"decision": decision.pk, "grounds": "The complaint concerned another supplier's parts"},
    )
    with scope(SYSTEM):
        appeal = Appeal.objects.get(decision=decision)
    assert response.status_code == 302 and response["Location"] == f"/sanctions/appeals/{appeal.pk}/"
    # Under appeal now: not offered a second time.
    assert f"Suspend — {cert.number}" not in page_of(manufacturer.get("/sanctions/appeals/new/"))

    page = page_of(manager.get(f"/sanctions/appeals/{appeal.pk}/"))
    assert "Someone else must decide this appeal." in page
    assert "Complaint about cracked terminations" in page and "The complaint concerned another supplier" in page
    page = page_of(
        manager.post(f"/sanctions/appeals/{appeal.pk}/transitions/uphold/", {"reason": "Agreed"}, follow=True)
    )
    assert "You took the decision under appeal; another person must decide the appeal." in page
    assert fetch(Appeal, appeal.pk).state == AppealState.LODGED
    assert fetch(Certificate, cert.pk).state == CertificateState.SUSPENDED

    page = page_of(admin.get(f"/sanctions/appeals/{appeal.pk}/"))
    assert "Someone else must decide this appeal." not in page and "Uphold (reverses the decision)" in page
    page = page_of(
        admin.post(
            f"/sanctions/appeals/{appeal.pk}/transitions/uphold/", {"reason": "Wrong supplier named"}, follow=True
        )
    )
    assert "Done: Uphold (reverses the decision)." in page
    assert fetch(Certificate, cert.pk).state == CertificateState.VALID
    bulletin = page_of(Client().get("/bulletin/"))
    assert "Appeal upheld" in bulletin and "Wrong supplier named" in bulletin


@pytest.mark.req("SA-05")
@pytest.mark.req("PL-06")
def test_a_public_defect_report_is_investigated_and_closed_with_a_car(world):
    cache.clear()
    cert = world.a.records[Certificate]
    response = Client().post(
        "/bulletin/report-a-defect/",
        {
            "reporter_kind": "customer",
            "reporter_name": "R. Lee",
            "reporter_email": "r.lee@example.org",
            "certificate_number": cert.number,
            "component": "MLCC 0402 lot 7781",
            "description": "Cracked terminations after reflow on 3 boards",
        },
    )
    assert response.status_code == 200
    with scope(SYSTEM):
        report = DefectReport.objects.get(component="MLCC 0402 lot 7781")
    manager = signed_in(world.a.users[Role.CB_CERTIFICATION_MANAGER][0])

    listing = page_of(manager.get("/sanctions/defects/"))
    assert "MLCC 0402 lot 7781" in listing and "Bravoside" not in listing
    page = page_of(manager.get(f"/sanctions/defects/{report.pk}/"))
    assert "R. Lee" in page and "Cracked terminations after reflow" in page and "Start the investigation" in page
    page = page_of(manager.post(f"/sanctions/defects/{report.pk}/transitions/investigate/", {}, follow=True))
    assert "Done: Start the investigation." in page
    assert fetch(DefectReport, report.pk).state == DefectState.INVESTIGATING

    response = manager.post(f"/sanctions/defects/{report.pk}/close/", {"outcome": DefectOutcome.CAR, "reason": ""})
    page = page_of(response)
    assert response.status_code == 200 and "This field is required." in page
    assert re.search(r'value="car"[^>]*checked', page)  # the chosen outcome is kept
    response = manager.post(
        f"/sanctions/defects/{report.pk}/close/",
        {"outcome": DefectOutcome.CAR, "reason": "Reflow profile out of specification"},
        follow=True,
    )
    page = page_of(response)
    assert "The defect report is closed" in page and "What followed" in page
    with scope(SYSTEM):
        car = CorrectiveActionRequest.objects.get(certificate=cert, request__contains="lot 7781")
    assert f'href="/sanctions/cars/{car.pk}/"' in page and car.number in page
    assert "MLCC 0402 lot 7781" in page_of(manager.get(f"/sanctions/cars/{car.pk}/"))
    assert car.number in page_of(manager.get("/sanctions/cars/"))
    report = fetch(DefectReport, report.pk)
    assert (report.state, report.outcome) == (DefectState.CLOSED, DefectOutcome.CAR)
    # Reporters' names are for the CB: the manufacturer has no defect pages.
    manufacturer = signed_in(world.a.users[Role.MF_ADMIN][0])
    assert manufacturer.get("/sanctions/defects/").status_code == 404
    assert manufacturer.get(f"/sanctions/defects/{report.pk}/").status_code == 404


@pytest.mark.req("SA-06")
@pytest.mark.req("PL-06")
def test_a_change_found_at_an_audit_never_notified_gets_a_car(world):
    audit = world.a.records[SurveillanceAudit]
    auditor = signed_in(world.a.users[Role.CB_AUDITOR][0])
    url = f"/sanctions/audits/{audit.pk}/unnotified-change/"
    assert url in page_of(auditor.get(f"/surveillance/audits/{audit.pk}/"))
    response = auditor.post(url, {"title": "Moulding compound changed", "description": ""})
    page = page_of(response)
    assert response.status_code == 200 and "This field is required." in page and "Moulding compound changed" in page
    response = auditor.post(
        url, {"title": "Moulding compound changed", "description": "Supplier changed in March, never notified"}
    )
    with scope(SYSTEM):
        pcn = ProcessChangeNotification.objects.get(title="Moulding compound changed")
        car = CorrectiveActionRequest.objects.get(pcn=pcn)
    assert pcn.found_at_audit and car.certificate_id == audit.certificate_id
    assert response.status_code == 302 and response["Location"] == f"/sanctions/cars/{car.pk}/"
    page = page_of(auditor.get(response["Location"]))
    assert "SA-06: the change “Moulding compound changed”" in page and f"/surveillance/pcns/{pcn.pk}/" in page
    manufacturer = signed_in(world.a.users[Role.MF_ADMIN][0])
    assert manufacturer.get(url).status_code == 403
    assert url not in page_of(manufacturer.get(f"/surveillance/audits/{audit.pk}/"))


@pytest.mark.req("PL-06")
def test_another_manufacturer_gets_404_on_sanction_pages(world):
    other = signed_in(world.b.users[Role.MF_ADMIN][0])
    a = world.a.records
    for path in (
        f"/sanctions/cars/{a[CorrectiveActionRequest].pk}/",
        f"/sanctions/cars/{a[CorrectiveActionRequest].pk}/respond/",
        f"/sanctions/appeals/{a[Appeal].pk}/",
        f"/sanctions/defects/{a[DefectReport].pk}/",
    ):
        assert other.get(path).status_code == 404, path
    response = other.post(f"/sanctions/appeals/{a[Appeal].pk}/transitions/dismiss/", {"reason": "probe"})
    assert response.status_code == 404
    assert fetch(Appeal, a[Appeal].pk).state == AppealState.LODGED
    for path in ("/sanctions/cars/", "/sanctions/appeals/"):
        page = page_of(other.get(path))
        assert "Bravoside" in page and "Alphaside" not in page


@pytest.mark.req("PL-06")
def test_sanctions_and_bulletin_are_in_the_navigation(world):
    for role in (Role.CB_CLERK, Role.MF_SUBMITTER, Role.SB_VIEWER):
        nav = nav_of(signed_in(world.a.users[role][0]))
        assert 'href="/sanctions/"' in nav and 'href="/bulletin/"' in nav, role
    assert 'href="/sanctions/"' in nav_of(signed_in(world.operator[0]))
    anonymous = nav_of(Client())
    assert 'href="/bulletin/"' in anonymous and 'href="/sanctions/"' not in anonymous
    index = page_of(signed_in(world.a.users[Role.CB_CERTIFICATION_MANAGER][0]).get("/sanctions/"))
    for path in ("/sanctions/cars/", "/sanctions/suspension-requests/", "/sanctions/appeals/", "/sanctions/defects/"):
        assert f'href="{path}"' in index
    mf_index = page_of(signed_in(world.a.users[Role.MF_ADMIN][0]).get("/sanctions/"))
    assert 'href="/sanctions/defects/"' not in mf_index and 'href="/sanctions/appeals/new/"' in mf_index


@pytest.mark.req("SA-04")
def test_a_cb_administrator_lodges_an_appeal_against_its_suspension_in_the_portal(world):
    from bodies.services import certification_body_transition
    from iecq.models import Organisation, TransitionLog
    from iecq.tenancy import scope

    from .factories import SYSTEM, make_member

    certification_body_transition(
        actor=world.operator[1], pk=world.public_cb.pk, name="suspend", reason="Witness audit failed"
    )
    with scope(SYSTEM):
        org = Organisation.objects.get(certification_body=world.public_cb)
        decision = TransitionLog.objects.filter(
            object_id=world.public_cb.pk, transition="suspend", content_type__model="certificationbody"
        ).latest("id")
    user, _p = make_member(org, "cb_admin", username="publicside-admin-portal")
    client = Client()
    client.force_login(user)
    form = client.get("/sanctions/appeals/new/")
    assert form.status_code == 200 and str(decision.pk) in form.content.decode()
    response = client.post("/sanctions/appeals/new/", {"decision": decision.pk, "grounds": "The auditor was qualified"})
    assert response.status_code == 302
