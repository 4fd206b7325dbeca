"""Dev tokens for the local stack (``make token ROLE=staff|booker EMAIL=... BUSINESS=...``).

Signed HS256 with the ``local`` stage's dev secret, with the claims the authorizer reads; the API
under ``make run`` accepts them, a deployed stage (JWKS, no dev secret) never does.
"""
from __future__ import annotations

import argparse

from chalicelib.adapters.tokens import TokenVerifier

from .settings import DEMO_BOOKER, DEMO_BUSINESS, stage_variables


def mint(role: str, *, business: str = DEMO_BUSINESS, email: str = DEMO_BOOKER, name: str = "",
         ttl_hours: int = 12) -> str:
    env = stage_variables()
    verifier = TokenVerifier(audience=env["JWT_AUDIENCE"], dev_secret=env["JWT_DEV_SECRET"])
    if role == "staff":
        claims = {"sub": f"staff-{business}", "role": "staff", "business_id": business}
    elif role == "booker":
        claims = {"sub": f"booker-{email}", "role": "booker", "email": email, "email_verified": True}
        if name:
            claims["name"] = name
    else:
        raise SystemExit(f"ROLE must be 'staff' or 'booker', not {role!r}")
    return verifier.mint(claims, ttl_seconds=ttl_hours * 3600)


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a bearer token for the local API.")
    parser.add_argument("--role", default="staff", help="staff (of BUSINESS) or booker (with EMAIL)")
    parser.add_argument("--business", default="", help=f"staff: the business id (default {DEMO_BUSINESS})")
    parser.add_argument("--email", default="", help=f"booker: the verified email (default {DEMO_BOOKER})")
    parser.add_argument("--name", default="", help="booker: display name")
    parser.add_argument("--ttl-hours", type=int, default=12)
    args = parser.parse_args()
    print(mint(args.role or "staff", business=args.business or DEMO_BUSINESS, email=args.email or DEMO_BOOKER,
               name=args.name, ttl_hours=args.ttl_hours))


if __name__ == "__main__":
    main()
