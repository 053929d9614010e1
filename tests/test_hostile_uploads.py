"""Hostile uploads against every upload endpoint (application evidence, PCN documents, decision evidence; portal
and API): each is refused or neutralised, and a refused one leaves no row and no stored file behind."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.test.client import encode_multipart
from django.utils import timezone

from certification.models import Application, Evidence
from iecq.models import DecisionEvidence, TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from surveillance.models import PCNDocument, ProcessChangeNotification

from .conftest import token_client
from .factories import SYSTEM

pytestmark = pytest.mark.req("MF-02")

PDF = b"%PDF-1.4\n% a real enough document\n%%EOF\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/tokens/')</script></body></html>"


def zip_bomb() -> bytes:
    """A small archive that unpacks to 50 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.pdf", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def endpoints(world) -> list[dict]:
    """Each upload form: where, as whom, with which other fields, and what it would create."""
    today = timezone.now().date().isoformat()
    return [
        {
            "name": "application evidence",
            "path": f"/certification/applications/{world.a.records[Application].pk}/evidence/new/",
            "user": world.a.users[Role.MF_SUBMITTER][0],
            "fields": {"title": "Test report typed with care", "effective_on": today},
            "model": Evidence,
        },
        {
            "name": "PCN document",
            "path": f"/surveillance/pcns/{world.a.records[ProcessChangeNotification].pk}/documents/new/",
            "user": world.a.users[Role.MF_QUALITY_MANAGER][0],
            "fields": {"title": "Furnace qualification typed with care"},
            "model": PCNDocument,
        },
        {
            "name": "decision evidence",
            "path": f"/decisions/{world.a.records[TransitionLog].pk}/evidence/new/",
            "user": world.a.users[Role.CB_CERTIFICATION_MANAGER][0],
            "fields": {"title": "Audit report typed with care"},
            "model": DecisionEvidence,
        },
    ]


def stored_files(path: str = "") -> set[str]:
    directories, files = default_storage.listdir(path)
    found = {f"{path}/{name}".lstrip("/") for name in files}
    for directory in directories:
        found |= stored_files(f"{path}/{directory}".lstrip("/"))
    return found


def state(model) -> tuple[int, set[str]]:
    with scope(SYSTEM):
        return model.objects.count(), stored_files()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


HOSTILE_FILES = {
    "SVG with a script": (SimpleUploadedFile("logo.svg", SVG, "image/svg+xml"), "Only PDF, PNG and JPEG"),
    "HTML renamed .pdf": (SimpleUploadedFile("report.pdf", HTML, "application/pdf"), "Only PDF, PNG and JPEG"),
    "zip bomb renamed .pdf": (None, "Only PDF, PNG and JPEG"),
    "empty file": (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "empty"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_content_is_refused_on_every_form_and_nothing_is_stored(world, case, reliability):
    reliability.describe(
        "Hostile uploads",
        "Hostile files and requests sent to the three upload forms and the API: each refused with nothing "
        "stored (no row, no file) or, for hostile names, stored under our own name only.",
    )
    upload, message = HOSTILE_FILES[case]
    for endpoint in endpoints(world):
        before = state(endpoint["model"])
        file = upload or SimpleUploadedFile("report.pdf", zip_bomb(), "application/pdf")
        file.seek(0)
        response = client_for(endpoint["user"]).post(endpoint["path"], {**endpoint["fields"], "file": file})
        page = response.content.decode()
        assert response.status_code == 200, (endpoint["name"], response.status_code)
        assert message in page, (endpoint["name"], case)
        assert f'value="{endpoint["fields"]["title"]}"' in page  # what was typed is kept
        assert state(endpoint["model"]) == before, f"{case} on {endpoint['name']} stored something"
        reliability.add("Hostile uploads", "refused, nothing stored", 1)


@override_settings(IECQ_EVIDENCE_MAX_BYTES=64 * 1024)
def test_an_oversized_file_is_refused_without_being_kept_past_the_cap(world, reliability):
    big = PDF + b"0" * (512 * 1024)
    for endpoint in endpoints(world):
        before = state(endpoint["model"])
        response = client_for(endpoint["user"]).post(
            endpoint["path"], {**endpoint["fields"], "file": SimpleUploadedFile("big.pdf", big, "application/pdf")}
        )
        assert response.status_code == 200
        assert "The file is larger than 0 MB." in response.content.decode()  # the 64 KB cap, in whole MB
        assert state(endpoint["model"]) == before
        reliability.add("Hostile uploads", "refused, nothing stored", 1)


def test_the_size_cap_handler_drops_everything_past_the_cap():
    from iecq.uploads import OversizedUpload, SizeCapUploadHandler

    handler = SizeCapUploadHandler()
    handler.new_file("file", "big.pdf", "application/pdf", None)
    with override_settings(IECQ_EVIDENCE_MAX_BYTES=100):
        passed = [handler.receive_data_chunk(b"x" * 60, 0), handler.receive_data_chunk(b"x" * 60, 60)]
        result = handler.file_complete(120)
    assert passed[0] == b"x" * 60 and passed[1] is None  # the second chunk never reaches the storing handlers
    assert isinstance(result, OversizedUpload) and result.size == 120 and result.read() == b""


def test_a_body_without_content_length_or_chunked_stores_nothing(world, reliability):
    for endpoint in endpoints(world):
        before = state(endpoint["model"])
        body = encode_multipart("BoUnDaRy", {**endpoint["fields"], "file": SimpleUploadedFile("a.pdf", PDF)})
        response = client_for(endpoint["user"]).generic(
            "POST",
            endpoint["path"],
            body,
            content_type="multipart/form-data; boundary=BoUnDaRy",
            CONTENT_LENGTH="",
            HTTP_TRANSFER_ENCODING="chunked",
        )
        assert response.status_code in (200, 400), response.status_code
        assert state(endpoint["model"]) == before
        reliability.add("Hostile uploads", "refused, nothing stored", 1)


def test_too_many_files_in_one_request_are_refused(world, reliability):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 10
    for endpoint in endpoints(world):
        before = state(endpoint["model"])
        files = {
            f"file{i}" if i else "file": SimpleUploadedFile(f"{i}.pdf", PDF)
            for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
        }
        response = client_for(endpoint["user"]).post(endpoint["path"], {**endpoint["fields"], **files})
        assert response.status_code == 400
        assert state(endpoint["model"]) == before
        reliability.add("Hostile uploads", "refused, nothing stored", 1)


@pytest.mark.parametrize(
    "name",
    ["../../../../etc/cron.d/evil.pdf", "..\\..\\windows\\system32\\evil.pdf", "evil\x00.html.pdf", "/etc/passwd"],
)
def test_hostile_names_are_neutralised(world, name, reliability):
    for endpoint in endpoints(world):
        count, files = state(endpoint["model"])
        response = client_for(endpoint["user"]).post(
            endpoint["path"], {**endpoint["fields"], "file": SimpleUploadedFile(name, PDF, "application/pdf")}
        )
        assert response.status_code == 302, (endpoint["name"], response.status_code)
        with scope(SYSTEM):
            record = endpoint["model"].objects.latest("pk")
        new_count, now_files = state(endpoint["model"])
        new_files = now_files - files
        assert len(new_files) == 1 and new_count == count + 1
        stored = new_files.pop()
        assert ".." not in stored and "\x00" not in stored and "etc" not in stored and "windows" not in stored
        assert stored.endswith(".pdf") and record.storage_name in stored  # our name, never theirs
        for bad in ("/", "\\", "\x00", ".."):
            assert bad not in record.original_name, record.original_name
        reliability.add("Hostile uploads", "hostile names neutralised", 1)


def test_null_characters_in_the_title_are_a_form_error(world, reliability):
    endpoint = endpoints(world)[0]
    before = state(endpoint["model"])
    response = client_for(endpoint["user"]).post(
        endpoint["path"], {**endpoint["fields"], "title": "bad\x00title", "file": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert response.status_code == 200 and "Null characters are not allowed." in response.content.decode()
    assert state(endpoint["model"]) == before
    reliability.add("Hostile uploads", "refused, nothing stored", 1)


def test_api_uploads_refuse_hostile_content_with_problem_details(world, reliability):
    token, _p = world.a.tokens["cb"]
    api = token_client(token)
    decision = world.a.records[TransitionLog]
    before = state(DecisionEvidence)
    for name, content in (("logo.svg", SVG), ("report.pdf", HTML), ("bomb.pdf", zip_bomb())):
        response = api.post(
            "/api/v1/decision-evidence/",
            {"decision": decision.pk, "title": "x", "file": SimpleUploadedFile(name, content)},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith("application/problem+json")
        assert "Only PDF, PNG and JPEG" in response.content.decode()
        reliability.add("Hostile uploads", "refused, nothing stored", 1)
    assert state(DecisionEvidence) == before
