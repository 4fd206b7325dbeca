"""C4: a booker's own phone number and opt-outs (SMS, marketing), set by themselves."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .phones import normalise_phone

if TYPE_CHECKING:
    from ..domain.context import BookerContext
    from ..domain.customers import ContactChanges, Customer
    from ..ports.broadcasts import CustomerContacts


class ContactPreferences:
    def __init__(self, contacts: CustomerContacts) -> None:
        self.contacts = contacts

    def mine(self, ctx: BookerContext) -> Customer:
        return self.contacts.find(ctx.business_id, ctx.email) or ctx.customer  # fresh, not the request cache's

    def update_mine(self, ctx: BookerContext, changes: ContactChanges) -> Customer:
        """One conditional update of the booker's own record; a phone number is stored in E.164 ("" removes it)."""
        phone = changes.phone
        if phone is not None:
            phone = normalise_phone(phone, ctx.business.country) if phone.strip() else ""
        return self.contacts.set_contact(ctx.business_id, ctx.email, replace(changes, phone=phone))
