"""B6: the app's own refund and ``charge.refunded`` (re-read from Stripe) in every order, duplicated, with a
dashboard refund and a refund that fails later: always one row per refund id and the same final states."""
from __future__ import annotations

from datetime import UTC, datetime
from itertools import permutations

from chalicelib.domain.payments import PaymentState
from chalicelib.ports.payments import ChargeRefunds, CompletedCheckout, RefundMade
from chalicelib.services.payment_records import PaymentRecords
from tests.fakes.payment_records import InMemoryPaymentRecords

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
ANN = "ann@example.com"
APP = RefundMade("re_app", 1000, "EUR", "pi_1", charge_id="ch_1")
DASHBOARD = RefundMade("re_dash", 300, "EUR", "pi_1", charge_id="ch_1")


def paid() -> tuple[PaymentRecords, InMemoryPaymentRecords]:
    store = InMemoryPaymentRecords()
    service = PaymentRecords(store, clock=lambda: NOW)
    service.checkout_paid(CompletedCheckout("cs_1", "biz", ANN, "booking", "chk-1", {"booking_id": "b-1"}, 1500, "eur",
                                            payment_intent_id="pi_1", invoice_id="in_1"))
    return service, store


def final(store: InMemoryPaymentRecords) -> dict[str, tuple[str, int]]:
    return {pid: (r.state.value, r.refunded_minor) for (_, pid), r in store.rows.items()}


def test_the_apps_refund_and_charge_refunded_in_any_order_and_twice_leave_one_row_per_refund():
    steps = {
        "app": lambda s: s.refunded("biz", ANN, APP, ("pi_1", "in_1"), "booking", booking_ids=("b-1",)),
        "event_app": lambda s: s.charge_refunds("biz", ChargeRefunds("ch_1", "pi_1", "in_1", (APP,))),
        "event_both": lambda s: s.charge_refunds("biz", ChargeRefunds("ch_1", "pi_1", "in_1", (APP, DASHBOARD))),
        "event_both_again": lambda s: s.charge_refunds("biz", ChargeRefunds("ch_1", "pi_1", "in_1", (DASHBOARD, APP))),
    }
    for order in permutations(steps):
        service, store = paid()
        for name in order:
            steps[name](service)
        assert final(store) == {"pi_1": ("partially_refunded", 1300), "re_app": ("succeeded", 0),
                                "re_dash": ("succeeded", 0)}, order
        assert store.rows[("biz", "re_dash")].refund_of == "pi_1"
        assert store.rows[("biz", "re_dash")].booking_ids == ("b-1",)


def test_a_refund_that_fails_turns_failed_once_whether_it_was_recorded_as_made_or_not():
    failed = RefundMade("re_app", 1000, "EUR", "pi_1", status="failed", charge_id="ch_1")
    for recorded_first in (True, False):
        service, store = paid()
        if recorded_first:
            service.refunded("biz", ANN, APP, ("pi_1",), "booking")
            assert final(store)["pi_1"] == ("partially_refunded", 1000)
        for _ in range(2):
            service.charge_refunds("biz", ChargeRefunds("ch_1", "pi_1", "in_1", (failed,)))
        service.refunded("biz", ANN, APP, ("pi_1",), "booking")  # the app's stale answer comes late: no change
        assert final(store) == {"pi_1": ("paid", 0), "re_app": ("failed", 0)}, recorded_first


def test_refunds_of_a_charge_never_recorded_are_not_invented_and_refusals_are_kept_failed():
    service, store = paid()
    service.charge_refunds("biz", ChargeRefunds("ch_9", "pi_9", None, (RefundMade("re_9", 100, "EUR", "pi_9"),)))
    assert ("biz", "re_9") not in store.rows
    assert service.refundable("biz", ("pi_1",), 2000) == 1500
    service.refund_refused("biz", ANN, "cancel:b-1", 1500, "eur", ("pi_1", "in_1"), "booking", booking_ids=("b-1",))
    service.refund_refused("biz", ANN, "cancel:b-1", 1500, "eur", ("pi_1", "in_1"), "booking", booking_ids=("b-1",))
    refused = store.rows[("biz", "refused:cancel:b-1")]
    assert (refused.state, refused.refund_of, refused.amount_minor) == (PaymentState.FAILED, "pi_1", 1500)
    assert final(store)["pi_1"] == ("paid", 0) and len(store.rows) == 2
