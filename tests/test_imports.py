"""Bulk imports (issue 7): CSV and JSON, validated row by row, all or nothing, run as a Celery task."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bodies.models import CertificationBody
from certification.models import Certificate, CertificateNumberSequence, CertificateRevision
from iecq.errors import Forbidden, ValidationFailed
from iecq.imports import services
from iecq.imports.columns import column_names
from iecq.imports.models import ImportJob
from iecq.imports.runner import run_import
from iecq.models import TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from iecq.transitions import transition
from manufacturers.models import Engagement, Manufacturer

from .conftest import token_client
from .factories import OPERATOR_FOR_FIXTURES, SYSTEM, qualify_for_approval

TODAY = timezone.now().date()
ISSUED = (TODAY - timedelta(days=400)).isoformat()
EXPIRES = (TODAY + timedelta(days=600)).isoformat()
CERT_HEADER = (
    "number,manufacturer,manufacturer_country,scheme,technologies,component_types,specifications,sites,issued_on,"
    "expires_on"
)


def cert_line(number: str, *, holder="Alphaside Components", country="GB", scheme="ac", tech="capacitors",
              types="MLCC 0402", spec="IEC 60384-1", sites="Alphaside Components main site",
              issued=ISSUED, expires=EXPIRES) -> str:  # fmt: skip
    return ",".join([number, holder, country, scheme, tech, types, spec, sites, issued, expires])


def csv_file(*lines: str, name: str = "register.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), content_type="text/csv")


@pytest.fixture
def approved(world):
    """Side A's CB approved (imported certificates enter the public register only from a CB that may certify)."""
    qualify_for_approval(world.a.cb, marker="imp")
    with scope(SYSTEM), transaction.atomic():
        for step in ("start_assessment", "approve"):
            cb = CertificationBody.objects.select_for_update().get(pk=world.a.cb.pk)
            transition(cb, step, actor=OPERATOR_FOR_FIXTURES, reason="fixture")
    world.a.cb.refresh_from_db()
    return world


def upload(world, file, kind: str = "certificates", role=Role.CB_CERTIFICATION_MANAGER, capture=None) -> ImportJob:
    """Create the job as side A's `role`; the task runs in-process once the upload commits."""
    _user, actor = world.a.users[role]
    with capture(execute=True):
        job = services.import_job_create(actor=actor, kind=kind, file=file)
    with scope(SYSTEM):
        return ImportJob.objects.get(pk=job.pk)


def errors_by_row(job: ImportJob) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for e in job.report["errors"]:
        out.setdefault(e["row"], []).append((e["column"], e["message"]))
    return out


# --- valid imports ---------------------------------------------------------------------------------------


@pytest.mark.req("CE-01")
@pytest.mark.req("PL-02")
def test_a_valid_csv_of_certificates_is_written_whole_with_revision_and_log(
    approved, django_capture_on_commit_callbacks
):
    world = approved
    job = upload(
        world,
        csv_file(
            CERT_HEADER,
            cert_line("LEG-0001"),
            cert_line("LEG-0002", sites=""),
            cert_line("LEG/0003", tech="capacitors"),
        ),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "done", job.report
    assert (job.total, job.processed, job.report["written"]) == (3, 3, 3)
    with scope(SYSTEM):
        certs = {c.number: c for c in Certificate.objects.filter(number__in=["LEG-0001", "LEG-0002", "LEG/0003"])}
        assert set(certs) == {"LEG-0001", "LEG-0002", "LEG/0003"}
        cert = certs["LEG-0001"]
        assert cert.certification_body_id == world.a.cb.pk and cert.manufacturer_id == world.a.manufacturer.pk
        assert cert.state == "valid" and cert.issued_on.isoformat() == ISSUED and cert.expires_on.isoformat() == EXPIRES
        assert list(cert.technologies.values_list("code", flat=True)) == ["capacitors"]
        assert list(cert.sites.values_list("name", flat=True)) == ["Alphaside Components main site"]
        assert certs["LEG-0002"].sites.count() == 0
        revision = CertificateRevision.objects.get(certificate=cert)
        assert revision.number == 1 and revision.snapshot["number"] == "LEG-0001" and "Imported" in revision.reason
        logs = TransitionLog.objects.filter(object_id__in=[c.pk for c in certs.values()], transition="import")
        assert logs.count() == 3 and {log.target for log in logs} == {"valid"}
        assert {log.certification_body_id for log in logs} == {world.a.cb.pk}
        job_log = TransitionLog.objects.filter(object_id=job.pk, content_type__model="importjob")
        assert list(job_log.values_list("transition", flat=True)) == ["start_validation", "start_import", "finish"]
        # Integrators rebuilding state from the feed (PL-04) see each imported certificate, as after any change.
        from iecq.integrations.models import Event

        events = Event.objects.filter(
            subject_type="certification.certificate", subject_id__in=[c.pk for c in certs.values()]
        )
        assert sorted(events.values_list("data__number", flat=True)) == ["LEG-0001", "LEG-0002", "LEG/0003"]
        assert {(e.type, e.data["transition"], e.certification_body_id) for e in events} == {
            ("certificate.valid", "import", world.a.cb.pk)
        }


def test_a_valid_json_of_manufacturers_makes_them_clients_of_the_cb(world, django_capture_on_commit_callbacks):
    rows = [
        {"name": "Northwind Passives", "country": "gb", "legal_name": "Northwind Ltd", "website": "https://n.example"},
        {"name": "Southwind Actives", "country": "FR", "email": "q@s.example"},
    ]
    file = SimpleUploadedFile("m.json", json.dumps(rows).encode(), content_type="application/json")
    job = upload(world, file, kind="manufacturers", role=Role.CB_ADMIN, capture=django_capture_on_commit_callbacks)
    assert job.state == "done" and job.format == "json", job.report
    with scope(SYSTEM):
        made = Manufacturer.objects.filter(name__in=["Northwind Passives", "Southwind Actives"])
        assert {(m.name, m.country.code) for m in made} == {("Northwind Passives", "GB"), ("Southwind Actives", "FR")}
        assert Engagement.objects.filter(manufacturer__in=made, certification_body=world.a.cb).count() == 2
    # The new client can now hold an imported certificate.
    _user, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    assert Manufacturer.objects.visible_to(manager).filter(name="Northwind Passives").exists()


# --- all or nothing, every error reported ----------------------------------------------------------------


def test_a_file_with_several_bad_rows_writes_nothing_and_reports_each(approved, django_capture_on_commit_callbacks):
    job = upload(
        approved,
        csv_file(
            CERT_HEADER,
            cert_line("OK-1"),  # row 2: fine
            cert_line("BAD-2", issued="01/02/2024", scheme="nope"),  # row 3: two errors
            cert_line("OK-3"),
            cert_line("BAD-4", tech="resistors;unknowntech", types=""),  # row 5
            cert_line("BAD-5", expires=(TODAY - timedelta(days=1)).isoformat()),  # row 6: expired
            cert_line("BAD 6", sites="Nowhere plant"),  # row 7: bad number, unknown site
        ),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "rejected"
    errors = errors_by_row(job)
    assert set(errors) == {3, 5, 6, 7}
    assert {c for c, _m in errors[3]} == {"scheme", "issued_on"}
    assert {c for c, _m in errors[5]} == {"technologies", "component_types"}
    assert any("unknowntech" in m for _c, m in errors[5])
    assert errors[6] == [("expires_on", errors[6][0][1])] and "expired" in errors[6][0][1]
    assert {c for c, _m in errors[7]} == {"number", "sites"}
    assert job.report["rejected_rows"] == 4 and job.report["written"] == 0
    with scope(SYSTEM):
        assert not Certificate.objects.filter(number__in=["OK-1", "OK-3"]).exists()


def test_duplicate_numbers_in_the_file_and_in_the_register_are_errors(approved, django_capture_on_commit_callbacks):
    existing = approved.a.records[Certificate].number
    job = upload(
        approved,
        csv_file(CERT_HEADER, cert_line("DUP-1"), cert_line("DUP-1"), cert_line(existing)),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "rejected"
    errors = errors_by_row(job)
    assert list(errors) == [3, 4]
    assert errors[3] == [("number", "The same number is already on row 2.")]
    assert errors[4] == [("number", "A certificate with this number already exists.")]


def test_duplicate_manufacturers_in_the_file_and_in_the_register_are_errors(world, django_capture_on_commit_callbacks):
    file = csv_file(
        "name,country", "Gamma Ltd,GB", "gamma ltd,GB", "Alphaside Components,GB", "Bravoside Components,DE"
    )
    job = upload(world, file, kind="manufacturers", capture=django_capture_on_commit_callbacks)
    assert job.state == "rejected"
    assert sorted(errors_by_row(job)) == [3, 4, 5]
    with scope(SYSTEM):
        assert not Manufacturer.objects.filter(name="Gamma Ltd").exists()


@pytest.mark.req("PL-01")
def test_a_manufacturer_of_another_cb_cannot_hold_an_imported_certificate(approved, django_capture_on_commit_callbacks):
    job = upload(
        approved,
        csv_file(CERT_HEADER, cert_line("X-1", holder="Bravoside Components", country="DE", sites="")),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "rejected"
    [(column, message)] = errors_by_row(job)[2]
    assert column == "manufacturer" and "client of your certification body" in message
    with scope(SYSTEM):
        assert not Certificate.objects.filter(number="X-1").exists()


def test_an_unapproved_cb_cannot_import_certificates(world, django_capture_on_commit_callbacks):
    job = upload(world, csv_file(CERT_HEADER, cert_line("U-1")), capture=django_capture_on_commit_callbacks)
    assert job.state == "rejected"
    assert errors_by_row(job)[0][0][1].startswith("The certification body is not approved")


def test_imported_numbers_of_the_platforms_form_move_the_cbs_sequence_on(approved, django_capture_on_commit_callbacks):
    cb = approved.a.cb
    own = f"IECQ-AC-{cb.country.code}{cb.pk:03d}-00050"
    foreign = f"IECQ-AC-DE{cb.pk + 1:03d}-00001"
    job = upload(
        approved, csv_file(CERT_HEADER, cert_line(own), cert_line(foreign)), capture=django_capture_on_commit_callbacks
    )
    assert errors_by_row(job) == {
        3: [("number", "Numbers of this form are allocated here to another certification body.")]
    }
    job = upload(approved, csv_file(CERT_HEADER, cert_line(own)), capture=django_capture_on_commit_callbacks)
    assert job.state == "done"
    with scope(SYSTEM):
        assert CertificateNumberSequence.objects.get(certification_body=cb).last == 50


# --- hostile content ---------------------------------------------------------------------------------------


def test_csv_formula_injection_is_refused_and_never_stored(approved, django_capture_on_commit_callbacks):
    job = upload(
        approved,
        csv_file(
            CERT_HEADER,
            cert_line("INJ-1", types="=cmd|' /C calc'!A0"),
            cert_line("INJ-2", spec="@SUM(A1:A9)"),
            cert_line("INJ-3", spec='+HYPERLINK("http://evil")'),
            cert_line("OK-4", spec="-5"),  # a number is not a formula
        ),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "rejected"
    errors = errors_by_row(job)
    assert list(errors) == [2, 3, 4]
    assert all("formula" in m for row in errors.values() for _c, m in row)
    assert errors[2][0][0] == "component_types" and errors[3][0][0] == "specifications"
    assert "cmd" not in json.dumps(job.report)  # the report names the problem, it does not echo the cell
    with scope(SYSTEM):
        assert not Certificate.objects.filter(number__startswith="INJ").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary or in another encoding"),
        ("name,country\nCaf\xe9 S.A.,FR\n".encode("latin-1"), "binary or in another encoding"),
        (b"", "empty"),
    ],
)
def test_binary_empty_and_wrongly_encoded_files_are_refused_at_upload(world, content, message):
    _user, actor = world.a.users[Role.CB_ADMIN]
    with pytest.raises(ValidationFailed) as exc:
        services.import_job_create(actor=actor, kind="manufacturers", file=SimpleUploadedFile("x.csv", content))
    assert message in exc.value.errors["file"][0]


def test_an_oversized_file_is_refused_at_upload(world, monkeypatch):
    monkeypatch.setattr("iecq.imports.parsing.MAX_BYTES", 100)
    _user, actor = world.a.users[Role.CB_ADMIN]
    with pytest.raises(ValidationFailed) as exc:
        services.import_job_create(actor=actor, kind="manufacturers", file=csv_file("name,country", "A" * 200 + ",GB"))
    assert "larger than" in exc.value.errors["file"][0]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b'{"name": "A", "country": "GB"}', [(0, "", "A JSON import must be a list of objects, one per row.")]),
        (b'[{"name": "A", "country": "GB"', [(0, "", "The file is not valid JSON (line 1): Expecting ',' delimiter")]),
        # Latin-1 after the first 4 kB passes the upload's sniffing, and is refused when the file is read.
        (
            b"name,country\n" + b"Alpha,GB\n" * 600 + b"Caf\xe9,FR\n",
            [(0, "", "The file is not valid UTF-8 (byte 5417); save it as UTF-8.")],
        ),
        (b"name,country\nA,GB,extra\n", [(2, "", "The row has 3 cells; the header has 2.")]),
    ],
)
def test_malformed_files_are_rejected_with_clear_errors(world, django_capture_on_commit_callbacks, content, expected):
    file = SimpleUploadedFile("f", content)
    job = upload(world, file, kind="manufacturers", capture=django_capture_on_commit_callbacks)
    assert job.state == "rejected"
    found = [(e["row"], e["column"], e["message"]) for e in job.report["errors"]]
    if expected:
        assert found == expected
    assert found and all(message for _r, _c, message in found)


def test_json_rows_that_are_not_objects_or_have_wrong_keys_are_each_reported(world, django_capture_on_commit_callbacks):
    content = json.dumps([1, {"name": "A"}, {"name": "B", "country": "GB", "colour": "red"}]).encode()
    job = upload(
        world, SimpleUploadedFile("f.json", content), kind="manufacturers", capture=django_capture_on_commit_callbacks
    )
    assert errors_by_row(job) == {
        1: [("", "Each row must be a JSON object.")],
        2: [("country", "This required column is missing.")],
        3: [("colour", "Unknown column.")],
    }


def test_missing_and_unknown_csv_columns_are_named(world, django_capture_on_commit_callbacks):
    job = upload(
        world, csv_file("name,colour", "A,red"), kind="manufacturers", capture=django_capture_on_commit_callbacks
    )
    assert {(e["column"], e["message"].split(";")[0]) for e in job.report["errors"]} == {
        ("colour", "Unknown column"),
        ("country", "This required column is missing."),
    }


# --- permissions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CB_CLERK, Role.CB_AUDITOR, Role.MF_ADMIN, Role.SB_VIEWER])
def test_only_cb_administrators_and_certification_managers_import(world, role):
    _user, actor = world.a.users[role]
    with pytest.raises(Forbidden):
        services.import_job_create(actor=actor, kind="manufacturers", file=csv_file("name,country", "A,GB"))
    with scope(SYSTEM):
        assert (
            not ImportJob.objects.filter(certification_body=world.a.cb, kind="manufacturers")
            .exclude(original_name__startswith="Alphaside")
            .exists()
        )


@pytest.mark.parametrize("role", [Role.CB_CLERK, Role.MF_ADMIN, Role.SB_VIEWER])
def test_the_api_and_the_portal_refuse_other_roles(world, role):
    user, _p = world.a.users[role]
    client = Client()
    client.force_login(user)
    response = client.post("/api/v1/imports/", {"kind": "manufacturers", "file": csv_file("name,country", "A,GB")})
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    portal = client.post("/certification/imports/", {"kind": "manufacturers", "file": csv_file("name,country", "A,GB")})
    assert portal.status_code in (403, 404)


# --- the task ----------------------------------------------------------------------------------------------


def _queued_job(world, role=Role.CB_ADMIN) -> tuple[ImportJob, object]:
    _user, actor = world.a.users[role]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("iecq.imports.tasks.import_job_run.enqueue", lambda **kw: None)
        job = services.import_job_create(actor=actor, kind="manufacturers", file=csv_file("name,country", "Delta,GB"))
    return job, actor


def test_the_task_runs_a_queued_job_once(world):
    from iecq.imports.tasks import import_job_run

    job, actor = _queued_job(world)
    assert import_job_run.apply(kwargs={"job_id": job.pk, "principal_ref": actor.reference()}).get() == "done"
    assert import_job_run.apply(kwargs={"job_id": job.pk, "principal_ref": actor.reference()}).get() == "done"
    with scope(SYSTEM):
        assert Manufacturer.objects.filter(name="Delta").count() == 1


def test_a_job_whose_worker_died_is_failed_not_left_running(world):
    job, actor = _queued_job(world)
    services.import_job_advance(actor=actor, pk=job.pk, name="start_validation")
    job = run_import(actor=actor, job_id=job.pk)
    assert job.state == "failed" and "worker stopped" in job.report["errors"][0]["message"]


def test_an_import_no_worker_finished_is_failed_by_the_hourly_task_and_stops_polling(world, settings):
    """A lost task message leaves a job queued (or half-run) with its page polling forever: the hourly task fails
    the jobs older than IECQ_IMPORT_STALE_HOURS, in the uploader's language, and leaves younger and ended ones."""
    from iecq.imports.runner import fail_stale
    from iecq.imports.tasks import import_jobs_fail_stale

    settings.IECQ_IMPORT_STALE_HOURS = 6
    lost, actor = _queued_job(world)
    recent, _a = _queued_job(world)
    half_run, _a = _queued_job(world)
    services.import_job_advance(actor=actor, pk=half_run.pk, name="start_validation")
    ended, _a = _queued_job(world)
    run_import(actor=actor, job_id=ended.pk)
    with scope(SYSTEM):
        hours_ago = timezone.now() - timedelta(hours=7)
        ImportJob.objects.filter(pk__in=[lost.pk, half_run.pk, ended.pk]).update(created_at=hours_ago)
    assert import_jobs_fail_stale.apply().get() == 2
    assert fail_stale() == 0  # a second run finds nothing more
    with scope(SYSTEM):
        mine = [lost.pk, recent.pk, half_run.pk, ended.pk]
        states = dict(ImportJob.objects.filter(pk__in=mine).values_list("pk", "state"))
        message = ImportJob.objects.get(pk=lost.pk).report["errors"][0]["message"]
    assert states == {lost.pk: "failed", recent.pk: "queued", half_run.pk: "failed", ended.pk: "done"}
    assert message.startswith("No worker finished this import within 6 hours")
    assert "iecq.imports.tasks.import_jobs_fail_stale" in [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    client = Client()
    client.force_login(world.a.users[Role.CB_ADMIN][0])
    page = client.get(f"/certification/imports/{lost.pk}/").content.decode()
    assert "No worker finished this import" in page and 'hx-trigger="every 1s"' not in page


def test_an_importer_who_lost_the_right_gets_a_failed_job(world):
    from iecq.principals import PUBLIC

    job, _actor = _queued_job(world)
    job = run_import(actor=PUBLIC, job_id=job.pk)
    assert job.state == "failed"
    with scope(SYSTEM):
        assert not Manufacturer.objects.filter(name="Delta").exists()


# --- API and portal -------------------------------------------------------------------------------------------


@pytest.mark.req("PL-03")
def test_the_api_uploads_and_reports_progress_and_rejected_rows(approved, django_capture_on_commit_callbacks):
    token, _p = approved.a.tokens["cb"]
    api = token_client(token)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/imports/",
            {"kind": "certificates", "file": csv_file(CERT_HEADER, cert_line("API-1"), cert_line("API-1"))},
            format="multipart",
        )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "certificates"  # the task ran once the upload committed:
    body = api.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert body["state"] == "rejected" and body["progress"]["percent"] == 100
    assert body["report"]["errors"] == [
        {"row": 3, "column": "number", "message": "The same number is already on row 2."}
    ]
    assert body["id"] in [job["id"] for job in api.get("/api/v1/imports/").json()["results"]]
    bad = api.post("/api/v1/imports/", {"kind": "pets", "file": csv_file("a", "b")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "kind"
    assert api.get("/api/v1/imports/template/?kind=pets").status_code == 400


def test_templates_name_every_column_and_import_as_they_are(approved, django_capture_on_commit_callbacks):
    world = approved
    client = Client()
    client.force_login(world.a.users[Role.CB_ADMIN][0])
    for kind in ("manufacturers", "certificates"):
        csv_text = client.get(f"/certification/imports/template/?kind={kind}&format=csv").content.decode()
        assert csv_text.splitlines()[0].split(",") == column_names(kind)
        as_json = json.loads(client.get(f"/api/v1/imports/template/?kind={kind}&format=json").content)
        assert list(as_json[0]) == column_names(kind)
        from_api = client.get(f"/api/v1/imports/template/?kind={kind}&format=csv")
        assert from_api.status_code == 200 and from_api["Content-Type"].startswith("text/csv")
        assert from_api.content.decode() == csv_text
        job = upload(world, csv_file(*csv_text.splitlines()), kind=kind, capture=django_capture_on_commit_callbacks)
        assert job.state == "done", job.report
        json_file = SimpleUploadedFile("t.json", json.dumps(as_json).encode())
        assert upload(world, json_file, kind=kind, capture=django_capture_on_commit_callbacks).state == "rejected"


@pytest.mark.req("PL-06")
def test_the_portal_uploads_and_shows_the_job_with_its_progress_bar(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world.a.users[Role.CB_CERTIFICATION_MANAGER][0])
    page = client.get("/certification/imports/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/certification/imports/",
            {"kind": "manufacturers", "file": csv_file("name,country", "Epsilon,GB", "=evil(),GB")},
        )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert "<progress" in html and "Rejected rows" in html and "formula" in html and "hx-get" not in html
    assert "History" in html and "Add evidence" not in html  # a job's steps are not decisions to document
    # A job still running polls its progress fragment.
    job, _actor = _queued_job(world)
    fragment = client.get(f"/certification/imports/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment
    # A clerk sees the imports but gets no upload form.
    clerk = Client()
    clerk.force_login(world.a.users[Role.CB_CLERK][0])
    assert b"multipart/form-data" not in clerk.get("/certification/imports/").content


def test_a_bad_upload_in_the_portal_keeps_the_form_with_its_error(world):
    client = Client()
    client.force_login(world.a.users[Role.CB_ADMIN][0])
    response = client.post(
        "/certification/imports/", {"kind": "manufacturers", "file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n")}
    )
    assert response.status_code == 400 and "binary or in another encoding" in response.content.decode()


def test_progress_is_reported_every_chunk_while_checking_and_writing(
    approved, monkeypatch, django_capture_on_commit_callbacks
):
    reported: list[int] = []
    real = services.progress_report
    monkeypatch.setattr("iecq.imports.validation.CHUNK", 2)
    monkeypatch.setattr("iecq.imports.services.BATCH", 2)
    monkeypatch.setattr(
        "iecq.imports.services.progress_report", lambda job_id, n: (reported.append(n), real(job_id, n))
    )
    job = upload(
        approved,
        csv_file(CERT_HEADER, *[cert_line(f"P-{i}") for i in range(5)]),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "done"
    # checking: 0, 2, 4, 5; writing: 0, 2, 4, 5
    assert reported == [0, 2, 4, 5, 0, 2, 4, 5]


def test_live_progress_comes_from_the_cache_while_the_job_runs(world):
    from iecq.imports.selectors import import_job_progress

    job, actor = _queued_job(world)
    job = services.import_job_advance(actor=actor, pk=job.pk, name="start_validation", total=400)
    services.progress_report(job.pk, 100)
    assert import_job_progress(job) == {"state": "validating", "total": 400, "processed": 100, "percent": 25}


def test_the_report_is_written_in_the_uploaders_language(world, django_capture_on_commit_callbacks):
    user, _p = world.a.users[Role.CB_ADMIN]
    user.language = "fr"
    user.save(update_fields=["language"])
    job = upload(
        world, csv_file("name,country", "Alphaside Components,GB"), kind="manufacturers", role=Role.CB_ADMIN,
        capture=django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert errors_by_row(job) == {2: [("name", "Un fabricant portant ce nom est déjà enregistré dans ce pays.")]}


def test_a_number_taken_between_checking_and_writing_rejects_the_whole_file(
    approved, monkeypatch, django_capture_on_commit_callbacks
):
    from iecq.imports import validation

    real = validation.validate_certificates

    def racing(rows, **kwargs):
        outcome = real(rows, **kwargs)
        with scope(SYSTEM):  # another import takes the number after it was found free
            taken = approved.a.records[Certificate]
            outcome.ready[-1][1]["number"] = taken.number
        return outcome

    monkeypatch.setattr("iecq.imports.validation.validate_certificates", racing)
    job = upload(
        approved,
        csv_file(CERT_HEADER, cert_line("RACE-1"), cert_line("RACE-2")),
        capture=django_capture_on_commit_callbacks,
    )
    assert job.state == "rejected" and "changed while the file was checked" in job.report["errors"][0]["message"]
    with scope(SYSTEM):
        assert not Certificate.objects.filter(number="RACE-1").exists()
        assert not TransitionLog.objects.filter(transition="import").exists()
