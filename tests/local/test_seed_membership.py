"""The seed's demo membership (``make run``): a Stripe product and price at the provider, a group with
one offer, members-only classes; seeding again writes nothing new and keeps the provider's ids."""
from __future__ import annotations

from datetime import date

from chalicelib.adapters.dynamodb.catalogue import CatalogueRepository
from chalicelib.adapters.dynamodb.groups import GroupRepository
from chalicelib.adapters.dynamodb.memberships import MembershipModel, MembershipRepository
from chalicelib.adapters.dynamodb.tenancy import BusinessRepository
from local.seed import MEMBERSHIP_ID, OPTION_ID, PAGE_ID, seed
from local.settings import DEMO_BUSINESS
from tests.stripe_support import local_stripe


def test_seed_with_membership_creates_it_once_with_an_offer_and_member_only_classes(aws):
    provider = local_stripe()
    first = seed(today=date(2030, 3, 1), with_membership=True)
    assert (first.membership_created, first.member_entries_created, first.stripe_connected) == (True, 3, True)
    demo = BusinessRepository().get(DEMO_BUSINESS)
    assert demo.stripe_connection.value == "connected" and demo.stripe_account_id.startswith("acct_")
    membership = MembershipRepository().get(DEMO_BUSINESS, MEMBERSHIP_ID)
    [option] = membership.options
    assert (option.option_id, option.amount_minor, option.interval, membership.published) == (OPTION_ID, 4900, "month", True)
    provider.account = demo.stripe_account_id  # the product and price live in the studio's own account
    price = provider.get(option.provider_price_id, "price")
    assert (price["product"], price["recurring"]["interval"]) == (membership.provider_product_id, "month")
    [offer] = GroupRepository().get(DEMO_BUSINESS, membership.group_id).offers
    member_tickets = [t for e in CatalogueRepository().entries_on_page(DEMO_BUSINESS, PAGE_ID) for t in e.tickets
                      if t.exclusive_group_id == membership.group_id]
    assert len(member_tickets) == 3

    again = seed(today=date(2030, 3, 1), with_membership=True)
    assert (again.membership_created, again.member_entries_created, again.entries_created) == (False, 0, 0)
    assert again.stripe_connected is False and BusinessRepository().get(DEMO_BUSINESS) == demo
    assert MembershipRepository().get(DEMO_BUSINESS, MEMBERSHIP_ID) == membership
    assert [o.offer_id for o in GroupRepository().get(DEMO_BUSINESS, membership.group_id).offers] == [offer.offer_id]


def test_an_interrupted_seed_finishes_without_a_second_offer_or_product(aws):
    """The group and its offer were written, then the run stopped before the membership was saved."""
    provider = local_stripe()
    seed(today=date(2030, 3, 1), with_membership=True)
    membership = MembershipRepository().get(DEMO_BUSINESS, MEMBERSHIP_ID)
    MembershipModel.get(DEMO_BUSINESS, MEMBERSHIP_ID).delete()
    products = sum(o.get("object") == "product" for o in provider.objects.values())

    assert seed(today=date(2030, 3, 1), with_membership=True).membership_created is True
    assert MembershipRepository().get(DEMO_BUSINESS, MEMBERSHIP_ID) == membership  # same product and price ids
    assert sum(o.get("object") == "product" for o in provider.objects.values()) == products
    assert len(GroupRepository().get(DEMO_BUSINESS, membership.group_id).offers) == 1
