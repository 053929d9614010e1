"""PL-03: schemathesis drives every operation of the schema in-process, as each role's API token, with data that
fits the schema and data that does not: no answer is a 5xx, and every answer matches what the schema promises
(status code, content type, body).

Path ids are real records of the caller's side of the test world (the model comes from the route's viewset), so
writes and transitions reach the services instead of stopping at a 404. Generation is derandomized and
bounded (one or two examples per operation and mode) to keep the run short and repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bodies.models import CertificationBody
from iecq.models import ApiToken, Membership, Organisation
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Manufacturer

from .factories import SYSTEM, make_token

pytestmark = [pytest.mark.req("PL-03"), pytest.mark.filterwarnings("ignore")]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Binary downloads: their body is a file, checked by their own tests (PDF, evidence).
SKIP_PATH_SUFFIXES = ("/pdf/", "/download/")


def models_by_path() -> dict[str, type]:
    found = {}
    for path, _pattern, _method, view in EndpointEnumerator().get_api_endpoints():
        model = getattr(getattr(view, "cls", None), "model", None)
        if model is not None:
            found[path.replace("{pk}", "{id}")] = model
    return found


def role_tokens(world) -> dict[str, str]:
    """One all-scopes token per role, all on side A (the operator sees everything)."""
    a = world.a
    tokens = {
        "cb_manager": make_token(a.cb_org, Role.CB_CERTIFICATION_MANAGER, a.users[Role.CB_ADMIN][0])[0],
        "cb_clerk": make_token(a.cb_org, Role.CB_CLERK, a.users[Role.CB_ADMIN][0])[0],
        "manufacturer": a.tokens["manufacturer"][0],
        "supervisory_body": make_token(a.supervisor_org, Role.SB_VIEWER, a.users[Role.SB_VIEWER][0])[0],
        "operator": make_token(world.operator_org, Role.OP_ADMIN, world.operator[0])[0],
    }
    return tokens


def side_a_ids(world) -> dict[type, int]:
    a = world.a
    ids = {model: record.pk for model, record in a.records.items()}
    with scope(SYSTEM):
        ids[CertificationBody] = a.cb.pk
        ids[Manufacturer] = a.manufacturer.pk
        ids[Organisation] = a.cb_org.pk
        ids[Membership] = Membership.objects.filter(organisation=a.cb_org).first().pk
        ids[ApiToken] = ApiToken.objects.filter(organisation=a.cb_org).first().pk
    return ids


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept from closing the test's database connection after each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


ROLES = ("cb_manager", "cb_clerk", "manufacturer", "supervisory_body", "operator")
# Data that breaks the schema is sent as the roles that can write the most; the others send fitting data only.
NEGATIVE_ROLES = {"cb_manager", "manufacturer", "operator"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True), models_by_path()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_keeps_its_promises(world, wsgi_app, schema, role):
    schema_dict, models = schema
    loaded = schemathesis.openapi.from_dict(schema_dict)
    loaded.app = wsgi_app
    operations = [r.ok() for r in loaded.get_all_operations() if not r.ok().path.endswith(SKIP_PATH_SUFFIXES)]
    ids = side_a_ids(world)
    headers = {"Authorization": f"Bearer {role_tokens(world)[role]}"}
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if role in NEGATIVE_ROLES else [])
    failures: list[str] = []
    for mode in modes:
        for operation in operations:
            model = models.get(operation.path)
            path_parameters = {"id": ids.get(model, 1)} if "{id}" in operation.path else None
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

            @settings(
                max_examples=1,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # collect every failure, not only the first
                text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
                failures.append(f"[{mode.value}] {operation.label}: {' | '.join(text[:14])[:900]}")
    assert failures == [], f"{len(failures)} failures as {role}:\n" + "\n".join(failures)
