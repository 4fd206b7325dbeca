"""The composition root: the one place adapters are chosen and services are wired.

``build(settings, **overrides)`` returns a ``Container`` whose pieces are made on first use, each
importing only its own modules: a Lambda serving one route builds that route's service and its
adapters, nothing else (cold start). Tests and benches pass replacements as overrides, e.g.
``build(settings(), payments=FakePayments())`` (the payment platform), and ``install`` the result; nothing mutates a built
container. ``container()`` is the process's current one (built from the environment on first use).
"""
from __future__ import annotations

from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from ..config import Settings, settings
from .bookings import BookingPieces
from .courses import CoursePieces
from .edges import EdgePieces
from .memberships import MembershipPieces
from .offers import OfferPieces
from .tenancy import TenancyPieces
from .waitlists import WaitlistPieces

if TYPE_CHECKING:
    from ..adapters.tokens import TokenVerifier


class Container(TenancyPieces, BookingPieces, OfferPieces, MembershipPieces, EdgePieces, WaitlistPieces,
                CoursePieces):
    """Every piece is a ``cached_property`` of one feature module: built once, on first use. An override
    given to ``build`` sits in the instance's ``__dict__``, where ``cached_property`` finds it first."""

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.settings = settings
        unknown = sorted(name for name in overrides if not isinstance(getattr(type(self), name, None), cached_property))
        if unknown:
            raise TypeError(f"not pieces of the container: {unknown}")
        self.__dict__.update(overrides)


def build(settings: Settings, **overrides: Any) -> Container:
    return Container(settings, **overrides)


_current: Container | None = None


def container() -> Container:
    """The process's container: the installed one, else one built from the environment."""
    global _current
    if _current is None:
        _current = build(settings())
    return _current


def install(built: Container) -> Container:
    """Make ``built`` the process's container (tests and benches, with their overrides)."""
    global _current
    _current = built
    return built


@lru_cache(maxsize=1)
def token_verifier() -> TokenVerifier:
    from ..adapters.tokens import TokenVerifier

    s = settings()
    return TokenVerifier(
        audience=s.jwt_audience, issuer=s.jwt_issuer, jwks_url=s.jwt_jwks_url, dev_secret=s.jwt_dev_secret
    )


def reset() -> None:
    """Forget every built piece (tests change the environment between cases)."""
    global _current
    _current = None
    token_verifier.cache_clear()
    settings.cache_clear()
