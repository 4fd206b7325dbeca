"""Erasure on request (C6): moves an erased customer's kept records to their pseudonymous id, one bounded
transaction at a time, each write conditional on the old owner (a repeat finds only what is left)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from ...domain.customers import ERASED_NAME, ERASURE_BLOCKING_STATUSES, CustomerKind
from ...domain.paging import PageRequest
from .account_history import move_passes
from .base import MAX_TRANSACTION_ITEMS, find, is_condition_failure, query_page, rewrite_in_one_transaction, transaction
from .booker_counters import BookerCounterModel, checkouts_scope, counted, membership_scope
from .bookings import BookingModel
from .broadcasts import BroadcastModel, CustomerMessageModel
from .courses import move_enrolments
from .customers import CustomerModel, CustomerRepository
from .memberships import MemberModel, MembershipModel
from .payment_records import move_payments

if TYPE_CHECKING:
    from ...domain.customers import Customer

ERASED_SUBJECT = "(erased)"


def erased_names(count: int) -> Any:
    """A list attribute's new value (pynamodb types ``set`` on the attribute class, not its values)."""
    return [ERASED_NAME] * count


def renamed(emails: Any, email: str, as_id: str) -> Any:
    return [as_id if e == email else str(e) for e in emails]


class DynamoErasureStore:
    def __init__(self, customers: CustomerRepository) -> None:
        self.customers = customers

    def live_memberships(self, business_id: str, email: str) -> int:
        records = MemberModel.by_booker.query(f"{business_id}#{email}")
        return sum(1 for r in records if r.status in ERASURE_BLOCKING_STATUSES)

    def open_checkouts(self, business_id: str, email: str) -> int:
        """The booker's open-checkout counter, and the one-open-checkout claim of each membership."""
        claims = [(membership_scope(business_id, m.membership_id), email)
                  for m in MembershipModel.query(business_id, attributes_to_get=["membership_id"])]
        held = sum(1 for c in BookerCounterModel.batch_get(claims) if c.checkout_id) if claims else 0
        return counted(checkouts_scope(business_id), email) + held

    def mark_erasing(self, business_id: str, email: str, as_id: str) -> str:
        M = CustomerModel
        try:
            M(business_id, email).update(actions=[M.erased_as.set(as_id), M.deleting.set(True)],
                                         condition=M.email.exists() & M.erased_as.does_not_exist())
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            current = find(M, business_id, email, consistent_read=True)
            if current is None or not current.erased_as:
                raise
            return str(current.erased_as)
        return as_id

    def erase_bookings(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        found = BookingModel.by_booker.query(f"{business_id}#{email}", limit=min(limit, MAX_TRANSACTION_ITEMS))
        return rewrite_in_one_transaction(BookingModel, found, lambda txn, item: txn.update(
            BookingModel(business_id, item.booking_id), actions=[
                BookingModel.booker_email.set(as_id), BookingModel.booker_key.set(f"{business_id}#{as_id}"),
                BookingModel.participants.set(erased_names(len(item.participants or [])))],
            condition=BookingModel.booker_email == email))

    def erase_passes(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return move_passes(business_id, email, as_id, limit)

    def erase_payments(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return move_payments(business_id, email, as_id, limit)  # kept for the tax records, under the pseudonym

    def erase_enrolments(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        return move_enrolments(business_id, email, as_id, limit)  # the roster keeps the place, under the pseudonym

    def erase_memberships(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        found = MemberModel.by_booker.query(f"{business_id}#{email}", limit=min(limit, MAX_TRANSACTION_ITEMS))
        return rewrite_in_one_transaction(MemberModel, found, lambda txn, item: txn.update(
            MemberModel(business_id, item.subscription_id),
            actions=[MemberModel.email.set(as_id), MemberModel.booker_key.set(f"{business_id}#{as_id}")],
            condition=MemberModel.email == email))

    def stripe_customer_ids(self, business_id: str, as_id: str) -> list[str]:
        """By the members' booker index: only the records moved to the pseudonym (a person has a handful)."""
        records = MemberModel.by_booker.query(f"{business_id}#{as_id}", attributes_to_get=["customer_id"])
        return sorted({str(r.customer_id) for r in records if r.customer_id})

    def erase_messages(self, business_id: str, email: str, as_id: str, limit: int) -> int:
        """Log entries move without their subject; a broadcast to named addresses names the id instead."""
        found = list(CustomerMessageModel.query(f"{business_id}#{email}", limit=min(limit, MAX_TRANSACTION_ITEMS // 3)))
        if not found:
            return 0
        broadcasts = {b.message_id: b for b in BroadcastModel.batch_get([(business_id, m.message_id) for m in found])}
        with transaction(CustomerMessageModel) as txn:
            for item in found:
                txn.delete(CustomerMessageModel(item.customer_key, item.message_id))
                txn.save(CustomerMessageModel(f"{business_id}#{as_id}", item.message_id, subject=ERASED_SUBJECT,
                                              channel=item.channel, state=item.state, at=item.at,
                                              provider_id=item.provider_id))
                named = broadcasts.get(item.message_id)
                if named is not None and named.emails and email in named.emails:
                    txn.update(BroadcastModel(business_id, item.message_id), actions=[
                        BroadcastModel.emails.set(renamed(named.emails, email, as_id))])
        return len(found)

    def detach_additional_users(self, business_id: str, email: str, start: dict[str, Any] | None,
                                limit: int) -> dict[str, Any] | None:
        """A Query of the business's records with a filter (no index by primary: erasure is rare)."""
        M = CustomerModel
        page = query_page(M, business_id, lambda item: item, PageRequest(limit, start),
                          filter_condition=M.primary_email == email)
        for item in page.items:
            try:
                M(business_id, item.email).update(
                    actions=[M.kind.set(CustomerKind.APP_USER.value), M.primary_email.remove()],
                    condition=M.primary_email == email)
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
        return page.next_key

    def finish(self, customer: Customer, erased: Customer) -> None:
        self.customers.put_unindexed(erased)  # an erased record is found by its id only, never by search
        self.customers.delete(customer)
