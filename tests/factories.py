"""Test data builders. They write across tenants, so each opens the system scope itself."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from bodies.models import CertificationBody
from iecq.models import ApiToken, Membership, Organisation, User
from iecq.models.tokens import API_SCOPES, hash_secret
from iecq.principals import Principal, principal_from_membership, principal_from_token, system_principal
from iecq.roles import OrganisationKind as K
from iecq.tenancy import scope
from iecq.transitions import transition
from manufacturers.models import Engagement, Manufacturer, Site

SYSTEM = system_principal("test data")
PASSWORD = "correct horse battery staple"


def make_cb(name: str, country: str, *, steps: tuple[str, ...] = ()) -> tuple[CertificationBody, Organisation]:
    from django.db import transaction

    with scope(SYSTEM), transaction.atomic():
        cb = CertificationBody.objects.create(name=name, legal_name=f"{name} Ltd", country=country)
        for step in steps:
            cb = CertificationBody.objects.select_for_update().get(pk=cb.pk)
            transition(cb, step, actor=OPERATOR_FOR_FIXTURES, reason=f"fixture: {step}")
        org = Organisation.objects.create(kind=K.CERTIFICATION_BODY, name=name, country=country, certification_body=cb)
    return cb, org


def make_manufacturer(
    name: str, country: str, *, cbs: tuple[CertificationBody, ...] = ()
) -> tuple[Manufacturer, Organisation]:
    with scope(SYSTEM):
        m = Manufacturer.objects.create(name=name, legal_name=f"{name} GmbH", country=country)
        for cb in cbs:
            Engagement.objects.create(manufacturer=m, certification_body=cb, since=timezone.now().date())
        Site.objects.create(
            manufacturer=m, name=f"{name} main site", address="1 Test Street", city="Testville", country=country
        )
        org = Organisation.objects.create(kind=K.MANUFACTURER, name=name, country=country, manufacturer=m)
    return m, org


def make_org(kind: str, name: str, country: str = "") -> Organisation:
    with scope(SYSTEM):
        return Organisation.objects.create(kind=kind, name=name, country=country)


def make_member(org: Organisation, role: str, username: str | None = None, **user_fields) -> tuple[User, Principal]:
    username = username or f"{org.name.lower().replace(' ', '-')}-{role}"
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org", **user_fields
    )
    with scope(SYSTEM):
        membership = Membership.objects.create(user=user, organisation=org, role=role)
        membership = Membership.objects.select_related("organisation", "user").get(pk=membership.pk)
    return user, principal_from_membership(membership)


def make_token(
    org: Organisation, role: str, creator: User, *, scopes=API_SCOPES, days: int = 30, name: str = "test token"
) -> tuple[str, Principal]:
    import secrets

    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(24).replace("_", "-")
    with scope(SYSTEM):
        token = ApiToken.objects.create(
            organisation=org,
            name=name,
            role=role,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            scopes=list(scopes),
            created_by=creator,
            expires_at=timezone.now() + timedelta(days=days),
        )
        token = ApiToken.objects.select_related("organisation").get(pk=token.pk)
    return f"iecq_{prefix}_{secret}", principal_from_token(token)


# Transitions in fixtures are taken by the operator, as in the product.
OPERATOR_FOR_FIXTURES = Principal(kind=K.OPERATOR, label="fixture operator", role="op_admin")
