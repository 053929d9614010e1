"""Principals (users, organisations, memberships, API tokens) and the append-only transition log."""

from .idempotency import IdempotencyKey
from .log import DecisionEvidence, TransitionLog
from .notifications import EmailOutbox, Notification, Reminder
from .principals import Membership, Organisation, User
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "DecisionEvidence",
    "EmailOutbox",
    "IdempotencyKey",
    "Membership",
    "Notification",
    "Organisation",
    "Reminder",
    "TransitionLog",
    "User",
]
