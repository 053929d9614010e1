"""Domain errors raised by services and selectors, mapped to 404/403/409/410/400 by the API and the portal."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service reports to its caller; `code` is stable and machine-readable."""

    status = 400
    code = "invalid"
    title = "The request cannot be processed"

    def __init__(self, detail: str = "", *, code: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.errors = errors or {}


class NotFound(DomainError):
    """The record does not exist or the principal may not see it: the two are indistinguishable."""

    status = 404
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    """The principal sees the record but its role may not perform the action."""

    status = 403
    code = "forbidden"
    title = "You may not perform this action"


class Gone(DomainError):
    """The record exists and is visible, but what was asked for was deleted on purpose (an expired download)."""

    status = 410
    code = "gone"
    title = "No longer available"


class IllegalTransition(DomainError):
    """The state machine does not allow this transition from the record's current state."""

    status = 409
    code = "illegal_transition"
    title = "This transition is not allowed from the current state"


class ValidationFailed(DomainError):
    """Input was wrong or missing; `errors` maps field names to messages."""

    status = 400
    code = "validation_failed"
    title = "The input is not valid"
