"""Items the usage-period scheduler reads: 10,000 members of whom 100 are due (moto).

    .venv/bin/python -m bench.usage_periods [members] [due]

Not-due members are put in the SAME due-day partition (later today) and in later days, so the figure
shows the range condition on ``next_reset_at`` doing the work, not luck. Target: reads <= 1.1 x due.
``measure()`` is also used by tests/integration/test_usage_period_schedule.py with smaller numbers.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.conftest import make_business  # importing it sets the test environment (before chalicelib loads)

NOW = datetime(2030, 2, 27, 23, 30, tzinfo=UTC)  # just after 28 Feb began in Berlin


@dataclass
class ItemsRead:
    items: int = 0
    calls: int = 0


@contextmanager
def reading() -> Iterator[ItemsRead]:
    """Counts items returned by every read (GetItem, BatchGetItem, Query, Scan) while the block runs."""
    from pynamodb.signals import pre_dynamodb_send

    from chalicelib.adapters.dynamodb.base import all_models, connection_of

    seen = ItemsRead()
    hooked: list[Any] = []

    def after(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in ("GetItem",):
            seen.calls += 1
            seen.items += 1 if parsed.get("Item") else 0
        elif model.name in ("Query", "Scan"):
            seen.calls += 1
            seen.items += int(parsed.get("Count", 0))
        elif model.name == "BatchGetItem":
            seen.calls += 1
            seen.items += sum(len(v) for v in parsed.get("Responses", {}).values())

    def hook(client: Any) -> None:
        if not any(client is c for c in hooked):
            client.meta.events.register("after-call.dynamodb", after)
            hooked.append(client)

    def announced(sender: Any, **_: Any) -> None:
        hook(sender.client)

    for model in all_models():
        hook(connection_of(model).client)
    pre_dynamodb_send.connect(announced)
    try:
        yield seen
    finally:
        pre_dynamodb_send.disconnect(announced)
        for client in hooked:
            client.meta.events.unregister("after-call.dynamodb", after)


def seed(members: int, due: int, now: datetime = NOW) -> str:
    """One group; every member holds a monthly counter. ``due`` of them reset before ``now``."""
    from chalicelib.adapters.dynamodb.groups import GroupMemberModel, due_day

    make_business("bench-biz")
    group_id = "bench-group"
    anchor_due, anchor_later = date(2030, 1, 28), date(2030, 1, 1)
    with GroupMemberModel.batch_write() as batch:
        for i in range(members):
            is_due = i < due
            # Due: period from 28 Jan ended at 28 Feb 00:00 Berlin (27 Feb 23:00 UTC).
            # Not due: half later today (same partition), half on later days.
            ends = now - timedelta(minutes=30) if is_due else now + timedelta(minutes=10 + i % 20) if i % 2 else now + timedelta(days=1 + i % 27)
            batch.save(GroupMemberModel(
                group_id, f"m{i:05d}@example.com", business_id="bench-biz", member_key=f"bench-biz#m{i:05d}@example.com",
                manual=True, joined_at=now - timedelta(days=60), anchor=(anchor_due if is_due else anchor_later).isoformat(),
                usage={"o1": {"period": "2030-01-28" if is_due else "2030-02-01", "used": 2, "unit": "month",
                              "tz": "Europe/Berlin", "ends_at": ends.isoformat()}},
                next_reset_at=ends, due_day=due_day(ends)))
    return group_id


def measure(members: int, due: int) -> dict[str, int]:
    import time_machine

    from chalicelib.bootstrap import container

    seed(members, due)
    service = container().usage_periods
    assert service is not None
    with time_machine.travel(NOW, tick=False):
        service.state.advance("usage_periods", NOW - timedelta(hours=1))  # the hourly run before this one
        with reading() as first:
            report = service.run()
        with reading() as second:
            again = service.run()
    return {"members": members, "due": report.due, "rolled": report.rolled, "items_read": first.items,
            "read_calls": first.calls, "second_run_due": again.due, "second_run_items_read": second.items}


def main(argv: list[str]) -> None:
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.adapters.dynamodb import base

    members, due = (int(argv[0]), int(argv[1])) if len(argv) == 2 else (10_000, 100)
    with mock_aws():
        base.point_at(None)
        base.create_missing_tables(wait=False)
        bootstrap.reset()
        figures = measure(members, due)
    ratio = figures["items_read"] / max(figures["due"], 1)
    print("Usage-period scheduler, one run (moto):")
    for key, value in figures.items():
        print(f"  {key:<22} {value}")
    print(f"  items read / due       {ratio:.2f}  (target <= 1.10)")


if __name__ == "__main__":
    main(sys.argv[1:])
