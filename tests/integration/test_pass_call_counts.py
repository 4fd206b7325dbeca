"""The DynamoDB cost of pass operations, pinned (``make bench`` prints the same figures)."""
from __future__ import annotations

from bench.dynamodb_calls import run, summary
from bench.scenarios import load_all
from chalicelib.adapters.dynamodb.tenancy import BusinessModel


def test_pass_operations_cost_one_query_and_one_transaction():
    chosen = [s for s in load_all() if "pass" in s.name]
    prefix = BusinessModel.Meta.table_name.removesuffix("businesses")
    figures = {name: summary(calls, prefix) for name, calls in run(chosen)}
    # The entry and its page (an unpublished page closes its entries), ALL the customer's passes in
    # one Query (used-up ones skipped in memory), then the place + booking + use in one transaction.
    assert figures["book with a pass, 3 older passes used up (booker)"] == (
        "GetItem(entries), GetItem(pages), Query(passes), "
        "TransactWriteItems(booker-counters+bookings+entries+passes)")  # B8 counter
    # Every staff request first reads the caller's staff records (never cached: a removed member is
    # refused on their next request); bookers and the public do not.
    assert figures["list a customer's passes, 4 passes (staff)"] == "Query(staff), Query(passes)"
    assert figures["list my passes, 4 passes (booker)"] == "Query(passes)"
    assert figures["override a pass's uses (staff)"] == "Query(staff), GetItem(passes), UpdateItem(passes)"
