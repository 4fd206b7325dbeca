"""Cold start: how long ``import app`` takes against the floor every Lambda of this stack pays.

    python -m bench.cold_start [--rounds 15] [--top 12]      (or: make bench)

The floor is ``chalice + pynamodb.models + pydantic (BaseModel)``: nothing the app does can go
below it. Each sample is a fresh interpreter timing only its imports; the two kinds alternate
(and alternate who goes first) so disk cache and machine load hit both alike. Target: ratio <= 1.2.
``ready`` adds what the first request (a booking) builds: the API function's whole cold start.
``--top`` lists the modules ``app`` adds beyond the floor, by cumulative import time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ``Field`` is in the floor because pydantic loads ``pydantic.fields`` (~15 ms) lazily, on the first model
# class: ``from pydantic import BaseModel`` alone never pays it, so no app that defines a model could
# reach a floor without it. The old floor is still printed for comparison.
FLOOR = "import chalice, pynamodb.models, pydantic; from pydantic import BaseModel, Field"
OLD_FLOOR = "import chalice, pynamodb.models, pydantic; from pydantic import BaseModel"
APP = "import app"
# What the API function builds before answering its first request, a booking (``POST .../me/bookings``):
# the app, the request context's pieces (business and customer stores), the booking service with its
# payment methods and store, and the route's request and response schemas. The composition root is
# lazy, so this is what that Lambda really pays; other routes build their own pieces on first use.
READY = ("import app; from chalicelib.bootstrap import container; c = container(); c.access; c.bookings; "
         "from chalicelib.schemas.bookings import BookingIn, BookingOut")
TARGET = 1.2
TIMED = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def environment() -> dict[str, str]:
    """The warm-up must leave bytecode behind for both sides alike (site-packages has its .pyc files from
    the install), so a PYTHONDONTWRITEBYTECODE in the caller's shell must not reach the samples."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"}


def import_seconds(stmt: str) -> float:
    out = subprocess.run([sys.executable, "-c", TIMED.format(stmt=stmt)], cwd=ROOT, env=environment(),
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(rounds: int) -> tuple[list[float], list[float], list[float], list[float]]:
    for stmt in (FLOOR, OLD_FLOOR, APP, READY):  # warm-up: bytecode compiled, files in the page cache
        import_seconds(stmt)
    floor: list[float] = []
    old_floor: list[float] = []
    app: list[float] = []
    ready: list[float] = []
    kinds = [(FLOOR, floor), (OLD_FLOOR, old_floor), (APP, app), (READY, ready)]
    for i in range(rounds):
        for stmt, samples in kinds[i % 4:] + kinds[:i % 4]:  # rotate who goes first
            samples.append(import_seconds(stmt))
    return floor, old_floor, app, ready


def importtime(stmt: str) -> list[tuple[int, float, str]]:
    """``-X importtime`` lines as (depth, cumulative ms, module)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], cwd=ROOT, env=environment(),
                         capture_output=True, text=True, check=True)
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append(((len(name) - len(name.lstrip()) - 1) // 2, int(cumulative) / 1000, name.strip()))
    return rows


def added_imports(top: int) -> list[tuple[int, float, str]]:
    """Modules that ``app`` imports beyond the floor, heaviest (cumulative) first."""
    floor = {name for _, _, name in importtime(FLOOR)}
    added = [row for row in importtime(f"{FLOOR}; {APP}") if row[2] not in floor and row[2] != "app"]
    return sorted(added, key=lambda row: row[1], reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    floor, old_floor, app, ready = measure(args.rounds)
    f, a, r = statistics.median(floor), statistics.median(app), statistics.median(ready)
    o = statistics.median(old_floor)
    print(f"Cold start, {args.rounds} interleaved rounds, median time")
    print(f"  floor {f * 1000:7.1f} ms  ({FLOOR})")
    print(f"  old   {o * 1000:7.1f} ms  ({OLD_FLOOR}; ready / old floor: {r / o:.2f})")
    print(f"  app   {a * 1000:7.1f} ms  ({APP})")
    print(f"  ready {r * 1000:7.1f} ms  ({READY})")
    for name, value in (("app", a), ("ready", r)):
        ratio = value / f
        print(f"  ratio {name} / floor: {ratio:.2f}  (target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'})")
    if args.top:
        print(f"What app adds beyond the floor (cumulative ms, top {args.top}):")
        for depth, ms, name in added_imports(args.top):
            print(f"  {ms:7.1f}  {'  ' * depth}{name}")


if __name__ == "__main__":
    main()
