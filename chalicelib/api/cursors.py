"""Opaque list cursors (L1): a store position sealed with AES-GCM, bound to the list it came from.

The plaintext is the store's ``LastEvaluatedKey``; the associated data is the route, the caller's
business (and booker), the path parameters and the filters of the query. A client can neither read
the keys nor forge or edit a cursor, and a cursor of one list (or one business) does not open another:
each case fails authentication and is a 400 naming ``cursor``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

NONCE_BYTES = 12


class CursorError(ValueError):
    """The cursor was not made by this API for this list."""


def _cipher(secret: str) -> Any:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(hashlib.sha256(b"list-cursor:" + secret.encode()).digest())


def scope_of(*parts: Any) -> bytes:
    """The associated data a cursor is bound to (canonical JSON of what identifies the list)."""
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()


def seal(key: dict[str, Any], scope: bytes, secret: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(secret).encrypt(nonce, json.dumps(key, separators=(",", ":")).encode(), scope)
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def open_cursor(cursor: str, scope: bytes, secret: str) -> dict[str, Any]:
    from cryptography.exceptions import InvalidTag

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) <= NONCE_BYTES:
            raise CursorError("too short")
        key = json.loads(_cipher(secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], scope))
    except (ValueError, InvalidTag) as exc:
        raise CursorError(str(exc) or "not a cursor of this list") from None
    if not isinstance(key, dict):
        raise CursorError("not a cursor of this list")
    return key
