"""Deadlines derived from data (SC-01): each app lists what falls due; the sweep (issue 5) acts on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models


@dataclass(frozen=True)
class Deadline:
    """One thing due on one date. `key` is stable, so a reminder can be recorded once per deadline."""

    kind: str
    due_on: date
    record: models.Model
    certification_body_id: int | None
    description: str
    manufacturer_id: int | None = None
    audience: tuple[str, ...] = ("cb",)  # who is reminded: "cb" managers, "manufacturer" quality, "operator"
    url: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record._meta.label_lower}:{self.record.pk}:{self.due_on.isoformat()}"
