"""The sent-emails ledger: one item per occurrence key, so a redelivered event never mails twice."""
from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.models import Model

from .base import is_condition_failure, register, table_meta

KEEP_DAYS = 90
CLAIM_LEASE = timedelta(minutes=5)  # a sender that died mid-send frees the key after this


@register
class SentEmailModel(Model):
    Meta = table_meta("sent-emails")
    dedupe_key = UnicodeAttribute(hash_key=True)  # "<occurrence>#<template>#<email>"
    state = UnicodeAttribute()  # claimed, sent
    claimed_at = UTCDateTimeAttribute()
    message_id = UnicodeAttribute(null=True)
    expires = TTLAttribute()


class EmailLedger:
    """One conditional put per email: the key is taken as sent before sending, and freed if sending fails.

    A sender that dies inside the send call leaves the key taken (that email is not retried): the
    price of one write per email instead of two, and never a duplicate.
    """

    def claim(self, key: str, now: datetime) -> bool:
        """True if this caller may send: nobody sent it, and nobody is sending it right now."""
        condition = SentEmailModel.dedupe_key.does_not_exist() | (
            (SentEmailModel.state == "claimed") & (SentEmailModel.claimed_at < now - CLAIM_LEASE)
        )  # "claimed": items of the two-write ledger before this one, still honoured until they expire
        try:
            SentEmailModel(key, state="sent", claimed_at=now, expires=now + timedelta(days=KEEP_DAYS)).save(
                condition=condition
            )
            return True
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise

    def release(self, key: str) -> None:
        """The send failed: free the key so the retry of the message sends it."""
        try:
            SentEmailModel(key).delete()
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise
