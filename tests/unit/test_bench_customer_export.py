"""The export bench's claim, kept: memory does not grow with the rows (streamed, never listed)."""
from __future__ import annotations

import tracemalloc

from bench.customer_export import run


def peak_of(registrations: int) -> tuple[int, int]:
    tracemalloc.start()
    rows, _, _ = run(registrations)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rows, peak


def test_ten_times_the_rows_needs_no_more_memory():
    small_rows, small = peak_of(2_000)
    large_rows, large = peak_of(20_000)
    assert (small_rows, large_rows) == (2_020, 20_200)
    assert large - small < 512 * 1024  # a list of 18,000 more rows would be several MB
