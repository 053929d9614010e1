"""PL-03: the OpenAPI schema tells the truth about every endpoint: bodies, problem responses, enums, headers."""

from __future__ import annotations

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.req("PL-03")
PROBLEM = "application/problem+json"
METHODS = ("get", "post", "patch", "put", "delete")
# POSTs whose whole meaning is in the path: the caller joins, the token is revoked.
TAKES_NO_BODY = {
    "/api/v1/cb-assessments/{id}/join/",
    "/api/v1/tokens/{id}/revoke/",
    "/api/v1/webhooks/{id}/rotate-secret/",
    "/api/v1/webhook-deliveries/{id}/replay/",
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_every_operation_documents_its_problem_responses(schema):
    wrong = []
    for path, method, op in operations(schema):
        expected = {"401", "403"}
        if method in ("post", "patch"):
            expected |= {"400", "409", "413", "415"}
        if method == "post":
            expected.add("422")
        if "{" in path:
            expected.add("404")
        for code in expected:
            content = op["responses"].get(code, {}).get("content", {})
            if content.get(PROBLEM, {}).get("schema", {}).get("$ref") != "#/components/schemas/Problem":
                wrong.append(f"{method.upper()} {path}: {code}")
    assert wrong == []


def test_every_success_response_and_write_body_is_documented(schema):
    wrong = []
    for path, method, op in operations(schema):
        ok = [c for c in op["responses"] if c.startswith("2")]
        if not ok:
            wrong.append(f"{method.upper()} {path}: no 2xx response")
        for code in ok:
            if code != "204" and not op["responses"][code].get("content"):
                wrong.append(f"{method.upper()} {path}: {code} has no body")
        if method in ("post", "patch") and "requestBody" not in op and path not in TAKES_NO_BODY:
            wrong.append(f"{method.upper()} {path}: no request body")
    assert wrong == []


def test_every_post_documents_the_idempotency_key(schema):
    missing = [
        path
        for path, method, op in operations(schema)
        if method == "post"
        and not any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in op["parameters"])
    ]
    assert missing == []
    assert sum(1 for _p, m, _o in operations(schema) if m == "post") > 50


def test_state_fields_are_enums(schema):
    components = schema["components"]["schemas"]
    plain = []
    for name, component in components.items():
        for field, prop in component.get("properties", {}).items():
            if field == "state" or field.endswith("_state"):
                if "enum" in prop or "$ref" in prop or any("$ref" in p for p in prop.get("allOf", [])):
                    continue
                plain.append(f"{name}.{field}")
    assert plain == []
    assert "enum" in components["CertificationBodyStateEnum"]


@pytest.mark.django_db
def test_schema_and_docs_are_served_for_integrators(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert served["components"]["securitySchemes"]["ApiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "iecq_<prefix>_<secret>",
        "description": served["components"]["securitySchemes"]["ApiToken"]["description"],
    }
    assert "/api/v1/certificates/{id}/suspend/" in served["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert '<script src="/api/v1/docs/?script=' in html  # no inline code under the CSP (iecq/security.py)
    script = client.get("/api/v1/docs/", {"script": ""}).content.decode()
    assert '"persistAuthorization": true' in script and "/api/v1/schema/" in script


def test_an_oversized_body_is_the_documented_413_problem(world, settings):
    from .conftest import token_client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = token_client(world.a.tokens["cb"][0])
    response = client.post("/api/v1/manufacturers/", {"name": "x" * 20_000, "country": "GB"}, format="json")
    assert response.status_code == 413 and response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == "request_too_large"
    small = client.post("/api/v1/manufacturers/", {"name": "Small Co", "country": "GB"}, format="json")
    assert small.status_code == 201
