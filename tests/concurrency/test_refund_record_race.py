"""B6 on DynamoDB Local: the app's own refund, two deliveries of ``charge.refunded`` (the dashboard's partial
refund among its refunds) and a late failure race → one row per refund id, the payment's refunded amount the
sum of what really went back. Each write is one transaction conditional on the amount it read."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest

from chalicelib.adapters.dynamodb.payment_records import PaymentRecordRepository
from chalicelib.ports.payments import ChargeRefunds, CompletedCheckout, RefundMade
from chalicelib.services.payment_records import PaymentRecords

pytestmark = pytest.mark.xdist_group("dynamodb_local")
ROUNDS = 5


def test_the_apps_refund_and_refund_events_racing_leave_one_row_each_and_the_right_amount(ddb_local):
    service, store = PaymentRecords(PaymentRecordRepository()), PaymentRecordRepository()
    for r in range(ROUNDS):
        pi = f"pi_{r}"
        service.checkout_paid(CompletedCheckout(f"cs_{r}", "biz", "ann@x.org", "booking", f"chk{r}", {}, 1500, "eur",
                                                payment_intent_id=pi))
        app = RefundMade(f"re_app{r}", 1000, "EUR", pi, charge_id=f"ch_{r}")
        dash = RefundMade(f"re_dash{r}", 300, "EUR", pi, charge_id=f"ch_{r}")
        seen = ChargeRefunds(f"ch_{r}", pi, None, (app, dash))
        steps: list[Callable[[], None]] = [
            lambda app=app, pi=pi: service.refunded("biz", "ann@x.org", app, (pi,), "booking"),
            lambda seen=seen: service.charge_refunds("biz", seen),
            lambda seen=seen: service.charge_refunds("biz", seen),
            lambda only=ChargeRefunds(f"ch_{r}", pi, None, (dash,)): service.charge_refunds("biz", only),
        ]
        start = threading.Barrier(len(steps))

        def run(step: Callable[[], None], start: threading.Barrier = start) -> None:
            start.wait()
            step()

        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            list(pool.map(run, steps))
        paid = store.find("biz", pi)
        assert paid is not None and (paid.refunded_minor, paid.state.value) == (1300, "partially_refunded"), r
        assert {store.find("biz", f"re_{k}{r}").state.value for k in ("app", "dash")} == {"succeeded"}  # type: ignore[union-attr]

        failed = RefundMade(app.refund_id, 1000, "EUR", pi, status="failed", charge_id=f"ch_{r}")
        late = ChargeRefunds(f"ch_{r}", pi, None, (failed, dash))
        again = threading.Barrier(3)

        def fail(_: int, again: threading.Barrier = again, late: ChargeRefunds = late) -> None:
            again.wait()
            service.charge_refunds("biz", late)

        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(fail, range(3)))
        paid = store.find("biz", pi)
        assert paid is not None and (paid.refunded_minor, paid.state.value) == (300, "partially_refunded"), r
        assert store.find("biz", app.refund_id).state.value == "failed"  # type: ignore[union-attr]
