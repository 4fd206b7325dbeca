"""Who is staff of which business: the product's own records, never a token claim (T1, T2)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from .errors import InvalidInputError

BUSINESS_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
INVITATION_DAYS = 7
BUSINESS_HEADER = "X-Business-Id"  # which business a staff request acts for, when the person has several


class StaffRole(str, Enum):
    OWNER = "owner"  # manages staff, the Stripe connection and the plan's billing
    STAFF = "staff"


@dataclass(frozen=True)
class StaffMember:
    """``subject`` (the token's ``sub``) may act for ``business_id`` with ``role``."""

    business_id: str
    subject: str
    role: StaffRole
    email: str | None = None
    added_at: datetime | None = None


@dataclass(frozen=True)
class Invitation:
    """An owner asked ``email`` to join; whoever signs in with that verified email may accept."""

    business_id: str
    email: str
    role: StaffRole
    invited_by: str
    invited_at: datetime
    expires_at: datetime

    def open_at(self, now: datetime) -> bool:
        return now < self.expires_at


def validate_business_id(value: str) -> str:
    """A slug: it appears in public paths (``/v1/businesses/{business_id}``) and cannot change."""
    if not BUSINESS_ID.match(value):
        raise InvalidInputError(
            "The business id must be 3 to 63 lowercase letters, digits or hyphens, not starting or ending "
            "with a hyphen.", field="business_id")
    return value
