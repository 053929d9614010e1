"""A model-based test of the state machines of certificates, CARs, certificate suspension requests and appeals
(hypothesis RuleBasedStateMachine).

Each step takes a transition the API and the portal offer (their services, the same ones they call), as one
of several principals (the CB's managers, clerk and administrator, the manufacturer, the operator, the other
side's CB, a supervisory body), with or without a reason, on side A's records. Whatever happens:
- a refused step (any DomainError) leaves every record's state and the TransitionLog exactly as they were;
- a successful step writes exactly one TransitionLog row for the record it acted on, from the state it was in
  to the transition's declared target, and the transition was declared from that state;
- a record in a final state (no transition declared from it) never moves again.
Each example runs in a transaction that is rolled back, so every example starts from the same world.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from certification.models import Certificate
from certification.services import CERTIFICATE_TRANSITION_SERVICES
from iecq.errors import DomainError
from iecq.models import TransitionLog
from iecq.roles import Role
from iecq.tenancy import scope
from iecq.transitions import fsm_field
from sanctions.models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest
from sanctions.services import (
    APPEAL_TRANSITION_SERVICES,
    CAR_TRANSITION_SERVICES,
    SUSPENSION_REQUEST_TRANSITION_SERVICES,
    car_respond,
)

from .factories import SYSTEM

pytestmark = pytest.mark.req("PL-02")

MACHINES = {
    "certificate": (Certificate, CERTIFICATE_TRANSITION_SERVICES),
    "car": (
        CorrectiveActionRequest,
        {
            **CAR_TRANSITION_SERVICES,
            "respond": lambda *, actor, pk, reason: car_respond(actor=actor, pk=pk, response=reason),
        },
    ),
    "suspension request": (CertificateSuspensionRequest, SUSPENSION_REQUEST_TRANSITION_SERVICES),
    "appeal": (Appeal, APPEAL_TRANSITION_SERVICES),
}
EXAMPLES, STEPS = 30, 20


def graph(model) -> tuple[dict[str, tuple[set[str], str]], set[str]]:
    """{transition: (source states, target)} as declared, and the final states (no transition leaves them)."""
    field = fsm_field(model)
    declared: dict[str, tuple[set[str], str]] = {}
    for t in field.get_all_transitions(model):
        sources, target = declared.get(t.name, (set(), str(t.target)))
        sources.add(str(t.source))
        declared[t.name] = (sources, target)
    states = {str(value) for value, _label in field.choices}
    leaving = set().union(*(sources for sources, _t in declared.values()))
    return declared, states - leaving - {"*"}


def principals(world) -> dict[str, object]:
    a, b = world.a, world.b
    return {
        "CB certification manager": a.users[Role.CB_CERTIFICATION_MANAGER][1],
        "CB administrator": a.users[Role.CB_ADMIN][1],
        "CB clerk": a.users[Role.CB_CLERK][1],
        "CB auditor": a.users[Role.CB_AUDITOR][1],
        "manufacturer administrator": a.users[Role.MF_ADMIN][1],
        "supervisory body": a.users[Role.SB_VIEWER][1],
        "operator": world.operator[1],
        "other side's CB manager": b.users[Role.CB_CERTIFICATION_MANAGER][1],
    }


def test_transitions_are_refused_whole_or_logged_once_and_final_states_stay_final(world, reliability):
    records = {kind: world.a.records[model] for kind, (model, _s) in MACHINES.items()}
    who = principals(world)
    graphs = {kind: graph(model) for kind, (model, _s) in MACHINES.items()}
    stats: Counter = Counter()
    reliability.describe(
        "State machines",
        "hypothesis RuleBasedStateMachine over certificates, CARs, suspension requests and appeals: refused steps "
        "change nothing, successful ones log exactly one row, final states stay final.",
    )

    def states() -> dict[str, str]:
        with scope(SYSTEM):
            return {
                kind: MACHINES[kind][0].objects.values_list(fsm_field(MACHINES[kind][0]).name, flat=True).get(pk=r.pk)
                for kind, r in records.items()
            }

    def log_count(kind: str | None = None) -> int:
        with scope(SYSTEM):
            rows = TransitionLog.objects.all()
            if kind is not None:
                ct = ContentType.objects.get_for_model(MACHINES[kind][0])
                rows = rows.filter(content_type=ct, object_id=records[kind].pk)
            return rows.count()

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.final_seen: dict[str, str] = {}

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule(
            kind=st.sampled_from(sorted(MACHINES)),
            data=st.data(),
            # Weighted towards those who may decide, so that successes are common enough to chain.
            principal=st.sampled_from([*sorted(who), *["CB certification manager"] * 4, "operator", "operator"]),
            reason=st.sampled_from(["", "model test: because", "model test: because"]),
        )
        def attempt(self, kind, data, principal, reason):
            model, services = MACHINES[kind]
            declared, finals = graphs[kind]
            name = data.draw(st.sampled_from(sorted(services)), label="transition")
            before, total_before, own_before = states(), log_count(), log_count(kind)
            try:
                services[name](actor=who[principal], pk=records[kind].pk, reason=reason)
            except DomainError:
                stats["refused"] += 1
                assert states() == before, f"{principal} {kind}.{name}: refused but a state changed"
                assert log_count() == total_before, f"{principal} {kind}.{name}: refused but the log grew"
                return
            stats["succeeded"] += 1
            stats[f"{kind}.{name} succeeded"] += 1
            after = states()
            sources, target = declared[name]
            assert before[kind] not in finals, f"{kind} left its final state {before[kind]} by {name}"
            assert before[kind] in sources or "*" in sources, f"{kind}.{name} from {before[kind]}"
            assert after[kind] == target, f"{kind}.{name}: {after[kind]}, declared {target}"
            assert log_count(kind) == own_before + 1, f"{kind}.{name} wrote {log_count(kind) - own_before} rows"
            with scope(SYSTEM):
                last = TransitionLog.objects.filter(
                    content_type=ContentType.objects.get_for_model(model), object_id=records[kind].pk
                ).latest("id")
            assert (last.transition, last.source, last.target) == (name, before[kind], target)

        @invariant()
        def final_states_are_final(self):
            now = states()
            for kind, state in now.items():
                if kind in self.final_seen:
                    assert state == self.final_seen[kind], f"{kind} left final state {self.final_seen[kind]}"
                elif state in graphs[kind][1]:
                    self.final_seen[kind] = state

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert stats["succeeded"] > 0 and stats["refused"] > 0  # both paths were exercised
    reliability.record("State machines", "examples x steps (at most)", f"{EXAMPLES} x {STEPS}")
    reliability.record("State machines", "transition attempts", stats["succeeded"] + stats["refused"])
    reliability.record("State machines", "refused, nothing changed", stats["refused"])
    reliability.record("State machines", "succeeded, one log row each", stats["succeeded"])
    reliability.record(
        "State machines",
        "transitions seen succeeding",
        ", ".join(sorted(k.removesuffix(" succeeded") for k in stats if k.endswith(" succeeded") and "." in k)),
    )
