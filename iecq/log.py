"""Reads of the transition log."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import TransitionLog
from .principals import Principal


def history_of(instance: models.Model, principal: Principal) -> models.QuerySet[TransitionLog]:
    """The record's transitions that `principal` may see, oldest first."""
    return (
        TransitionLog.objects.visible_to(principal)
        .filter(content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk)
        .order_by("at", "id")
    )
