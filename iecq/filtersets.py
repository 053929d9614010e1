"""The base of every filterset (API and portal): django-filter's, without the per-request deep copies of choices.

django-filter deep-copies a filterset's declared filters for each request, then Django deep-copies the
form's fields again. The filters' choice lists (every country, with its translated name) were most of that
work: two deep copies of ~250 lazy strings per country filter per request, a few milliseconds per API list
(measured by `make bench`). The copies here are the same except that:

* a filter's `choices` list (and its label) is shared with the declared filter instead of copied: nothing
  changes a choice list in place (a filter that needs other choices assigns a new list);
* the form keeps the fields it is built with: `get_form_class` builds a new form class for each filterset
  instance from that instance's own (copied) filters, so nothing else holds those fields.
"""

from __future__ import annotations

import copy
from typing import Any

import django_filters
from django.utils.functional import Promise


class _OwnFieldsForm:
    """A filterset instance's form: its fields are that instance's already; no second deep copy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = type(self).base_fields
        self.base_fields = {}  # what BaseForm.__init__ deep-copies: nothing
        try:
            super().__init__(*args, **kwargs)
        finally:
            del self.base_fields
        self.fields = dict(fields)
        self.order_fields(self.field_order)


class _DeclaredFilters(dict):
    """The declared filters, deep-copied with their immutable parts (choice lists, labels) shared."""

    def __init__(self, filters: dict, shared: dict[int, object]) -> None:
        super().__init__(filters)
        self.shared = shared

    def __deepcopy__(self, memo: dict) -> dict:
        memo.update(self.shared)
        return {name: copy.deepcopy(f, memo) for name, f in self.items()}


def _immutable_parts(filters: dict) -> dict[int, object]:
    shared: dict[int, object] = {}
    for f in filters.values():
        choices = f.extra.get("choices")
        if isinstance(choices, (list, tuple)):
            shared[id(choices)] = choices
        if isinstance(f.label, Promise):
            shared[id(f.label)] = f.label
    return shared


class FilterSet(django_filters.FilterSet):
    """django_filters.FilterSet, cheaper per request (see the module docstring); behaves the same."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        shared = cls.__dict__.get("_immutable_parts")
        if shared is None:
            shared = _immutable_parts(cls.base_filters)
            cls._immutable_parts = shared
        self.base_filters = _DeclaredFilters(cls.base_filters, shared)
        try:
            super().__init__(*args, **kwargs)
        finally:
            del self.base_filters

    def get_form_class(self):
        fields = {name: f.field for name, f in self.filters.items()}
        return type(f"{type(self).__name__}Form", (_OwnFieldsForm, self._meta.form), fields)
