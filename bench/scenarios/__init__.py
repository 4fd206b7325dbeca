"""Scenarios for ``bench/dynamodb_calls.py``: each runs ONE API operation and counts its DynamoDB calls.

To add one, put a module in this folder (it is imported automatically) with::

    @scenario("book a pass-paid ticket (booker)")
    def book_with_pass(world: World) -> None:
        entry = world.entry(price_minor=1500)               # setup: not counted
        with world.counted():                               # only this block is counted
            world.call("POST", f"{world.mine}/bookings", world.booker, {...}, expect=201)

Each scenario gets a fresh ``World``: moto tables, the app behind chalice.test.Client, one business
(its staff and one booker), and a warm container — the business is cached and the booker already
linked, as on the second request a Lambda serves — so the table shows the steady-state cost.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Api, booker_token, make_business, staff_token


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[World], None]


SCENARIOS: list[Scenario] = []


def scenario(name: str) -> Callable[[Callable[[World], None]], Callable[[World], None]]:
    def register(run: Callable[[World], None]) -> Callable[[World], None]:
        if any(s.name == name for s in SCENARIOS):
            raise ValueError(f"Two scenarios are called '{name}'.")
        SCENARIOS.append(Scenario(name, run))
        return run

    return register


def load_all() -> list[Scenario]:
    """Import every module of this package, so every ``@scenario`` registers."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return list(SCENARIOS)


@dataclass
class World:
    api: Api
    counter: Any  # dynamodb_calls.CallCounter: .counting() is a context manager
    business_id: str
    measured: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        make_business(self.business_id)
        self.staff = staff_token(self.business_id)
        self.booker = booker_token("booker@example.com", "Bench Booker")
        self.mine = f"/v1/businesses/{self.business_id}/me"
        self.call("GET", f"{self.mine}/bookings", self.booker)  # warm: business cached, booker linked

    def call(self, method: str, path: str, token: str | None = None, body: Any = None, expect: int = 200) -> Any:
        """One request; a scenario that gets another status fails instead of counting an error path."""
        resp = self.api.call(method, path, token, body)
        if resp.status_code != expect:
            raise AssertionError(f"{method} {path}: expected {expect}, got {resp.status_code}: {resp.body!r}")
        return resp.json

    @contextmanager
    def counted(self) -> Iterator[None]:
        if self.measured:
            raise RuntimeError("A scenario counts one operation: use world.counted() once.")
        self.measured = True
        with self.counter.counting():
            yield

    # Setup helpers (not counted). Features add theirs here.

    def page(self, title: str = "Classes") -> dict[str, Any]:
        return self.call("POST", "/v1/manage/pages", self.staff, {"title": title}, expect=201)

    def entry(self, page_id: str | None = None, capacity: int = 10, price_minor: int = 0, day: int = 1) -> dict[str, Any]:
        """A published entry with one ticket, in March 2030."""
        return self.call("POST", "/v1/manage/entries", self.staff, {
            "page_id": page_id or self.page()["page_id"],
            "title": "Morning flow",
            "starts_at": f"2030-03-{day:02d}T09:00:00",
            "ends_at": f"2030-03-{day:02d}T10:00:00",
            "capacity": capacity,
            "tickets": [{"title": "Drop-in", "price_minor": price_minor, "currency": "EUR"}],
        }, expect=201)

    def booking(self, entry: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        body = {"entry_id": entry["entry_id"], "ticket_id": entry["tickets"][0]["ticket_id"]}
        return self.call("POST", f"{self.mine}/bookings", token or self.booker, body, expect=201)
