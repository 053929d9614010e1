"""Pieces shared by the portal's list filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db import models
from django.forms import DateInput
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
