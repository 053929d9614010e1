"""PL-06: a list's party filter stays small however many parties the viewer sees (iecq/portal/filters.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from iecq.portal import filters as portal_filters
from manufacturers.models import Manufacturer

from .factories import SYSTEM

pytestmark = [pytest.mark.req("PL-06"), pytest.mark.django_db]


def manufacturer_options(page: str) -> list[str]:
    select = re.search(r'<select name="manufacturer"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_the_manufacturer_select_lists_at_most_the_limit_and_always_the_chosen_one(world, monkeypatch):
    from iecq.tenancy import scope

    with scope(SYSTEM):
        for i in range(3):
            Manufacturer.objects.create(name=f"Bounded Filter Maker {i}", country="GB")
        everyone = [str(pk) for pk in Manufacturer.objects.values_list("pk", flat=True)]
    operator = Client()
    operator.force_login(world.operator[0])
    full = manufacturer_options(operator.get("/certification/certificates/").content.decode())
    assert len(full) - 1 >= 5  # the operator sees every manufacturer (and the empty choice)

    monkeypatch.setattr(portal_filters, "CHOICES_LIMIT", 2)
    bounded = manufacturer_options(operator.get("/certification/certificates/").content.decode())
    assert bounded[0] == "" and len(bounded) == 3  # the empty choice and two rows
    beyond = next(pk for pk in everyone if pk not in bounded)
    response = operator.get("/certification/certificates/", {"manufacturer": beyond})
    assert response.status_code == 200
    chosen = manufacturer_options(response.content.decode())
    assert beyond in chosen and len(chosen) == 4  # the chosen one is listed, and the filter accepted it
    assert re.search(rf'<option value="{beyond}" selected>', response.content.decode())
