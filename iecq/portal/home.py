"""The home page per role (PL-06, PL-07): each app's selectors say what waits for this person."""

from __future__ import annotations

from bodies import selectors as bodies_selectors
from certification import selectors as certification_selectors
from sanctions import selectors as sanctions_selectors
from surveillance import selectors as surveillance_selectors

from ..principals import Principal
from ..todo import TodoItem

PROVIDERS = (
    bodies_selectors.todo_for,
    certification_selectors.todo_for,
    surveillance_selectors.todo_for,
    sanctions_selectors.todo_for,
)


def todo_for(principal: Principal) -> list[TodoItem]:
    """Everything waiting for `principal`, overdue work first; each item read through the visibility rule."""
    if not principal.is_authenticated or principal.is_system:
        return []
    items = [item for provider in PROVIDERS for item in provider(principal)]
    return sorted(items, key=lambda item: not item.overdue)


def may_see_dashboard(principal: Principal) -> bool:
    """The supervisory dashboard (PL-05) is for supervisory bodies (their country) and the operator (any)."""
    return (principal.is_supervisor and bool(principal.country)) or principal.is_operator
