"""Customer accounts: additional users invited by a primary customer, deletion, exports (C1, C3, C6)."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from .framework import BOOKER, PUBLIC, STAFF, ApiBlueprint, command, container

if TYPE_CHECKING:
    from ..domain.context import BookerContext, PublicContext, StaffContext
    from ..domain.customers import Customer
    from ..schemas.customer_accounts import AdditionalUserIn, ContactIn, ExportIn, MessageIn, PageQuery
    from ..services.broadcasts import MessageQueued
    from ..services.customer_deletion import Deletion
    from ..services.customer_erasure import Erasure
    from ..services.exports import ExportJobView

api = ApiBlueprint(__name__, tag="customers", schemas="chalicelib.schemas.customer_accounts")
MANAGE = "/v1/manage/customers"
MINE = "/v1/businesses/{business_id}/me"


@api.op("POST", f"{MINE}/additional-users", summary="Invite an additional user to my account (not my payment method)",
        role=BOOKER, body="AdditionalUserIn", response="AdditionalUserOut", status=201)
def invite_additional_user(ctx: BookerContext, body: AdditionalUserIn) -> Customer:
    from ..services.customers import NewAdditionalUser

    return container().customers.invite_additional_user(ctx, command(NewAdditionalUser, body))


@api.op("DELETE", f"{MANAGE}/{{email}}", summary="Delete an app user or additional user (primary customers: 409)",
        role=STAFF, response="DeletionOut", status=202)
def delete(ctx: StaffContext, email: str) -> Deletion:
    return container().customer_deletion.delete(ctx, email)


@api.op("POST", f"{MANAGE}/{{email}}/erasure", role=STAFF, response="ErasureOut", status=202,
        summary="Erase a customer on request (GDPR art. 17; owners only): the person goes, payment records stay")
def erase(ctx: StaffContext, email: str) -> Erasure:
    return container().customer_erasure.erase(ctx, email)


@api.op("POST", "/v1/manage/customer-exports", role=STAFF, body="ExportIn", response="ExportJobOut", status=202,
        alternatives=((200, "text/csv", "The CSV file itself (small exports)"),),
        summary="CSV of customers' registrations and payments: the file (200), or a background job to poll (202)")
def export(ctx: StaffContext, body: ExportIn) -> Response:
    from ..services.exports import CsvFile, ExportRequest

    outcome = container().customer_export.start(ctx, command(ExportRequest, body))
    if isinstance(outcome, CsvFile):
        return Response(body=outcome.text, status_code=200, headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{outcome.filename}"'})
    return Response(body=json.dumps(asdict(outcome)), status_code=202, headers={"Content-Type": "application/json"})


@api.op("GET", "/v1/manage/customer-exports/{job_id}", summary="A background export: its state and download link",
        role=STAFF, response="ExportJobOut")
def export_job(ctx: StaffContext, job_id: str) -> ExportJobView:
    return container().customer_export.job(ctx, job_id)


@api.op("POST", "/v1/manage/messages", role=STAFF, body="MessageIn", response="MessageQueuedOut", status=202,
        summary="Email or SMS selected customers, a kind, a group or a membership (sent in the background)")
def send_message(ctx: StaffContext, body: MessageIn) -> MessageQueued:
    from ..services.broadcasts import NewMessage

    return container().broadcasts.send(ctx, command(NewMessage, body))


@api.op("GET", f"{MINE}/contact", summary="My phone number and message opt-outs", role=BOOKER, response="ContactOut")
def my_contact(ctx: BookerContext) -> Customer:
    return container().contact_preferences.mine(ctx)


@api.op("PATCH", f"{MINE}/contact", summary="Set my phone number, or opt out of SMS or marketing messages",
        role=BOOKER, body="ContactIn", response="ContactOut")
def update_my_contact(ctx: BookerContext, body: ContactIn) -> Customer:
    from ..domain.customers import ContactChanges

    return container().contact_preferences.update_mine(ctx, command(ContactChanges, body))


@api.op("GET", "/v1/businesses/{business_id}/unsubscribe/{token}", role=PUBLIC, response="UnsubscribedOut",
        summary="Follow a marketing email's unsubscribe link: no more marketing messages (404 for a forged link)")
def unsubscribe(ctx: PublicContext, token: str) -> dict[str, Any]:
    return {"email": container().unsubscribe_links.unsubscribe(ctx, token), "marketing_opt_out": True}


@api.op("POST", "/v1/businesses/{business_id}/unsubscribe/{token}", role=PUBLIC, response="UnsubscribedOut",
        content_types=("application/x-www-form-urlencoded", "application/json"), summary="One-click unsubscribe (RFC 8058: mail clients POST the List-Unsubscribe link)")
def unsubscribe_one_click(ctx: PublicContext, token: str) -> dict[str, Any]:
    return {"email": container().unsubscribe_links.unsubscribe(ctx, token), "marketing_opt_out": True}


@api.op("GET", f"{MANAGE}/{{email}}/messages", summary="Messages sent to a customer, newest first, with their state",
        role=STAFF, query="PageQuery", response="MessageLogPage")
def messages(ctx: StaffContext, email: str, query: PageQuery) -> dict[str, Any]:
    customer = container().customers.get(ctx, email)  # 404 for a customer of no record here
    items, following = container().broadcasts.history(ctx, customer.email, query.limit, query.cursor)
    return {"items": [asdict(i) | {"state": i.state.value} for i in items], "next": following}


@api.op("GET", f"{MANAGE}/{{email}}/data-export", summary="Everything held about a customer, as JSON (GDPR access)",
        role=STAFF)
def data_export(ctx: StaffContext, email: str) -> dict[str, Any]:
    return container().customer_data.export(ctx, email)
