"""SES v2 sender (raw MIME, so invoices can be attached) and the Jinja2 renderer of email templates.

boto3 and jinja2 are imported on first use: neither belongs to the API's cold start.
"""
from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from email.utils import formataddr
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..ports.messaging import EmailMessage

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"

SUBJECTS = {
    "booking_confirmation": "Your booking at {{ business_name }} is confirmed",
    "booking_cancelled": "Your booking at {{ business_name }} is cancelled",
    "membership_duplicate_refunded": "You already have {{ membership_title }}: your second payment is refunded",
    "membership_confirmation": "Welcome to {{ membership_title }}",
    "membership_renewed": "Your {{ membership_title }} membership has been renewed",
    "payment_failed": "Payment for {{ membership_title }} failed",
    "membership_cancelled": "Your {{ membership_title }} membership is cancelled",
    "membership_restored": "Your {{ membership_title }} membership is restored",
    "membership_ended": "Your {{ membership_title }} membership has ended",
    "membership_paused": "Your {{ membership_title }} membership is paused from {{ starts_on }}",
    "membership_pause_ending": "Your {{ membership_title }} membership resumes on {{ resumes_on }}",
    "membership_resumed": "Your {{ membership_title }} membership is running again",
    "price_changed": "The price of {{ membership_title }} is changing",
    "staff_invitation": "You are invited to join {{ business_name }} as {{ role }}",
    "stripe_disconnected": "{{ business_name }}: your Stripe account was disconnected",
    "staff_message": "{{ subject }}",
    "waitlist_promoted": "A place came free: you are booked on {{ entry_title }}",
    "waitlist_offered": "A place came free on {{ entry_title }}: pay by {{ hold_until }} to keep it",
    "waitlist_skipped": "A place came free on {{ entry_title }}, but we could not book you",
    "additional_user_invitation": "{{ inviter }} gave you access to their account at {{ business_name }}",
    "course_session_moved": "{{ course_title }}: a session has moved",
    "course_session_cancelled": "{{ course_title }}: a session is cancelled",
}


class JinjaRenderer:
    @cached_property
    def env(self) -> Any:
        import jinja2

        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
        )

    def render(self, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
        subject = self.env.from_string(SUBJECTS[template]).render(**context)
        html = self.env.get_template(f"{template}.html").render(**context)
        text = self.env.get_template(f"{template}.txt").render(**context)
        return subject, html, text


class SesEmailSender:
    def __init__(self, sender_address: str, region: str) -> None:
        self.sender_address = sender_address
        self.region = region

    @cached_property
    def client(self) -> Any:
        import boto3

        from .aws_config import boto_config

        return boto3.client("sesv2", region_name=self.region, config=boto_config())

    def send(self, message: EmailMessage) -> str:
        mime = MimeMessage()
        mime["From"] = formataddr((message.sender_name, self.sender_address)) if message.sender_name else self.sender_address
        mime["To"] = message.to
        mime["Subject"] = message.subject
        if message.unsubscribe_url:  # RFC 2369 + RFC 8058: mail clients show their own unsubscribe button
            mime["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        for a in message.attachments:
            maintype, _, subtype = a.content_type.partition("/")
            mime.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        # A URL header is one long word: folded at 78 it would become an encoded word mail clients do not follow.
        policy = mime.policy.clone(max_line_length=998) if message.unsubscribe_url else mime.policy
        resp = self.client.send_email(
            FromEmailAddress=mime["From"],
            Destination={"ToAddresses": [message.to]},
            Content={"Raw": {"Data": mime.as_bytes(policy=policy)}},
        )
        return str(resp["MessageId"])
