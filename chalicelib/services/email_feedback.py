"""SES bounces and complaints (C4), delivered by SNS to an HTTP route: verified, then every
permanently bounced or complaining address goes on the suppression list, so no message is sent to
it again. Only the configured topic is believed: anyone can own an SNS topic and sign with it."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..domain.errors import ForbiddenError, InvalidInputError
from ..logs import logger

if TYPE_CHECKING:
    from ..ports.broadcasts import SnsVerifier, Suppressions


class EmailFeedback:
    def __init__(self, verifier: SnsVerifier, suppressions: Suppressions, topic_arn: str) -> None:
        self.verifier = verifier
        self.suppressions = suppressions
        self.topic_arn = topic_arn

    def receive(self, raw: bytes) -> int:
        """The number of addresses suppressed by this message."""
        try:
            message = json.loads(raw)
        except ValueError as exc:
            raise InvalidInputError("The body is not an SNS message.", field="body") from exc
        if not isinstance(message, dict):
            raise InvalidInputError("The body is not an SNS message.", field="body")
        if not self.topic_arn or message.get("TopicArn") != self.topic_arn:
            raise ForbiddenError("Messages from this topic are not accepted.", code="unknown_topic")
        self.verifier.verify(message)
        if message.get("Type") == "SubscriptionConfirmation":
            self.verifier.confirm(str(message.get("SubscribeURL")))
            return 0
        if message.get("Type") != "Notification":
            return 0
        notice = json.loads(str(message.get("Message") or "{}"))
        addresses: list[str] = []
        if notice.get("notificationType") == "Bounce" and notice.get("bounce", {}).get("bounceType") == "Permanent":
            addresses = [r["emailAddress"] for r in notice["bounce"].get("bouncedRecipients", [])]
        elif notice.get("notificationType") == "Complaint":
            addresses = [r["emailAddress"] for r in notice["complaint"].get("complainedRecipients", [])]
        for address in addresses:
            self.suppressions.suppress(address, str(notice["notificationType"]).lower())
        logger.info("ses feedback", extra={"suppressed": len(addresses)})
        return len(addresses)
