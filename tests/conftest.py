"""Shared fixtures: a world of two sides (A in Great Britain, B in Germany) plus a public CB in France.

Every tenant-owned record of side A has "Alphaside" in its name, of side B "Bravoside", so a test can
search any response body for the other side's marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from bodies.models import CertificationBody
from iecq.principals import Principal
from iecq.roles import OrganisationKind as K
from iecq.roles import Role
from iecq.tenancy import scope
from iecq.transitions import transition

from .factories import (
    OPERATOR_FOR_FIXTURES,
    SYSTEM,
    add_cb_records,
    make_cb,
    make_manufacturer,
    make_member,
    make_org,
    make_token,
)
from .reliability_report import pytest_sessionfinish, reliability  # noqa: F401  (docs/reliability.md)


@dataclass
class Side:
    marker: str
    cb: object
    cb_org: object
    manufacturer: object
    manufacturer_org: object
    supervisor_org: object
    users: dict[str, tuple[object, Principal]] = field(default_factory=dict)
    records: dict[type, object] = field(default_factory=dict)
    tokens: dict[str, tuple[str, Principal]] = field(default_factory=dict)


@dataclass
class World:
    a: Side
    b: Side
    public_cb: object
    operator: tuple[object, Principal]
    operator_org: object

    def operator_api(self) -> APIClient:
        """An API client with an all-scopes token of the system operator."""
        return token_client(make_token(self.operator_org, Role.OP_ADMIN, self.operator[0])[0])


def _side(marker: str, country: str, sb_country: str) -> Side:
    cb, cb_org = make_cb(f"{marker} Certification", country)  # applied: not public
    manufacturer, m_org = make_manufacturer(f"{marker} Components", country, cbs=(cb,))
    sb_org = make_org(K.SUPERVISORY_BODY, f"{sb_country} Supervisory Body", sb_country)  # public: no marker
    side = Side(marker, cb, cb_org, manufacturer, m_org, sb_org)
    side.records = add_cb_records(cb, manufacturer, marker)
    for role in (
        Role.CB_ADMIN,
        Role.CB_CERTIFICATION_MANAGER,
        Role.CB_AUDITOR,
        Role.CB_TECHNICAL_REVIEWER,
        Role.CB_CLERK,
    ):
        side.users[role] = make_member(cb_org, role)
    for role in (Role.MF_ADMIN, Role.MF_QUALITY_MANAGER, Role.MF_SUBMITTER):
        side.users[role] = make_member(m_org, role)
    side.users[Role.SB_VIEWER] = make_member(sb_org, Role.SB_VIEWER)
    side.tokens["cb"] = make_token(cb_org, Role.CB_ADMIN, side.users[Role.CB_ADMIN][0], name=f"{marker} CB token")
    side.tokens["manufacturer"] = make_token(
        m_org, Role.MF_ADMIN, side.users[Role.MF_ADMIN][0], name=f"{marker} manufacturer token"
    )
    return side


@pytest.fixture
def world(db) -> World:
    a = _side("Alphaside", "GB", "GB")
    b = _side("Bravoside", "DE", "DE")
    public_cb, _org = make_cb("Publicside Certification", "FR", steps=("start_assessment", "approve"))
    # Give side B's CB a logged transition so its history and the log have foreign rows.
    with scope(SYSTEM), transaction.atomic():
        cb = CertificationBody.objects.select_for_update().get(pk=b.cb.pk)
        transition(cb, "start_assessment", actor=OPERATOR_FOR_FIXTURES, reason="Bravoside assessment opened")
    b.cb.refresh_from_db()
    op_org = make_org(K.OPERATOR, "Operator", "CH")
    operator = make_member(op_org, Role.OP_ADMIN)
    return World(a=a, b=b, public_cb=public_cb, operator=operator, operator_org=op_org)


@pytest.fixture(autouse=True)
def _celery_joins_allowed():
    """Celery keeps "we are inside a task, joining a result would block" in one process-wide flag, which an eager
    task sets and resets around itself. Eager tasks run by two threads at once (the concurrency tests) can leave it
    set, and every later `result.get()` of the test process then fails with "Never call result.get() within a
    task" (tests/test_celery.py after tests/test_scheduler.py). Each test starts outside any task."""
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Sign-in lockout counters and throttles (kept in the cache) never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
