"""Backfill of customer search fragments (L1): ``python -m local.reindex_customers <business_id> ...``.

Needed once per existing business after the fragment scheme changed (suffixes of the whole email,
accent-folded names): records indexed before are otherwise found only by the old word fragments.
Idempotent: rewrites each customer's fragments and deletes the ones no record explains. Key
lookups only (a Query per business), so it needs the business ids; run it with the stage's
``TABLE_PREFIX`` and credentials.
"""
from __future__ import annotations

import sys

from chalicelib.adapters.dynamodb.customers import CustomerRepository


def main(business_ids: list[str]) -> None:
    repo = CustomerRepository()
    for business_id in business_ids:
        indexed, deleted = repo.reindex(business_id)
        print(f"{business_id}: {indexed} customers indexed, {deleted} stale fragments deleted")


if __name__ == "__main__":
    main(sys.argv[1:])
