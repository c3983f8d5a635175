"""Expected failures: a rule violation or a refused action becomes a polite templated
reply (citing the article where one applies); anything else is a bug."""

from __future__ import annotations

from typing import Any


class UserFacingError(Exception):
    """An expected refusal. ``template`` names a text template in messages/templates."""

    def __init__(self, template: str, **context: Any) -> None:
        super().__init__(template)
        self.template = template
        self.context = context


class RuleViolation(UserFacingError):
    """Refused because the work rules forbid it; the template cites the article."""


class NotAuthorized(UserFacingError):
    """The sender may not perform this action."""


class RouteConflictError(Exception):
    """Two registrations claim the same command word or card action (start-up error)."""
