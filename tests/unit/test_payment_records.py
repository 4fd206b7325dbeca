"""B6 on fakes: one row per Stripe object whatever the deliveries; refunds turn their payment's state."""
from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.context import StaffContext
from chalicelib.domain.paging import PageRequest
from chalicelib.domain.payments import PaymentKind, PaymentState
from chalicelib.domain.tenancy import Business, Plan
from chalicelib.ports.payments import CompletedCheckout, InvoiceSnapshot, RefundMade
from chalicelib.services.payment_records import PaymentRecords
from tests.fakes.payment_records import InMemoryPaymentRecords

NOW = datetime(2030, 1, 1, 9, tzinfo=UTC)
ANN = "ann@example.com"
STAFF = StaffContext(Business("biz", "Studio", Plan.STANDARD, "Europe/Berlin"), "staff-1")


def records() -> tuple[PaymentRecords, InMemoryPaymentRecords]:
    store = InMemoryPaymentRecords()
    return PaymentRecords(store, clock=lambda: NOW), store


def ticket_checkout(**changes: object) -> CompletedCheckout:
    fields: dict[str, object] = dict(session_id="cs_1", business_id="biz", customer_email="Ann@Example.com",
                                     purpose="booking", reference="chk-1", metadata={"booking_id": "b-1"},
                                     amount_total=3000, currency="eur", payment_intent_id="pi_1", invoice_id="in_1")
    return CompletedCheckout(**{**fields, **changes})  # type: ignore[arg-type]


def invoice(invoice_id: str, amount: int = 3000, subscription_id: str | None = "sub_1") -> InvoiceSnapshot:
    return InvoiceSnapshot(invoice_id, "paid", subscription_id, amount, amount, "eur", "subscription_cycle", 1, None, None)


def listed(service: PaymentRecords, email: str = ANN) -> list[tuple[str, str, int, str]]:
    return [(r.payment_id, r.kind.value, r.amount_minor, r.state.value)
            for r in service.for_customer(STAFF, email, PageRequest()).items]


def test_a_paid_checkout_is_one_charge_keyed_by_its_payment_intent_however_often_it_arrives():
    service, _ = records()
    for _ in range(3):
        service.checkout_paid(ticket_checkout(), created=1_900_000_000)
    [row] = service.for_customer(STAFF, ANN, PageRequest()).items
    assert (row.payment_id, row.kind, row.purpose, row.currency, row.booking_ids) == (
        "pi_1", PaymentKind.CHARGE, "booking", "EUR", ("b-1",))
    assert row.at == datetime.fromtimestamp(1_900_000_000, UTC)


def test_a_subscription_checkout_records_its_first_invoice_once_with_the_invoice_paid_event():
    service, store = records()
    done = ticket_checkout(purpose="membership", subscription_id="sub_1", payment_intent_id=None,
                           metadata={"membership_id": "m-1"})
    service.checkout_paid(done)
    service.invoice_paid("biz", invoice("in_1"), ANN, "m-1")  # the same invoice from its own event
    assert listed(service) == [("in_1", "invoice", 3000, "paid")]
    assert store.find("biz", "in_1").membership_id == "m-1"  # type: ignore[union-attr]
    service.checkout_paid(ticket_checkout(session_id="cs_2", subscription_id="sub_2", invoice_id=None))
    assert len(listed(service)) == 1  # no invoice id yet: its invoice.paid records it


def test_invoices_of_nothing_or_of_no_subscription_are_not_membership_payments():
    service, _ = records()
    service.invoice_paid("biz", invoice("in_0", amount=0), ANN, "m-1")
    service.invoice_paid("biz", invoice("in_x", subscription_id=None), ANN, "m-1")
    assert listed(service) == []


def test_refunds_turn_the_payment_partially_then_fully_refunded_and_a_repeat_changes_nothing():
    service, store = records()
    service.checkout_paid(ticket_checkout())
    service.refunded("biz", ANN, RefundMade("re_1", 1000, "EUR", "pi_1"), ("pi_1", "in_1"), "booking")
    assert store.find("biz", "pi_1").state is PaymentState.PARTIALLY_REFUNDED  # type: ignore[union-attr]
    for _ in range(2):
        service.refunded("biz", ANN, RefundMade("re_2", 2000, "EUR", "pi_1"), ("pi_1", "in_1"), "booking")
    charge = store.find("biz", "pi_1")
    assert charge is not None and (charge.state, charge.refunded_minor) == (PaymentState.REFUNDED, 3000)
    refund = store.find("biz", "re_2")
    assert refund is not None and (refund.refund_of, refund.booking_ids, refund.state) == (
        "pi_1", ("b-1",), PaymentState.SUCCEEDED)
    assert len(listed(service)) == 3


def test_a_refund_of_an_unrecorded_payment_is_still_kept_on_the_customers_record():
    service, store = records()
    service.refunded("biz", ANN, RefundMade("re_9", 500, "EUR", "pi_9"), ("pi_9", None), "booking", booking_ids=("b-9",))
    row = store.find("biz", "re_9")
    assert row is not None and (row.refund_of, row.email, row.booking_ids) == (None, ANN, ("b-9",))


def test_a_refund_racing_another_refund_of_the_same_payment_reads_again_and_counts_both():
    service, store = records()
    service.checkout_paid(ticket_checkout())
    stale = store.find("biz", "pi_1")
    real_find = store.find
    calls = {"n": 0}

    def find_once_stale(business_id: str, payment_id: str):  # the other refund lands between read and write
        calls["n"] += 1
        if calls["n"] == 1:
            store.add_refund(_refund("re_a", 1000), stale)
            return stale
        return real_find(business_id, payment_id)

    store.find = find_once_stale  # type: ignore[method-assign]
    service.refunded("biz", ANN, RefundMade("re_b", 1000, "EUR", "pi_1"), ("pi_1",), "booking")
    charge = real_find("biz", "pi_1")
    assert charge is not None and (charge.refunded_minor, charge.state) == (2000, PaymentState.PARTIALLY_REFUNDED)


def _refund(refund_id: str, amount: int):
    from chalicelib.domain.payments import PaymentRecord

    return PaymentRecord("biz", refund_id, ANN, PaymentKind.REFUND, "booking", amount, "EUR", NOW,
                         state=PaymentState.SUCCEEDED, refund_of="pi_1")


def test_a_subscriptions_history_lines_name_its_invoices_and_refunds_newest_first():
    service, _ = records()
    service.invoice_paid("biz", invoice("in_1"), ANN, "m-1", created=1_880_000_000)
    service.invoice_paid("biz", invoice("in_2"), ANN, "m-1", created=1_885_000_000)
    service.refunded("biz", ANN, RefundMade("re_1", 3000, "EUR"), ("in_2",), "membership", subscription_id="sub_1")
    assert [h.what for h in service.history_of("biz", "sub_1")] == [
        "refund re_1: 30.00 EUR", "invoice in_2 refunded: 30.00 EUR", "invoice in_1 paid: 30.00 EUR"]
