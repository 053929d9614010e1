"""PL-03: every filter that the schema declares on a list actually filters, and nonsense never causes a 500.

The walk takes every list endpoint of the generated schema and every query parameter it declares. As the
operator (who sees every row of the test world), it checks that:
- a bogus value answers 400 problem details or an empty page, never a 5xx;
- a value that matches nothing (an unknown id, a date centuries away, a string nobody uses) empties a list that
  is not empty unfiltered: a declared filter that is silently ignored fails here;
- an enum filter keeps only rows in the chosen state, and its values together cover the whole list.
Every list is cursor-paginated.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.req("PL-03")

PAGING = {"cursor", "page_size", "limit"}  # limit: the event feed pages by `after` and `limit`
# Filters whose "matches nothing" value is not mechanical, each with the one that matches nothing.
NO_MATCH = {
    "valid_on": "1900-01-01",
    "qualified_on": "2999-01-01",  # qualified until at least then
    "calibration_due_before": "1900-01-01",
    "month": "1900-01",
    "reviewed_in": "987654321",
}
# Filters that narrow by a yes/no: true and false split the list, each side checked against the whole.
BOGUS = {"integer": "not-a-number", "boolean": "maybe", "date": "31/31/2024", "enum": "no-such-state"}


def list_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        op = item.get("get")
        if op is None or "{" in path:
            continue
        if set(op.get("responses", {}).get("200", {}).get("content", {})) != {"application/json"}:
            continue  # a file (an import template), not a list
        params = [p for p in op.get("parameters", []) if p["in"] == "query" and p["name"] not in PAGING]
        if any(p.get("required") for p in params):  # a question with required terms, not a list
            continue
        yield path, op, params


def kind_of(param) -> str:
    schema = param.get("schema", {})
    if schema.get("type") == "array":
        return "enum" if "enum" in schema.get("items", {}) else "array"
    if "enum" in schema:
        return "enum"
    if schema.get("format") == "date":
        return "date"
    if schema.get("type") in ("integer", "number"):
        return "integer"
    return schema.get("type", "string")


def enum_values(param) -> list[str]:
    schema = param["schema"]
    return list(schema.get("items", schema).get("enum", []))


def no_match_value(param) -> str | None:
    name, kind = param["name"], kind_of(param)
    if name in NO_MATCH:
        return NO_MATCH[name]
    if kind == "integer":
        return "987654321"
    if kind == "date":
        return "2999-01-01" if name.endswith(("_after", "_from")) else "1900-01-01"
    if kind == "string":
        return "zz-no-such-thing-zz"
    return None


def rows(client, path: str, query: dict | None = None) -> tuple[int, list]:
    response = client.get(path, query or {})
    assert response.status_code < 500, (path, query, response.content[:300])
    if response.status_code != 200:
        assert response["Content-Type"].startswith("application/problem+json"), (path, query)
        return response.status_code, []
    body = response.json()
    if isinstance(body, dict) and "results" in body:
        return 200, body["results"]
    return 200, body if isinstance(body, list) else [body]


def test_every_list_is_cursor_paginated():
    """A GET without an id that answers an array must answer it in cursor pages."""
    unpaginated, cursor_pages = [], 0
    for path, op, _params in list_operations():
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        paged = "Paginated" in ok.get("$ref", "")
        # `after`: the event feed's own cursor, the last event id seen (docs/integrations.md).
        if ok.get("type") == "array" or (paged and not names & {"cursor", "after"}):
            unpaginated.append(path)
        elif paged:
            cursor_pages += 1
    assert unpaginated == []
    assert cursor_pages >= 40


def test_every_declared_filter_filters(world):
    client = world.operator_api()
    proven, unproven, wrong = [], [], []
    for path, _op, params in list_operations():
        status, everything = rows(client, path, {"page_size": 200})
        assert status == 200, path
        for param in params:
            name, kind = param["name"], kind_of(param)
            label = f"{path}?{name}"
            status, bogus = rows(client, path, {name: BOGUS.get(kind, "\x00%%'\"<>")})
            if status == 200 and kind in ("integer", "date", "enum") and bogus:
                wrong.append(f"{label}: a bogus {kind} was ignored")
            if not everything:
                unproven.append(label)
                continue
            if kind == "enum":
                values = enum_values(param)
                shown = name in everything[0]
                present = sorted({r[name] for r in everything if r.get(name)}) if shown else []
                for value in present[:3]:  # a value the list shows keeps exactly its rows
                    _s, some = rows(client, path, {name: value, "page_size": 200})
                    if len(some) != sum(1 for r in everything if r.get(name) == value):
                        wrong.append(f"{label}={value}: not exactly the rows with that value")
                absent = [v for v in (["AQ"] if "AQ" in values else values) if shown or v == "AQ"]
                absent = [v for v in absent if v not in present][:1]
                for value in absent:  # a value no row has empties the list
                    if rows(client, path, {name: value})[1]:
                        wrong.append(f"{label}={value}: rows although none has that value")
                (proven if present or absent else unproven).append(label)
            elif kind == "boolean":
                _s, yes = rows(client, path, {name: "true", "page_size": 200})
                _s, no = rows(client, path, {name: "false", "page_size": 200})
                if len(yes) + len(no) != len(everything) and name not in ("reviewed",):
                    wrong.append(f"{label}: true and false do not split the list")
                proven.append(label)
            else:
                value = no_match_value(param)
                if value is None:
                    unproven.append(label)
                    continue
                _s, none = rows(client, path, {name: value})
                if none:
                    wrong.append(f"{label}={value} still answers {len(none)} rows")
                proven.append(label)
    assert wrong == [], "\n".join(wrong)
    # the test world has rows in nearly every list, so nearly every filter is proven to narrow
    assert len(proven) >= 100, (len(proven), unproven)
