"""Email and SMS infrastructure of a stage (C4), for ``infra/build.py``'s merge template.

- The SES configuration set (account-level suppression of bounces and complaints) and, with a
  ``SenderDomain``, the identity that sends through it.
- SES feedback: the set's event destination publishes bounces and complaints to an SNS topic, which
  SES may publish to (topic policy) and which is subscribed over HTTPS to ``POST /webhooks/ses`` on
  the stage's own API; the functions are told the topic (``SES_FEEDBACK_TOPIC_ARN``) and the webhook
  refuses any other topic. The app confirms the subscription when SNS posts the confirmation.
- SMS goes by ``sns.publish(PhoneNumber=...)``: no resource to create; the IAM grant is in
  ``.chalice/policy-<stage>.json`` (sms spending limits and the origination identity are account settings).
"""
from __future__ import annotations

from typing import Any

FEEDBACK_PATH = "webhooks/ses"


def messaging_resources(prefix: str, api: tuple[str, str] | None
                        ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(resources, outputs, function environment); ``api`` is the REST API's (logical id, stage name)."""
    resources: dict[str, Any] = {
        "EmailConfigurationSet": {"Type": "AWS::SES::ConfigurationSet", "Properties": {
            "Name": prefix,
            "ReputationOptions": {"ReputationMetricsEnabled": True},
            "SendingOptions": {"SendingEnabled": True},
            "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
        }},
        "EmailIdentity": {"Type": "AWS::SES::EmailIdentity", "Condition": "HasSenderDomain", "Properties": {
            # Sending from this domain uses the configuration set without the code naming it.
            "EmailIdentity": {"Ref": "SenderDomain"},
            "ConfigurationSetAttributes": {"ConfigurationSetName": {"Ref": "EmailConfigurationSet"}},
        }},
        "EmailFeedbackTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{prefix}-ses-feedback"}},
        "EmailFeedbackTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "EmailFeedbackTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "SesOfThisAccountPublishes",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": {"Ref": "EmailFeedbackTopic"},
                "Condition": {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }]},
        }},
        "EmailFeedbackDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "DependsOn": ["EmailFeedbackTopicPolicy"],  # SES checks it may publish when the destination is made
            "Properties": {
                "ConfigurationSetName": {"Ref": "EmailConfigurationSet"},
                "EventDestination": {
                    "Name": "bounces-and-complaints",
                    "Enabled": True,
                    "MatchingEventTypes": ["bounce", "complaint"],
                    "SnsDestination": {"TopicARN": {"Ref": "EmailFeedbackTopic"}},
                },
            },
        },
    }
    if api is not None:
        api_id, api_stage = api
        resources["EmailFeedbackSubscription"] = {
            "Type": "AWS::SNS::Subscription",
            "DependsOn": [f"{api_id}{api_stage}Stage"],  # SNS posts the confirmation at once: the stage must exist
            "Properties": {
                "TopicArn": {"Ref": "EmailFeedbackTopic"},
                "Protocol": "https",
                "Endpoint": {"Fn::Sub": f"https://${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
                                        f"/{api_stage}/{FEEDBACK_PATH}"},
            },
        }
    outputs = {
        "EmailConfigurationSetName": {"Value": {"Ref": "EmailConfigurationSet"}},
        "EmailFeedbackTopicArn": {"Value": {"Ref": "EmailFeedbackTopic"}},
    }
    return resources, outputs, {"SES_FEEDBACK_TOPIC_ARN": {"Ref": "EmailFeedbackTopic"}}
