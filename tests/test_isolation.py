"""PL-01: every registered API route and portal URL, walked automatically, as every role of side A.

A route that takes a record id must name its model (`model` on the view); the walker then asks for
side B's record of that model through every method the route accepts, and requires 404 (for an
anonymous caller: the same answer as for a record that does not exist), with side B's rows unchanged
in the database. Routes without an id are fetched and must never show side B's marker. A new route
is covered the day it is added; a route the walker cannot classify fails the test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from bodies.models import AccreditationBody, CertificationBody, ProficiencyRound, Scheme, SupervisoryBody, Technology
from iecq.models import ApiToken, Membership, Organisation
from iecq.roles import Role
from iecq.tenancy import scope
from iecq.transitions import declared_transitions
from manufacturers.models import Engagement, Manufacturer, Site
from sanctions.models import BulletinNotice

from .conftest import token_client
from .factories import SYSTEM

pytestmark = pytest.mark.req("PL-01")

MISSING_PK = 987_654_321
# Routes that serve no tenant data at all, each with the reason.
NOT_TENANT_DATA = {
    "api-schema": "the OpenAPI document describes endpoints, not records",
    "api-docs": "static Swagger UI page",
    "javascript-catalog": "translation strings",
    "set_language": "stores the language in the session",
    "healthz": "liveness only",
    "register:verify": "the public register: a certificate's public record is public by its number (CE-04)",
    "register:verify-signed": "the same public record, signed",
    "register:public-key": "the platform's public key",
    "bulletin:pdf": "the public bulletin, one month as a PDF (SA-03)",
}
# Models that are public reference data, not owned by any tenant.
PUBLIC_REFERENCE_MODELS = {AccreditationBody, Technology, Scheme, ProficiencyRound, SupervisoryBody, BulletinNotice}


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # with <kw> placeholders
    params: tuple[str, ...]
    view_class: type | None
    actions: dict | None  # DRF viewset method -> action mapping

    @property
    def model(self) -> type[models.Model] | None:
        return getattr(self.view_class, "model", None)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    def methods(self) -> list[str]:
        if self.actions is not None:
            return sorted(m.upper() for m in self.actions)
        allowed = getattr(self.view_class, "http_method_names", ["get", "post"])
        methods = [m.upper() for m in ("get", "post", "patch", "put", "delete") if m in allowed]
        view_methods = [m for m in methods if self.view_class is None or hasattr(self.view_class, m.lower())]
        return view_methods or ["GET"]


PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<rname>[^>]+)>[^)]+\)")


def _pattern_text(pattern) -> str:
    return str(pattern.pattern)


def walk(patterns=None, prefix: str = "", namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + _pattern_text(p).lstrip("^").rstrip("$").replace("\\Z", "").replace("\\.", ".")
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            routes.extend(walk(p.url_patterns, text, ns))
        elif isinstance(p, URLPattern):
            callback = p.callback
            view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
            actions = getattr(callback, "actions", None)
            params = tuple(m.group("name") or m.group("rname") for m in PARAM.finditer(text))
            name = f"{namespace}{p.name}" if p.name else text
            if "(?P<format>" in text or "<drf_format_suffix" in text:
                continue
            routes.append(Route(name, text, params, view_class, actions))
    return routes


def fill(route: Route, values: dict[str, object]) -> str:
    def repl(m: re.Match) -> str:
        return str(values[m.group("name") or m.group("rname")])

    path = PARAM.sub(repl, route.route)
    return "/" + path.replace("^", "")


def foreign_object(world, model):
    """Side B's record of `model`; a tenant-owned model without one is a hole in this test's world."""
    b = world.b
    by_model = {CertificationBody: b.cb, Manufacturer: b.manufacturer, **b.records}
    with scope(SYSTEM):
        by_model[Site] = Site.objects.filter(manufacturer=b.manufacturer).first()
        by_model[Engagement] = Engagement.objects.filter(manufacturer=b.manufacturer).first()
        by_model[ApiToken] = ApiToken.objects.filter(organisation=b.cb_org).first()
        by_model[Organisation] = b.cb_org
        by_model[Membership] = Membership.objects.filter(organisation=b.cb_org).first()
    if model not in by_model:
        pytest.fail(f"The isolation world has no side-B record of {model.__name__}: add one to tests/factories.py.")
    return by_model[model]


def snapshot(world) -> dict:
    """Every side-B row, as the database holds it."""
    b = world.b
    rows = {}
    with scope(SYSTEM):
        owned = {CertificationBody, Manufacturer, Site, Engagement, ApiToken, Organisation, Membership}
        for model in {*owned, *b.records}:
            record = foreign_object(world, model)
            rows[model.__name__] = list(model.objects.filter(pk=record.pk).values())
        rows["tokens"] = list(ApiToken.objects.filter(organisation__in=[b.cb_org, b.manufacturer_org]).values())
    return rows


def viewers(world) -> list[tuple[str, object]]:
    """(label, client) for every kind of principal on side A, and the anonymous public."""
    out = []
    for role, (user, _p) in world.a.users.items():
        client = Client()
        client.force_login(user)
        out.append((f"session:{role}", client))
    for kind, (token, _p) in world.a.tokens.items():
        out.append((f"token:{kind}", token_client(token)))
    out.append(("anonymous", Client()))
    return out


PAYLOAD = {"name": "Hijacked", "reason": "probe", "country": "DE", "address": "x", "city": "x", "manufacturer": 1}


def call(client, method: str, path: str):
    """One request; API routes get a JSON body, portal routes a form body."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return getattr(client, method.lower())(path)
    if path.startswith("/api/"):
        return getattr(client, method.lower())(path, json.dumps(PAYLOAD), content_type="application/json")
    return getattr(client, method.lower())(path, PAYLOAD)


def test_every_route_is_classified():
    problems = []
    for r in walk():
        if r.name in NOT_TENANT_DATA:
            continue
        if r.params and r.model is None:
            problems.append(f"{r.route} ({r.name}) takes {r.params} but its view names no model")
        for param in r.params:
            if param not in ("pk", "name"):
                problems.append(f"{r.route} ({r.name}) has a parameter '{param}' the walker does not know")
    assert not problems, "\n".join(problems)
    assert len(walk()) > 20  # the walk really found the URL configuration


def test_foreign_records_answer_404_on_every_route(world):
    before = snapshot(world)
    probes = 0
    leaks: list[str] = []
    for route in walk():
        if not route.params or route.name in NOT_TENANT_DATA or route.model in PUBLIC_REFERENCE_MODELS:
            continue
        target = foreign_object(world, route.model)
        names = sorted(declared_transitions(route.model)) if "name" in route.params else [None]
        for tname in names:
            foreign_path = fill(route, {"pk": target.pk, "name": tname})
            missing_path = fill(route, {"pk": MISSING_PK, "name": tname})
            for label, client in viewers(world):
                for method in route.methods():
                    response = call(client, method, foreign_path)
                    probes += 1
                    body = response.content.decode(errors="replace")
                    if "Bravoside" in body:
                        leaks.append(f"{label} {method} {foreign_path}: body shows a side-B record")
                    # The portal knows no API tokens: there, a token holder is as anonymous as the public.
                    unauthenticated = label == "anonymous" or (label.startswith("token:") and not route.is_api)
                    if unauthenticated:
                        missing = call(client, method, missing_path)
                        if response.status_code != missing.status_code or response.status_code < 300:
                            leaks.append(
                                f"{label} {method} {foreign_path}: {response.status_code} "
                                f"(missing record: {missing.status_code})"
                            )
                    elif response.status_code != 404:
                        leaks.append(f"{label} {method} {foreign_path}: {response.status_code}, expected 404")
    assert probes > 200
    assert not leaks, f"{len(leaks)} leaks in {probes} probes:\n" + "\n".join(leaks[:50])
    assert snapshot(world) == before, "a probe changed a side-B row"


def test_collections_never_show_foreign_records(world):
    probes = 0
    leaks = []
    for route in walk():
        if route.params or route.name in NOT_TENANT_DATA:
            continue
        path = fill(route, {})
        for label, client in viewers(world):
            response = client.get(path)
            probes += 1
            if "Bravoside" in response.content.decode(errors="replace"):
                leaks.append(f"{label} GET {path}: shows a side-B record")
    assert probes > 30
    assert not leaks, "\n".join(leaks)


def test_own_records_are_visible_so_the_walk_can_fail(world):
    """The mirror image: side A's own records answer 200, so a 404 above means something."""
    user, _p = world.a.users[Role.CB_ADMIN]
    client = Client()
    client.force_login(user)
    token, _p = world.a.tokens["cb"]
    api = token_client(token)
    assert client.get(f"/bodies/{world.a.cb.pk}/").status_code == 200
    assert client.get(f"/manufacturers/{world.a.manufacturer.pk}/").status_code == 200
    assert api.get(f"/api/v1/certification-bodies/{world.a.cb.pk}/").status_code == 200
    assert api.get(f"/api/v1/manufacturers/{world.a.manufacturer.pk}/").status_code == 200
    assert "Alphaside Components" in client.get("/manufacturers/").content.decode()
