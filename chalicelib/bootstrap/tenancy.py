"""The composition root's pieces for tenancy and access (see ``bootstrap/__init__.py``)."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .pieces import Pieces

if TYPE_CHECKING:
    from ..adapters.dynamodb.customers import CustomerRepository
    from ..adapters.dynamodb.tenancy import BusinessRepository
    from ..ports.messaging import SmsSender
    from ..ports.staff import StaffStore
    from ..services.access import AccessService
    from ..services.broadcasts import BroadcastService
    from ..services.business import BusinessService
    from ..services.contact_preferences import ContactPreferences
    from ..services.customer_data import CustomerData
    from ..services.customer_deletion import CustomerDeletion
    from ..services.customer_erasure import CustomerErasure
    from ..services.customer_invitations import AdditionalUserInvitations
    from ..services.customers import CustomerService
    from ..services.email_feedback import EmailFeedback
    from ..services.exports import CustomerExport
    from ..services.plans import PlanService
    from ..services.staff import StaffService
    from ..services.unsubscribe import UnsubscribeLinks


class TenancyPieces(Pieces):
    @cached_property
    def businesses(self) -> BusinessRepository:
        from ..adapters.dynamodb.tenancy import BusinessRepository

        return BusinessRepository()

    @cached_property
    def customer_store(self) -> CustomerRepository:
        from ..adapters.dynamodb.customers import CustomerRepository

        return CustomerRepository()

    @cached_property
    def access(self) -> AccessService:
        from ..services.access import AccessService

        return AccessService(self.businesses, self.customer_store, self.staff_store,
                             operators=self.settings.operator_subjects)

    @cached_property
    def staff_store(self) -> StaffStore:
        from ..adapters.dynamodb.staff import StaffRepository

        return StaffRepository()

    @cached_property
    def staff(self) -> StaffService:
        from ..services.staff import StaffService

        return StaffService(self.staff_store, lambda: self.mailer, self.settings.public_base_url)

    @cached_property
    def plans(self) -> PlanService:
        from ..services.plans import PlanService

        return PlanService(self.businesses)

    @cached_property
    def business(self) -> BusinessService:
        from ..services.business import BusinessService

        return BusinessService(self.businesses)

    @cached_property
    def customers(self) -> CustomerService:
        from ..services.customers import CustomerService

        return CustomerService(self.customer_store, self.access,
                               invited=lambda customer: self.additional_user_invitations.enqueue(customer))

    @cached_property
    def additional_user_invitations(self) -> AdditionalUserInvitations:
        from ..services.customer_invitations import AdditionalUserInvitations

        return AdditionalUserInvitations(self.customer_store, self.businesses, lambda: self.event_queue,
                                         lambda: self.mailer)

    @cached_property
    def customer_deletion(self) -> CustomerDeletion:
        from ..adapters.dynamodb.account_history import AccountHistoryRepository
        from ..services.customer_deletion import CustomerDeletion

        return CustomerDeletion(self.customer_store, self.customer_store, AccountHistoryRepository(),
                                lambda: self.event_queue, self.access, waitlist=lambda: self.waitlist_store)

    @cached_property
    def customer_erasure(self) -> CustomerErasure:
        from ..adapters.dynamodb.erasure import DynamoErasureStore
        from ..services.customer_erasure import CustomerErasure

        return CustomerErasure(self.customer_store, DynamoErasureStore(self.customer_store), lambda: self.event_queue,
                               self.access, waitlist=lambda: self.waitlist_store, payments=lambda: self.stripe_connect)

    @cached_property
    def customer_export(self) -> CustomerExport:
        from ..adapters.dynamodb.exports import DynamoExportSource, ExportJobRepository
        from ..adapters.s3_exports import S3ExportFiles
        from ..services.exports import CustomerExport

        files = S3ExportFiles(self.settings.blob_bucket, self.settings.region)
        from ..adapters.dynamodb.payment_records import PaymentRecordRepository

        return CustomerExport(DynamoExportSource(), ExportJobRepository(), lambda: files, lambda: self.event_queue,
                              recorded=PaymentRecordRepository())

    @cached_property
    def broadcasts(self) -> BroadcastService:
        import os

        from ..adapters.dynamodb.broadcasts import (
            BroadcastRepository,
            CustomerAudience,
            CustomerContactBook,
            CustomerMessageLog,
            SuppressionList,
        )
        from ..adapters.ses_email import JinjaRenderer, SesEmailSender
        from ..services.broadcasts import BroadcastService

        sender = SesEmailSender(self.settings.email_sender, self.settings.region)
        renderer = JinjaRenderer()
        rate = float(os.environ.get("SES_SEND_RATE", "14"))  # SES's per-second quota of the account
        return BroadcastService(BroadcastRepository(), CustomerAudience(), CustomerMessageLog(), SuppressionList(),
                                lambda: sender, lambda: renderer, lambda: self.event_queue,
                                self.settings.public_base_url, send_rate=rate, contacts=CustomerContactBook(),
                                sms=lambda: self.sms_sender, links=self.unsubscribe_links)

    @cached_property
    def sms_sender(self) -> SmsSender:
        """SNS SMS (moto's locally and in tests)."""
        from ..adapters.sns_sms import SnsSmsSender

        return SnsSmsSender(self.settings.region)

    @cached_property
    def unsubscribe_links(self) -> UnsubscribeLinks:
        from ..adapters.dynamodb.broadcasts import CustomerContactBook
        from ..services.unsubscribe import UnsubscribeLinks

        # The secret that signs the portal links of emails; the HMAC message names its purpose.
        return UnsubscribeLinks(self.settings.portal_link_secret, CustomerContactBook(), self.settings.public_base_url)

    @cached_property
    def contact_preferences(self) -> ContactPreferences:
        from ..adapters.dynamodb.broadcasts import CustomerContactBook
        from ..services.contact_preferences import ContactPreferences

        return ContactPreferences(CustomerContactBook())

    @cached_property
    def customer_data(self) -> CustomerData:
        from ..adapters.dynamodb.broadcasts import CustomerMessageLog
        from ..adapters.dynamodb.exports import DynamoExportSource
        from ..services.customer_data import CustomerData

        return CustomerData(DynamoExportSource(), CustomerMessageLog())

    @cached_property
    def email_feedback(self) -> EmailFeedback:
        import os

        from ..adapters.dynamodb.broadcasts import SuppressionList
        from ..adapters.sns_signatures import SnsSignatures
        from ..services.email_feedback import EmailFeedback

        return EmailFeedback(SnsSignatures(), SuppressionList(), os.environ.get("SES_FEEDBACK_TOPIC_ARN", ""))
