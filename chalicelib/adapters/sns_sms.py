"""SMS by Amazon SNS (C4): ``publish(PhoneNumber=...)`` to one E.164 number, after asking SNS whether the
number opted out (a STOP reply goes to SNS, never to us). boto3 is imported on first use."""
from __future__ import annotations

from functools import cached_property
from typing import Any


class SnsSmsSender:
    def __init__(self, region: str) -> None:
        self.region = region

    @cached_property
    def client(self) -> Any:
        import boto3

        from .aws_config import boto_config

        return boto3.client("sns", region_name=self.region, config=boto_config())

    def is_opted_out(self, phone: str) -> bool:
        return bool(self.client.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"])

    def send(self, phone: str, text: str, marketing: bool) -> str:
        # Promotional: cheapest route, quiet hours honoured by carriers; Transactional: highest reliability.
        sms_type = "Promotional" if marketing else "Transactional"
        resp = self.client.publish(PhoneNumber=phone, Message=text, MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": sms_type}})
        return str(resp["MessageId"])
