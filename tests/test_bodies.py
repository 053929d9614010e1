"""Certification bodies: registration, master data, decisions and their notification."""

import pytest
from django.core import mail

from bodies.choices import CertificationBodyState as S
from bodies.services import certification_body_create, certification_body_transition, certification_body_update
from iecq.errors import Forbidden, ValidationFailed
from iecq.roles import Role


@pytest.mark.req("PL-07")
@pytest.mark.req("CB-07")
def test_cb_managers_are_emailed_each_decision_after_commit(world, django_capture_on_commit_callbacks):
    _u, op = world.operator
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        certification_body_transition(actor=op, pk=world.a.cb.pk, name="start_assessment", reason="File complete")
    assert mail.outbox == []  # nothing is sent before the decision is committed
    for callback in callbacks:
        callback()
    recipients = sorted(m.to[0] for m in mail.outbox)
    admin, _p = world.a.users[Role.CB_ADMIN]
    manager, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    assert recipients == sorted([admin.email, manager.email])  # not auditors, clerks or other CBs
    assert "Under assessment" in mail.outbox[0].subject and "File complete" in mail.outbox[0].body


def test_only_the_operator_registers_a_cb(world):
    _u, cb_admin = world.a.users[Role.CB_ADMIN]
    with pytest.raises(Forbidden):
        certification_body_create(actor=cb_admin, name="Rogue CB", country="GB")
    _u, op = world.operator
    cb = certification_body_create(actor=op, name="  New CB  ", country="IT")
    assert cb.name == "New CB" and cb.state == S.APPLIED
    with pytest.raises(ValidationFailed):
        certification_body_create(actor=op, name="new cb", country="IT")


def test_cb_admin_edits_own_details_but_not_another_role_or_cb(world):
    _u, cb_admin = world.a.users[Role.CB_ADMIN]
    cb = certification_body_update(actor=cb_admin, pk=world.a.cb.pk, website="https://alphaside.example")
    assert cb.website == "https://alphaside.example"
    _u, auditor = world.a.users[Role.CB_AUDITOR]
    with pytest.raises(Forbidden):
        certification_body_update(actor=auditor, pk=world.a.cb.pk, website="https://x.example")
    with pytest.raises(ValidationFailed):
        certification_body_update(actor=cb_admin, pk=world.a.cb.pk, state="approved")
