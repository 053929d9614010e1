"""The transition helper and the append-only log (PL-02, CB-07)."""

import threading

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from bodies.choices import CertificationBodyState as S
from bodies.models import CertificationBody
from bodies.services import certification_body_transition
from iecq.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from iecq.models import TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from iecq.transitions import transition

from .factories import SYSTEM, qualify_for_approval


def cb_state(pk):
    return CertificationBody._base_manager.get(pk=pk).state


@pytest.mark.req("PL-02")
@pytest.mark.req("CB-07")
def test_transition_logs_who_when_from_to_why(world):
    user, op = world.operator
    cb = certification_body_transition(actor=op, pk=world.a.cb.pk, name="start_assessment", reason="Documents complete")
    assert cb.state == S.UNDER_ASSESSMENT
    with scope(op):
        log = TransitionLog.objects.filter(object_id=cb.pk, transition="start_assessment").get()
    assert (log.source, log.target, log.reason) == (S.APPLIED, S.UNDER_ASSESSMENT, "Documents complete")
    assert log.actor_user_id == user.pk and log.actor_label == op.label
    assert log.certification_body_id == cb.pk and log.country == "GB"
    assert log.at is not None


@pytest.mark.req("PL-02")
def test_illegal_transition_is_409_and_changes_nothing(world):
    _u, op = world.operator
    with pytest.raises(IllegalTransition):
        certification_body_transition(actor=op, pk=world.a.cb.pk, name="approve")
    assert cb_state(world.a.cb.pk) == S.APPLIED
    with scope(SYSTEM):
        assert not TransitionLog.objects.filter(object_id=world.a.cb.pk, transition="approve").exists()


@pytest.mark.req("PL-02")
def test_role_that_may_not_decide_is_403(world):
    _u, cb_admin = world.a.users[Role.CB_ADMIN]
    with pytest.raises(Forbidden):
        certification_body_transition(actor=cb_admin, pk=world.a.cb.pk, name="start_assessment")
    assert cb_state(world.a.cb.pk) == S.APPLIED


@pytest.mark.req("PL-01")
def test_invisible_record_is_404_before_anything_else(world):
    _u, cb_admin = world.a.users[Role.CB_ADMIN]
    with pytest.raises(NotFound):
        certification_body_transition(actor=cb_admin, pk=world.b.cb.pk, name="withdraw", reason="x")
    assert cb_state(world.b.cb.pk) == S.UNDER_ASSESSMENT


@pytest.mark.req("CB-07")
def test_decisions_against_a_cb_need_a_reason(world):
    _u, op = world.operator
    qualify_for_approval(world.a.cb)
    certification_body_transition(actor=op, pk=world.a.cb.pk, name="start_assessment")
    certification_body_transition(actor=op, pk=world.a.cb.pk, name="approve")
    with pytest.raises(ValidationFailed) as exc:
        certification_body_transition(actor=op, pk=world.a.cb.pk, name="suspend", reason="   ")
    assert "reason" in exc.value.errors
    assert cb_state(world.a.cb.pk) == S.APPROVED


@pytest.mark.req("CB-07")
def test_state_cannot_be_assigned_directly(world):
    with scope(SYSTEM):
        cb = CertificationBody.objects.get(pk=world.a.cb.pk)
    with pytest.raises(AttributeError):
        cb.state = S.APPROVED


@pytest.mark.django_db(transaction=True)
def test_transition_outside_a_transaction_is_refused(world):
    """Without the service's transaction there is no row lock and no all-or-nothing log row: refuse."""
    _u, op = world.operator
    with scope(SYSTEM):
        cb = CertificationBody.objects.get(pk=world.a.cb.pk)
    with pytest.raises(RuntimeError, match="transaction"):
        transition(cb, "start_assessment", actor=op)
    assert cb_state(world.a.cb.pk) == S.APPLIED


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("PL-02")
def test_concurrent_decisions_apply_once(world):
    """Two operators approve the same CB at the same moment: one wins, the other is told it is no longer allowed."""
    _u, op = world.operator
    certification_body_transition(actor=op, pk=world.public_cb.pk, name="suspend", reason="complaint")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def reinstate():
        try:
            barrier.wait(timeout=10)
            certification_body_transition(actor=op, pk=world.public_cb.pk, name="reinstate", reason="fixed")
            outcomes.append("ok")
        except IllegalTransition:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=reinstate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "ok"]
    with scope(SYSTEM):
        assert TransitionLog.objects.filter(object_id=world.public_cb.pk, transition="reinstate").count() == 1


@pytest.mark.req("PL-02")
def test_log_rejects_update_and_delete_in_the_database(world):
    with scope(SYSTEM):
        row = TransitionLog.objects.filter(certification_body=world.b.cb, transition="start_assessment").first()
    assert row is not None
    for sql in (
        "UPDATE iecq_transitionlog SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM iecq_transitionlog WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TransitionLog.objects_append.filter(pk=row.pk).update(reason="rewritten")
    with scope(SYSTEM):
        assert TransitionLog.objects.get(pk=row.pk).reason == "Bravoside assessment opened"


@pytest.mark.req("PL-02")
@pytest.mark.req("PL-01")
def test_every_state_machine_is_protected_scoped_and_logged():
    """Every model with an FSM field: protected (no assignment around the machine), tenant-scoped,
    and every transition declared with a permission (the helper checks it)."""
    from django.apps import apps
    from django_fsm import FSMFieldMixin

    from iecq.tenancy import TenantScopedManager

    machines = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, FSMFieldMixin):
                machines.append(model)
                assert field.protected, f"{model.__name__}.{field.name} must be FSMField(protected=True)"
                assert isinstance(model._default_manager, TenantScopedManager), model.__name__
                for t in field.get_all_transitions(model):
                    assert t.permission is not None, f"{model.__name__}.{t.name} declares no permission"
    assert CertificationBody in machines


def test_every_tenant_owned_model_fails_closed():
    from django.apps import apps

    from iecq.tenancy import TenantScopedManager

    scoped = [m for m in apps.get_models() if getattr(m, "tenancy", None) is not None]
    assert len(scoped) >= 7
    for model in scoped:
        assert isinstance(model._default_manager, TenantScopedManager), model.__name__
