"""Errors the domain raises. The API layer maps each kind to one HTTP status.

Every error carries a machine-readable ``code`` and a sentence for people; rule refusals also name
the rule (``reason``) so a booker's app can say exactly why a booking was refused.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class InvalidInputError(DomainError):
    """The request is well-formed JSON but breaks a rule about its own fields."""

    status = 400
    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message, code=code, details={"field": field} if field else None)


class NotFoundError(DomainError):
    """Unknown id, or an id that belongs to another business or booker (never say which)."""

    status = 404
    code = "not_found"


class ForbiddenError(DomainError):
    status = 403
    code = "forbidden"


class PlanRequiredError(DomainError):
    """The business's plan tier does not include the feature (402, like a paywall)."""

    status = 402
    code = "plan_required"


class ConflictError(DomainError):
    """The request is valid but the current state refuses it (full entry, duplicate, in use)."""

    status = 409
    code = "conflict"


class TransactionContendedError(ConflictError):
    """Another write touched the same items at the same moment; the use case re-reads and decides again."""

    code = "busy"


class PassChangedError(TransactionContendedError):
    """The chosen pass changed between read and write (a use taken, an override): settle again."""


class RuleRefusedError(ConflictError):
    """A booking rule refused: ``reason`` names the rule (e.g. ``not_a_member``, ``no_uses_left``)."""

    code = "refused"

    def __init__(self, reason: str, message: str, **details: Any):
        super().__init__(message, code="refused", details={"reason": reason, **details})
        self.reason = reason


class PaymentsUnavailableError(DomainError):
    """No payment provider is configured in this deployment (a setup problem, not the caller's)."""

    status = 503
    code = "payments_unavailable"


class StripeNotConnectedError(ConflictError):
    """The business has no connected Stripe account (never connected, or disconnected): paid features wait (T6)."""

    code = "stripe_not_connected"


class EntryFullError(RuleRefusedError):
    """The places went to someone else between read and write."""

    def __init__(self, message: str):
        super().__init__("no_places_left", message)


class SessionsFullError(RuleRefusedError):
    """S6: sessions of a course with no place left; the checkout does not open (``entry_ids`` says which)."""

    def __init__(self, entry_ids: list[str], message: str = "Some sessions of this course are full."):
        super().__init__("sessions_full", message, entry_ids=entry_ids)
        self.entry_ids = entry_ids


class InvalidTokenError(Exception):
    """The bearer token is missing, malformed, unsigned, expired, or not for this API (answered 401)."""
