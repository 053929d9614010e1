"""Pieces shared by the portal's list filters."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import django_filters
from django.db import models
from django.forms import DateInput, Select
from django.http import HttpRequest

from ..selectors import visible


def visible_to_request(model: type[models.Model]) -> Callable[[HttpRequest | None], models.QuerySet]:
    """A filter's choices: the rows the requesting principal sees (none without a request)."""

    def queryset(request: HttpRequest | None) -> models.QuerySet:
        if request is None:
            return model._default_manager.none()
        return visible(model, request.principal)

    return queryset


def reference_choices(model: type[models.Model]) -> Callable[[HttpRequest | None], models.QuerySet]:
    """A filter's choices among public reference data."""
    return lambda request: model.objects.all()


class DatePickersMixin:
    """The shared filters' date parameters as browser date pickers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for declared in self.filters.values():
            if isinstance(declared, django_filters.DateFilter):
                declared.extra["widget"] = DateInput()


CHOICES_LIMIT = 500


class BoundedSelect(Select):
    """A filter's select that lists at most CHOICES_LIMIT rows, and always the chosen one.

    A party filter over everything a viewer sees does not scale: the operator's certificate list listed every
    manufacturer (50,373 options, 3 MB of HTML at a million certificates). Beyond the limit the viewer finds a
    party with the list's search box (it searches the party's name); the filter itself still accepts any
    visible row, since the field validates the chosen id against the full queryset."""

    def optgroups(self, name, value, attrs=None):
        full = self.choices
        shown = list(itertools.islice(full, CHOICES_LIMIT + 1))  # the empty choice, then the first rows
        chosen = [v for v in value if v not in (None, "")]
        listed = {str(getattr(option, "value", option)) for option, _label in shown}
        queryset = getattr(full, "queryset", None)
        if chosen and str(chosen[0]) not in listed and queryset is not None:
            found = queryset.filter(pk=chosen[0]).first() if str(chosen[0]).isdigit() else None
            if found is not None:
                shown.append(full.choice(found))
        self.choices = shown
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = full


def visible_party_filter(model: type[models.Model], label) -> django_filters.ModelChoiceFilter:
    """The filter on a party (manufacturer…) of a portal list: the rows the viewer sees, in a bounded select."""
    return django_filters.ModelChoiceFilter(queryset=visible_to_request(model), label=label, widget=BoundedSelect)
