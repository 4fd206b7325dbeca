"""Dev tokens for the local stack (``make token ROLE=owner|staff|booker|operator BUSINESS=... EMAIL=...``).

Signed HS256 with the ``local`` stage's dev secret. Tokens say only who the person is (``sub``, and
a verified email): which business an owner or staff member acts for comes from the seeded staff
records (``local/seed.py``), the operator from the stage's ``OPERATOR_SUBJECTS``.
"""
from __future__ import annotations

import argparse

from chalicelib.adapters.tokens import TokenVerifier

from .settings import DEMO_BOOKER, DEMO_BUSINESS, OPERATOR_SUBJECT, owner_subject, staff_subject, stage_variables

ROLES = ("owner", "staff", "booker", "operator")


def mint(role: str, *, business: str = DEMO_BUSINESS, email: str = DEMO_BOOKER, name: str = "",
         ttl_hours: int = 12) -> str:
    env = stage_variables()
    verifier = TokenVerifier(audience=env["JWT_AUDIENCE"], dev_secret=env["JWT_DEV_SECRET"])
    claims: dict[str, object]
    if role == "owner":
        claims = {"sub": owner_subject(business)}
    elif role == "staff":
        claims = {"sub": staff_subject(business)}
    elif role == "operator":
        claims = {"sub": OPERATOR_SUBJECT}
    elif role == "booker":
        claims = {"sub": f"booker-{email}", "email": email, "email_verified": True}
        if name:
            claims["name"] = name
    else:
        raise SystemExit(f"ROLE must be one of {', '.join(ROLES)}, not {role!r}")
    return verifier.mint(claims, ttl_seconds=ttl_hours * 3600)


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a bearer token for the local API.")
    parser.add_argument("--role", default="staff", help="owner or staff (of BUSINESS), booker (with EMAIL), operator")
    parser.add_argument("--business", default="", help=f"owner/staff: the seeded business (default {DEMO_BUSINESS})")
    parser.add_argument("--email", default="", help=f"booker: the verified email (default {DEMO_BOOKER})")
    parser.add_argument("--name", default="", help="booker: display name")
    parser.add_argument("--ttl-hours", type=int, default=12)
    args = parser.parse_args()
    print(mint(args.role or "staff", business=args.business or DEMO_BUSINESS, email=args.email or DEMO_BOOKER,
               name=args.name, ttl_hours=args.ttl_hours))


if __name__ == "__main__":
    main()
