"""The one visibility rule (PL-01), proven per kind of principal."""

import pytest

from bodies.models import CertificationBody
from iecq.errors import NotFound
from iecq.models import TransitionLog
from iecq.principals import PUBLIC
from iecq.roles import Role
from iecq.selectors import get_visible, visible
from iecq.tenancy import ScopeError, scope
from manufacturers.models import Manufacturer, Site

from .factories import SYSTEM

pytestmark = pytest.mark.req("PL-01")


def names(qs):
    return sorted(str(x) for x in qs)


def test_query_without_scope_fails_closed(world):
    with pytest.raises(ScopeError):
        list(CertificationBody.objects.all())
    with pytest.raises(ScopeError):
        Manufacturer.objects.filter(name__startswith="A").exists()


def test_active_scope_filters_default_manager(world):
    _user, cb_admin = world.a.users[Role.CB_ADMIN]
    with scope(cb_admin):
        assert names(CertificationBody.objects.all()) == ["Alphaside Certification", "Publicside Certification"]
        assert names(Manufacturer.objects.all()) == ["Alphaside Components"]
        # related managers go through the same rule
        assert [s.name for s in world.a.manufacturer.sites.all()] == ["Alphaside Components main site"]


def test_cb_sees_own_and_public_only(world):
    _u, p = world.a.users[Role.CB_AUDITOR]
    assert names(visible(CertificationBody, p)) == ["Alphaside Certification", "Publicside Certification"]
    assert names(visible(Manufacturer, p)) == ["Alphaside Components"]
    assert all("Alphaside" in str(s) for s in visible(Site, p))


def test_manufacturer_sees_itself_and_its_cbs(world):
    _u, p = world.a.users[Role.MF_SUBMITTER]
    assert names(visible(Manufacturer, p)) == ["Alphaside Components"]
    assert names(visible(CertificationBody, p)) == ["Alphaside Certification", "Publicside Certification"]


def test_supervisor_sees_its_country(world):
    _u, gb = world.a.users[Role.SB_VIEWER]
    _u, de = world.b.users[Role.SB_VIEWER]
    assert names(visible(Manufacturer, gb)) == ["Alphaside Components"]
    assert names(visible(Manufacturer, de)) == ["Bravoside Components"]
    assert names(visible(CertificationBody, de)) == ["Bravoside Certification", "Publicside Certification"]
    assert visible(TransitionLog, gb).filter(certification_body=world.b.cb).count() == 0
    assert visible(TransitionLog, de).filter(certification_body=world.b.cb, transition="start_assessment").count() == 1


def test_public_sees_only_public_rows(world):
    assert names(visible(CertificationBody, PUBLIC)) == ["Publicside Certification"]
    assert visible(Manufacturer, PUBLIC).count() == 0


def test_operator_sees_everything(world):
    _u, op = world.operator
    assert visible(CertificationBody, op).count() == 3
    assert visible(Manufacturer, op).count() == 2


def test_foreign_and_missing_records_are_indistinguishable(world):
    _u, p = world.a.users[Role.CB_ADMIN]
    with pytest.raises(NotFound) as foreign:
        get_visible(CertificationBody, p, world.b.cb.pk)
    with pytest.raises(NotFound) as missing:
        get_visible(CertificationBody, p, 987654321)
    assert str(foreign.value) == str(missing.value)
    with pytest.raises(NotFound):
        get_visible(CertificationBody, p, "not-a-number")


def test_to_many_paths_do_not_duplicate_rows(world):
    """A manufacturer engaged with a CB twice over (several relations) still appears once."""
    from django.utils import timezone

    from manufacturers.models import Engagement

    with scope(SYSTEM):
        Engagement.objects.create(
            manufacturer=world.a.manufacturer, certification_body=world.public_cb, since=timezone.now().date()
        )
    _u, p = world.a.users[Role.CB_ADMIN]
    assert visible(Manufacturer, p).count() == 1


def test_an_inactive_supervisory_body_sees_nothing_of_its_country(world):
    from bodies.models import SupervisoryBody
    from iecq.models import Membership
    from iecq.principals import principal_from_membership

    user, _p = world.a.users[Role.SB_VIEWER]
    with scope(SYSTEM):
        body = SupervisoryBody.objects.get(country="GB")
    from bodies.services import supervisory_body_transition

    supervisory_body_transition(actor=world.operator[1], pk=body.pk, name="deactivate", reason="mandate ended")
    with scope(SYSTEM):
        membership = Membership.objects.select_related("organisation__supervisory_body", "user").get(user=user)
    principal = principal_from_membership(membership)
    assert principal.country is None
    assert visible(Manufacturer, principal).count() == 0


def test_stored_files_carry_their_parents_cb_whatever_the_caller_sets(world):
    """Evidence, PCN documents and decision evidence copy their parent's CB on save (the column their CB's
    lists are read by, newest first): a value set by the caller, another CB's included, is overwritten."""
    from certification.models import Evidence
    from iecq.models import DecisionEvidence
    from surveillance.models import PCNDocument

    for model, parent in ((Evidence, "application"), (PCNDocument, "pcn"), (DecisionEvidence, "log")):
        row = world.a.records[model]
        expected = getattr(row, parent).certification_body_id
        assert expected == world.a.cb.pk, model
        assert row.certification_body_id == expected, model
        with scope(SYSTEM):
            row.certification_body_id = world.b.cb.pk  # a caller's mistake, or a hostile form
            row.save()
            row.refresh_from_db()
        assert row.certification_body_id == world.a.cb.pk, model
