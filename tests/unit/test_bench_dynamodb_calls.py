"""bench/dynamodb_calls.py keeps counting right: every call once, raw client calls included, setup excluded."""
from __future__ import annotations

import pytest

from bench.dynamodb_calls import Call, CallCounter, run, summary, table
from bench.scenarios import Scenario, load_all
from chalicelib.adapters.dynamodb import base
from chalicelib.adapters.dynamodb.catalogue import PageModel
from chalicelib.adapters.dynamodb.tenancy import BusinessModel
from tests.conftest import make_business


def test_counts_pynamodb_operations_and_raw_client_calls_once_each(aws):
    make_business("biz-a")
    counter = CallCounter()
    with counter.counting():
        BusinessModel.get("biz-a")  # through PynamoDB
        base.batch_get([(BusinessModel, "biz-a", None), (PageModel, "biz-a", "p1")])  # raw botocore client call
        with base.transaction(BusinessModel) as txn:
            txn.update(BusinessModel("biz-a"), actions=[BusinessModel.name.set("Renamed")])
    BusinessModel.get("biz-a")  # after the block: not counted
    businesses, pages = BusinessModel.Meta.table_name, PageModel.Meta.table_name
    assert counter.calls == [
        Call("GetItem", (businesses,)),
        Call("BatchGetItem", tuple(sorted((businesses, pages)))),
        Call("TransactWriteItems", (businesses,), ("Update",)),
    ]


def test_a_registered_scenario_counts_only_its_operation():
    [booking] = [s for s in load_all() if s.name == "book a free ticket (booker)"]
    [(name, calls)] = run([booking])
    prefix = BusinessModel.Meta.table_name.removesuffix("businesses")
    labels = [c.label(prefix) for c in calls]
    assert "TransactWriteItems(booker-counters+bookings+entries)" in labels  # B8: the per-booker count
    assert "PutItem(entries)" not in labels and "PutItem(pages)" not in labels  # the setup's writes
    rows = [[cell.strip() for cell in line.split("|")] for line in table([(name, calls)], prefix).splitlines()]
    assert [name, str(len(calls)), summary(calls, prefix)] in rows


def test_a_scenario_that_never_counts_is_an_error():
    silent = Scenario("forgot to count", lambda world: world.page())
    with pytest.raises(RuntimeError, match="never entered world.counted"):
        run([silent])
