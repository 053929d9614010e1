"""Principals (users, organisations, memberships, API tokens) and the append-only transition log."""

from .log import TransitionLog
from .principals import Membership, Organisation, User
from .tokens import ApiToken

__all__ = ["ApiToken", "Membership", "Organisation", "TransitionLog", "User"]
