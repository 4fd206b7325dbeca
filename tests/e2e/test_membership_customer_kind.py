"""C1: buying a membership makes the buyer a primary customer, promoting an app user (as passes do)."""
from __future__ import annotations

from chalicelib.adapters.dynamodb.customers import CustomerRepository
from chalicelib.domain.customers import Customer, CustomerKind
from tests.e2e.test_membership_purchase import BIZ, BOOKER, buy, deliver, shop  # noqa: F401  (fixture)


def test_app_user_who_buys_a_membership_becomes_primary(shop):  # noqa: F811
    customers = CustomerRepository()
    customers.create_if_missing(Customer(BIZ, BOOKER, kind=CustomerKind.APP_USER))
    checkout = buy(shop, tickets=False)
    assert customers.get(BIZ, BOOKER).kind is CustomerKind.APP_USER  # an open checkout is not a purchase
    shop["provider"].pay_checkout(checkout["session_id"])
    deliver(shop)
    assert customers.get(BIZ, BOOKER).kind is CustomerKind.PRIMARY


def test_unknown_buyer_gets_a_primary_record(shop):  # noqa: F811
    shop["provider"].pay_checkout(buy(shop, tickets=False)["session_id"])
    deliver(shop)
    assert CustomerRepository().get(BIZ, BOOKER).kind is CustomerKind.PRIMARY
