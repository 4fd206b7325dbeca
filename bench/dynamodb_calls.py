"""DynamoDB calls per API operation, run through chalice.test.Client against moto.

    python -m bench.dynamodb_calls [name-substring ...]      (or: make bench)

Scenarios are in ``bench/scenarios/`` (see its docstring to add one). A call is counted at botocore's
``before-call`` event, once per API call whoever makes it: PynamoDB operations and raw client calls
such as ``base.batch_get``'s BatchGetItem alike. The clients are the registered models' connections,
plus any connection that announces itself through PynamoDB's ``pre_dynamodb_send`` signal.
"""
from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.scenarios import Scenario, World, load_all
from tests.conftest import Api  # importing it sets the test environment (before chalicelib loads)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Call:
    operation: str  # GetItem, Query, TransactWriteItems...
    tables: tuple[str, ...]  # table names, "table/index" for an index query
    items: tuple[str, ...] = ()  # a transaction's kinds of item (Put, Update, ConditionCheck...)

    def label(self, prefix: str = "") -> str:
        return f"{self.operation}({'+'.join(t.removeprefix(prefix) for t in self.tables)})"


def tables_in(params: dict[str, Any]) -> tuple[str, ...]:
    if "TableName" in params:
        index = params.get("IndexName")
        return (f"{params['TableName']}/{index}" if index else params["TableName"],)
    if "RequestItems" in params:
        return tuple(sorted(params["RequestItems"]))
    if "TransactItems" in params:
        return tuple(sorted({op["TableName"] for item in params["TransactItems"] for op in item.values()}))
    return ()


class CallCounter:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._clients: list[Any] = []  # hooked clients (kept alive, compared by identity)
        self._active = False

    def _hook(self, client: Any) -> None:
        if not any(client is c for c in self._clients):
            client.meta.events.register("before-parameter-build.dynamodb", self._before_call)
            self._clients.append(client)

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self._active:
            kinds = sorted({kind for item in params.get("TransactItems", []) for kind in item})
            self.calls.append(Call(model.name, tables_in(params), tuple(kinds)))

    def _announced(self, sender: Any, **_: Any) -> None:
        self._hook(sender.client)  # runs before the call is made, so this very call is seen too

    @contextmanager
    def counting(self) -> Iterator[CallCounter]:
        from pynamodb.signals import pre_dynamodb_send

        from chalicelib.adapters.dynamodb.base import all_models, connection_of

        for model in all_models():
            self._hook(connection_of(model).client)
        pre_dynamodb_send.connect(self._announced)
        self._active = True
        try:
            yield self
        finally:
            self._active = False
            pre_dynamodb_send.disconnect(self._announced)


def run(scenarios: list[Scenario]) -> list[tuple[str, list[Call]]]:
    """Each scenario's counted calls. One moto account for all (building PynamoDB's clients is the
    slow part); each scenario gets its own business, so no data is shared, and a new container."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import bootstrap
    from chalicelib.adapters.dynamodb import base

    results = []
    with mock_aws():
        base.point_at(None)
        base.create_missing_tables(wait=False)
        try:
            with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
                for number, scenario in enumerate(scenarios):
                    bootstrap.reset()
                    counter = CallCounter()
                    world = World(Api(client), counter, business_id=f"biz-bench-{number}")
                    scenario.run(world)
                    if not world.measured:
                        raise RuntimeError(f"Scenario '{scenario.name}' never entered world.counted().")
                    results.append((scenario.name, counter.calls))
        finally:
            bootstrap.reset()
    return results


def summary(calls: list[Call], prefix: str) -> str:
    counts = Counter(c.label(prefix) for c in calls)
    return ", ".join(label if n == 1 else f"{label} x{n}" for label, n in counts.items())


def table(results: list[tuple[str, list[Call]]], prefix: str) -> str:
    rows = [("operation", "DynamoDB calls", "operations (table/index)")]
    rows += [(name, str(len(calls)), summary(calls, prefix)) for name, calls in results]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}} | {r[1]:>{widths[1]}} | {r[2]}" for r in rows]
    lines.insert(1, f"{'-' * widths[0]}-|-{'-' * widths[1]}-|-{'-' * 40}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    import logging
    import os

    from chalicelib.logs import SERVICE

    logging.getLogger(SERVICE).setLevel(logging.ERROR)  # no queue here: the notices' warnings would bury the table
    chosen = [s for s in load_all() if not argv or any(a.lower() in s.name.lower() for a in argv)]
    results = run(chosen)
    print("DynamoDB calls per API operation (warm container: business cached, booker known; moto)")
    print(table(results, os.environ.get("TABLE_PREFIX", "")))


if __name__ == "__main__":
    main(sys.argv[1:])
