"""Who may take a transition: the permission callables every state machine declares (django-fsm-2).

Each takes the record and the principal; the transition helper calls it after visibility and state.
"""

from __future__ import annotations

from django.db import models

from .principals import Principal
from .roles import Role

# Decisions (reviews, certification, sanctions) belong to these CB roles.
CB_DECIDERS = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER)
CB_STAFF = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER, Role.CB_TECHNICAL_REVIEWER, Role.CB_CLERK, Role.CB_AUDITOR)
MF_APPLICANTS = (Role.MF_ADMIN, Role.MF_QUALITY_MANAGER, Role.MF_SUBMITTER)


def cb_decider(record: models.Model, p: Principal) -> bool:
    """The certification manager or administrator of the record's CB."""
    return p.is_cb and p.certification_body_id == record.certification_body_id and p.has_role(*CB_DECIDERS)


def cb_staff(record: models.Model, p: Principal) -> bool:
    """Anybody on the staff of the record's CB."""
    return p.is_cb and p.certification_body_id == record.certification_body_id and p.has_role(*CB_STAFF)


def manufacturer_member(record: models.Model, p: Principal) -> bool:
    """The manufacturer the record concerns, through its administrator, quality manager or submitter."""
    return p.is_manufacturer and p.manufacturer_id == record.manufacturer_id and p.has_role(*MF_APPLICANTS)


def operator_only(record: models.Model, p: Principal) -> bool:
    """The system operator (the IECQ secretariat)."""
    return p.is_operator


def system_only(record: models.Model, p: Principal) -> bool:
    """The scheduler's sweep: deadline consequences are never a person's button."""
    return p.is_system
