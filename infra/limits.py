"""What keeps a stage standing under load, for ``infra/build.py``: throttling, concurrency, their alarms,
and the bucket for webhook bodies too large for an SQS message.

- The API stage is throttled (steady rate and burst) before requests reach the functions; every
  429 it answers is counted from the access log and alarms.
- Each queue consumer has reserved concurrency (it cannot starve the API's functions, nor be
  starved), and its SQS event source a matching maximum concurrency, so the poller does not pull
  more batches than may run: a throttled invocation would count as a receive and push messages
  towards the dead-letter queue. Any Lambda throttle alarms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXPORT_RETENTION_DAYS = 1
BLOB_RETENTION_DAYS = 15  # longer than the dead-letter queue keeps a message (14 days from its first enqueue)
ACCESS_LOG_FORMAT = ('{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
                     '"method":"$context.httpMethod","path":"$context.resourcePath","status":"$context.status",'
                     '"latencyMs":"$context.responseLatency","error":"$context.error.responseType"}')


@dataclass(frozen=True)
class Limits:
    api_rate: float  # requests per second across the stage, sustained
    api_burst: int  # requests API Gateway accepts at once above the rate
    consumer_concurrency: int  # reserved for each queue consumer (>= 2: SQS maximum concurrency's minimum)


LIMITS = {
    "dev": Limits(api_rate=20, api_burst=40, consumer_concurrency=2),
    "prod": Limits(api_rate=200, api_burst=400, consumer_concurrency=5),
}


def blob_bucket(prefix: str, protect: bool) -> dict[str, Any]:
    """Private, encrypted, TLS only; objects expire once no message can still point at them."""
    policy = "Retain" if protect else "Delete"
    return {
        "BlobBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": policy, "UpdateReplacePolicy": policy, "Properties": {
            "BucketName": {"Fn::Sub": f"{prefix}-blobs-${{AWS::AccountId}}-${{AWS::Region}}"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {"Rules": [{"Id": "expire-message-bodies", "Status": "Enabled",
                                                  "ExpirationInDays": BLOB_RETENTION_DAYS},
                                                 # customer exports (C3): personal data, fetched by a 5-minute link
                                                 {"Id": "expire-exports", "Status": "Enabled", "Prefix": "exports/",
                                                  "ExpirationInDays": EXPORT_RETENTION_DAYS}]},
        }},
        "BlobBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "BlobBucket"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [{"Fn::GetAtt": ["BlobBucket", "Arn"]}, {"Fn::Sub": "${BlobBucket.Arn}/*"}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }]},
        }},
    }


def api_patch(prefix: str, limits: Limits, log_retention_days: int, namespace: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Properties merged onto Chalice's API (throttling, access log), and the resources counting its 429s."""
    properties = {
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": limits.api_rate,
                            "ThrottlingBurstLimit": limits.api_burst}],
        "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}, "Format": ACCESS_LOG_FORMAT},
    }
    resources = {
        "ApiAccessLogGroup": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                              "Properties": {"LogGroupName": f"/aws/apigateway/{prefix}/access",
                                             "RetentionInDays": log_retention_days}},
        "ApiThrottledMetricFilter": {"Type": "AWS::Logs::MetricFilter", "Properties": {
            "LogGroupName": {"Ref": "ApiAccessLogGroup"},
            "FilterPattern": '{ $.status = "429" }',
            "MetricTransformations": [{"MetricNamespace": namespace, "MetricName": "ApiThrottled", "MetricValue": "1"}],
        }},
    }
    return properties, resources


def consumer_patch(limits: Limits) -> dict[str, Any]:
    """Properties merged onto a queue consumer function."""
    return {"ReservedConcurrentExecutions": limits.consumer_concurrency}


def consumer_event_patch(limits: Limits) -> dict[str, Any]:
    """Properties merged onto a consumer's SQS event source."""
    return {"ScalingConfig": {"MaximumConcurrency": limits.consumer_concurrency}}
