"""The local payment provider's billing: subscriptions, invoices, refunds, portal sessions and the
lifecycle triggers of ``make stripe-trigger``. A mixin of ``LocalStripe`` (state lives there)."""
from __future__ import annotations

import copy
from typing import Any

from .stripe_http import StripeError

PERIOD_SECONDS = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}


class BillingMixin:
    """Needs ``make``, ``get``, ``emit``, ``new_id``, ``now``, ``objects`` and ``fx`` of ``LocalStripe``."""

    objects: dict[str, dict[str, Any]]
    fx: dict[str, Any]
    account: str | None
    base_url: str

    def _new_subscription(self, customer: dict[str, Any], price: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        sub = self.make("subscription", "sub", customer=customer["id"], status="active", cancel_at_period_end=False,
                        cancel_at=None, canceled_at=None, ended_at=None, trial_start=None, trial_end=None,
                        start_date=now, billing_cycle_anchor=now, metadata=metadata, pause_collection=None,
                        pending_update=None, schedule=None, currency=price["currency"], latest_invoice=None,
                        next_pending_invoice_item_invoice=None, transfer_data=None, billing_schedules=[])
        item = copy.deepcopy(sub["items"]["data"][0])
        item.update(id=self.new_id("si"), created=now, price=copy.deepcopy(price), subscription=sub["id"],
                    current_period_start=now, current_period_end=now + self._period(price), plan=None)
        sub["items"] = {"object": "list", "data": [item], "has_more": False, "url": f"/v1/subscription_items?subscription={sub['id']}"}
        return sub

    def _period(self, price: dict[str, Any]) -> int:
        rec = price["recurring"]
        return PERIOD_SECONDS[rec["interval"]] * int(rec.get("interval_count") or 1)

    def _new_invoice(self, customer: dict[str, Any], sub: dict[str, Any] | None, amount: int, currency: str,
                     reason: str, paid: bool, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        inv = self.make("invoice", "in", customer=customer["id"], customer_email=customer["email"], currency=currency,
                        amount_due=amount, amount_paid=amount if paid else 0, amount_remaining=0 if paid else amount,
                        billing_reason=reason, status="paid" if paid else "open", attempted=True,
                        attempt_count=1 if paid else 0, total=amount, subtotal=amount, metadata=metadata or {},
                        last_finalization_error=None, from_invoice=None, shipping_cost=None, next_payment_attempt=None)
        inv["hosted_invoice_url"] = f"{self.base_url}/invoices/{inv['id']}"
        inv["invoice_pdf"] = f"{self.base_url}/files/invoices/{inv['id']}.pdf"
        inv["parent"] = {"type": "subscription_details", "quote_details": None, "subscription_details": {
            "subscription": sub["id"] if sub else None, "metadata": sub["metadata"] if sub else None}} if sub else None
        inv["lines"]["data"] = []
        return inv

    # --- S2: a course's billing anchor, proration and end (cancel_at) --------------------------------

    @staticmethod
    def cycle_terms(data: dict[str, Any]) -> dict[str, Any]:
        anchor = data.get("billing_cycle_anchor")
        return {"anchor": int(anchor) if anchor else None, "proration": data.get("proration_behavior") or "create_prorations"}

    def first_period(self, sub: dict[str, Any], cycle: dict[str, Any]) -> int:
        """What the first invoice charges for the subscription: the full price, or with a future anchor the
        prorated part up to it (Stripe: by seconds; ``proration_behavior=none``: nothing until the anchor)."""
        item = sub["items"]["data"][0]
        price = int(item["price"]["unit_amount"])
        anchor = cycle.get("anchor")
        if not anchor or anchor <= self.now():
            return price
        now, period = self.now(), self._period(item["price"])
        item.update(current_period_start=now, current_period_end=anchor)
        sub["billing_cycle_anchor"] = anchor
        if cycle.get("proration") == "none":
            return 0
        return round(price * (anchor - now) / period)

    def _set_cancel_at(self, sub: dict[str, Any], cancel_at: int, previous: dict[str, Any]) -> None:
        previous["cancel_at"] = sub.get("cancel_at")
        sub.update(cancel_at=cancel_at, cancel_at_period_end=False)

    def _ends_at_cancel_at(self, sub: dict[str, Any]) -> bool:
        """A renewal at or past ``cancel_at`` ends the subscription instead (customer.subscription.deleted)."""
        cancel_at = sub.get("cancel_at")
        item = sub["items"]["data"][0]
        if cancel_at and not sub["cancel_at_period_end"] and item["current_period_end"] >= int(cancel_at):
            item["current_period_end"] = int(cancel_at)
            self.cancel_subscription(sub["id"])
            return True
        return False

    def retrieve_subscription(self, sub_id: str) -> dict[str, Any]:
        return self.get(sub_id, "subscription")

    def update_subscription(self, sub_id: str, p: dict[str, Any]) -> dict[str, Any]:
        sub = self.get(sub_id, "subscription")
        if sub["status"] == "canceled":
            raise StripeError(400, "A canceled subscription can only update its metadata.", "subscription_canceled")
        previous: dict[str, Any] = {}
        if "cancel_at_period_end" in p:
            cancel = p["cancel_at_period_end"] == "true"
            previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
            item = sub["items"]["data"][0]
            sub.update(cancel_at_period_end=cancel, cancel_at=item["current_period_end"] if cancel else None,
                       canceled_at=self.now() if cancel else None)
        if p.get("cancel_at"):
            self._set_cancel_at(sub, int(p["cancel_at"]), previous)
        if isinstance(p.get("billing_cycle_anchor"), dict) and p["billing_cycle_anchor"].get("type") == "now":
            previous["billing_cycle_anchor"] = sub["billing_cycle_anchor"]
            self._advance(sub, reason="subscription_update", start=self.now())
            return sub
        self.emit("customer.subscription.updated", sub, previous)
        return sub

    def cancel_subscription(self, sub_id: str) -> dict[str, Any]:
        sub = self.get(sub_id, "subscription")
        if sub["status"] != "canceled":
            now = self.now()
            sub.update(status="canceled", canceled_at=sub.get("canceled_at") or now, ended_at=now, cancel_at_period_end=False)
            self.emit("customer.subscription.deleted", sub)
        return sub

    def _advance(self, sub: dict[str, Any], reason: str, start: int | None = None, credit: int = 0) -> dict[str, Any] | None:
        if start is None and self._ends_at_cancel_at(sub):
            return None
        item = sub["items"]["data"][0]
        begin = start if start is not None else item["current_period_end"]
        period = self._period(item["price"])
        end = begin + period
        amount = int(item["price"]["unit_amount"])
        if sub.get("cancel_at") and end > int(sub["cancel_at"]):  # the last period is prorated up to cancel_at
            end, amount = int(sub["cancel_at"]), round(amount * (int(sub["cancel_at"]) - begin) / period)
        item.update(current_period_start=begin, current_period_end=end)
        if start is not None:
            sub["billing_cycle_anchor"] = start
        customer = self.get(sub["customer"], "customer")
        amount = max(0, amount - credit)
        inv = self._new_invoice(customer, sub, amount, sub["currency"], reason, paid=True)
        inv["_payment_intent"] = self.new_id("pi")
        sub.update(latest_invoice=inv["id"], status="active")
        self.emit("invoice.paid", inv)
        self.emit("customer.subscription.updated", sub)
        return inv

    def pause_subscription(self, sub_id: str) -> dict[str, Any]:
        """Stripe's Pause: status ``paused``, no invoices; the unused time is credited to the resume invoice."""
        sub = self.get(sub_id, "subscription")
        if sub["status"] not in ("active", "trialing"):
            raise StripeError(400, f"A {sub['status']} subscription cannot be paused.", "subscription_pause_invalid_status")
        item, now = sub["items"]["data"][0], self.now()
        left = max(0, item["current_period_end"] - now) / max(1, item["current_period_end"] - item["current_period_start"])
        sub.update(status="paused", _credit=int(int(item["price"]["unit_amount"]) * left))
        self.emit("customer.subscription.paused", sub, {"status": "active"})
        self.emit("customer.subscription.updated", sub, {"status": "active"})
        return sub

    def resume_subscription(self, sub_id: str) -> dict[str, Any]:
        """Resume with the billing cycle restarting now (the unused time of the pause credited)."""
        sub = self.get(sub_id, "subscription")
        if sub["status"] != "paused":
            raise StripeError(400, f"A {sub['status']} subscription cannot be resumed.", "subscription_not_paused")
        self._advance(sub, reason="subscription_update", start=self.now(), credit=int(sub.pop("_credit", 0)))
        self.emit("customer.subscription.resumed", sub, {"status": "paused"})
        return sub

    def list_invoice_payments(self, invoice_id: str, intent: str | None = None) -> dict[str, Any]:
        invoices = [self.get(invoice_id, "invoice")] if invoice_id else [
            o for o in self.objects.values() if o.get("object") == "invoice" and intent
            and o.get("_payment_intent") == intent and o.get("_account") == self.account]
        data = []
        for inv in invoices:
            if inv["status"] == "paid" and inv.get("_payment_intent"):
                payment = copy.deepcopy(self.fx["invoice_payment"])
                payment.update(id=self.new_id("inpay"), invoice=inv["id"], status="paid", amount_paid=inv["amount_paid"],
                               currency=inv["currency"],
                               payment={"type": "payment_intent", "payment_intent": inv["_payment_intent"]})
                data.append(payment)
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/invoice_payments"}

    def _charge_of(self, intent: str | None) -> dict[str, Any]:
        """The one charge of a paid payment intent (made when first asked for: payments here are invoices)."""
        charge = next((o for o in self.objects.values() if o.get("object") == "charge"
                       and o.get("payment_intent") == intent and o.get("_account") == self.account), None)
        if charge is not None:
            return charge
        inv = next((o for o in self.objects.values() if o.get("object") == "invoice" and o.get("_payment_intent") == intent
                    and o.get("_account") == self.account), None)
        if inv is None:
            raise StripeError(404, f"No such payment_intent: '{intent}'")
        return self.make("charge", "ch", payment_intent=intent, amount=inv["amount_paid"], amount_captured=inv["amount_paid"],
                         amount_refunded=0, refunded=False, captured=True, currency=inv["currency"],
                         customer=inv["customer"], source=None)

    def create_refund(self, p: dict[str, Any]) -> dict[str, Any]:
        """A refund of a payment intent's charge (the app's, or the dashboard's through ``dashboard_refund``);
        Stripe refuses one larger than what is left of the charge."""
        charge = self._charge_of(p.get("payment_intent"))
        left = int(charge["amount"]) - int(charge["amount_refunded"])
        amount = int(p.get("amount") or left)  # a partial refund names its amount
        if left <= 0:
            raise StripeError(400, f"Charge {charge['id']} has already been refunded.", "charge_already_refunded")
        if amount > left:
            raise StripeError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                              "amount_too_large")
        refund = self.make("refund", "re", payment_intent=charge["payment_intent"], amount=amount,
                           currency=charge["currency"], status="succeeded", metadata=p.get("metadata") or {},
                           charge=charge["id"])
        charge.update(amount_refunded=int(charge["amount_refunded"]) + amount)
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.emit("charge.refunded", charge)
        return refund

    def dashboard_refund(self, intent: str, amount: int | None = None) -> dict[str, Any]:
        """A refund made by the business in its Stripe dashboard: the app learns of it only by events."""
        self.account = next((o.get("_account") for o in self.objects.values()
                             if o.get("object") == "invoice" and o.get("_payment_intent") == intent), None)
        return self.create_refund({"payment_intent": intent, "amount": amount} if amount else {"payment_intent": intent})

    def fail_refund(self, refund_id: str) -> dict[str, Any]:
        """The bank sends a refund back (Stripe: status ``failed``, the charge's refunded amount restored)."""
        self.account = self.objects.get(refund_id, {}).get("_account")
        refund = self.get(refund_id, "refund")
        if refund["status"] != "failed":
            charge = self.get(refund["charge"], "charge")
            charge.update(amount_refunded=int(charge["amount_refunded"]) - int(refund["amount"]), refunded=False)
            refund.update(status="failed", failure_reason="lost_or_stolen_card")
            self.emit("charge.refund.updated", refund)
            self.emit("refund.failed", refund)
        return refund

    def list_refunds(self, charge_id: str) -> dict[str, Any]:
        self.get(charge_id, "charge")
        data = [o for o in self.objects.values() if o.get("object") == "refund" and o.get("charge") == charge_id]
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}

    def update_customer(self, customer_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """C6 redaction: an empty string unsets a field, as on Stripe; metadata keys merge."""
        customer = self.get(customer_id, "customer")
        for field in ("name", "email", "phone", "description", "address", "shipping"):
            if field in p:
                customer[field] = p[field] or None
        customer["metadata"] = {**(customer.get("metadata") or {}), **(p.get("metadata") or {})}
        self.emit("customer.updated", customer)
        return customer

    def portal_session(self, p: dict[str, Any]) -> dict[str, Any]:
        session = self.make("billing_portal.session", "bps", customer=p["customer"], return_url=p.get("return_url"),
                            flow=None, configuration="bpc_local")
        session["url"] = f"{self.base_url}/portal/{session['id']}"
        return session

    # --- lifecycle triggers (make stripe-trigger) ---------------------------------------------------

    def subscription_of(self, email: str) -> dict[str, Any]:
        subs = [o for o in self.objects.values() if o.get("object") == "subscription"
                and self.objects[o["customer"]]["email"] == email]
        if not subs:
            raise StripeError(404, f"No subscription for customer '{email}'")
        live = [s for s in subs if s["status"] != "canceled"]
        return (live or subs)[-1]

    def trigger(self, event: str, email: str) -> dict[str, Any]:
        sub = self.subscription_of(email)
        self.account = sub.get("_account")  # a trigger plays on the account the subscription lives on
        customer = self.get(sub["customer"], "customer")
        item = sub["items"]["data"][0]
        if event == "renew":
            self._advance(sub, reason="subscription_cycle")
        elif event == "fail":
            inv = self._open_invoice(sub) or self._new_invoice(customer, sub, int(item["price"]["unit_amount"]),
                                                               sub["currency"], "subscription_cycle", paid=False)
            inv["attempt_count"] += 1
            inv["next_payment_attempt"] = self.now() + 3 * 86400
            sub.update(status="past_due", latest_invoice=inv["id"])
            self.emit("invoice.payment_failed", inv)
            self.emit("customer.subscription.updated", sub, {"status": "active"})
        elif event == "fail-final":
            inv = self._open_invoice(sub)
            if inv:
                inv["next_payment_attempt"] = None
            sub["status"] = "unpaid"
            self.emit("customer.subscription.updated", sub, {"status": "past_due"})
        elif event == "recover":
            inv = self._open_invoice(sub)
            if inv is None:
                raise StripeError(400, "No open invoice to recover.", "no_open_invoice")
            inv.update(status="paid", amount_paid=inv["amount_due"], amount_remaining=0, _payment_intent=self.new_id("pi"))
            previous = sub["status"]
            item.update(current_period_start=item["current_period_end"],
                        current_period_end=item["current_period_end"] + self._period(item["price"]))
            sub["status"] = "active"
            self.emit("invoice.paid", inv)
            self.emit("customer.subscription.updated", sub, {"status": previous})
        elif event == "cancel":
            self.cancel_subscription(sub["id"])
        elif event == "cancel-at-period-end":
            self.update_subscription(sub["id"], {"cancel_at_period_end": "true"})
        elif event == "end-period":
            item["current_period_end"] = self.now()
            self.cancel_subscription(sub["id"])
        elif event == "reach-cancel-at":  # the clock passes a course's end: Stripe ends the subscription
            if not sub.get("cancel_at"):
                raise StripeError(400, "This subscription has no cancel_at.", "no_cancel_at")
            item["current_period_end"] = int(sub["cancel_at"])
            self.cancel_subscription(sub["id"])
        elif event == "price-change":
            self.update_price(item["price"]["id"], {"unit_amount": str(int(item["price"]["unit_amount"]) + 500)})
            item["price"] = copy.deepcopy(self.get(item["price"]["id"], "price"))
        else:
            raise StripeError(400, f"Unknown trigger '{event}'.", "unknown_trigger")
        return self.get(sub["id"], "subscription")

    def _open_invoice(self, sub: dict[str, Any]) -> dict[str, Any] | None:
        latest = self.objects.get(sub.get("latest_invoice") or "")
        return latest if latest and latest["status"] == "open" else None

    # --- HTTP dispatch ------------------------------------------------------------------------------
