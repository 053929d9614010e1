"""Generic reads through the visibility rule; every app's selectors build on these two."""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from .errors import NotFound
from .principals import Principal

M = TypeVar("M", bound=models.Model)


def visible(model: type[M], principal: Principal) -> models.QuerySet[M]:
    """The rows of `model` that `principal` may see."""
    return model._default_manager.visible_to(principal)


def get_visible(model: type[M], principal: Principal, pk: object, *, for_update: bool = False) -> M:
    """One row by primary key; a row that does not exist and a row the principal may not see both raise NotFound."""
    qs = visible(model, principal)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=int(pk))
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
