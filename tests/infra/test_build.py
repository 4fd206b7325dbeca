"""infra/build.py's derivations, without packaging: model -> table, chalice template -> queue and patches."""
from __future__ import annotations

import pytest
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.dynamodb.base import table_meta
from infra.build import merge_template, table_resource
from infra.limits import LIMITS


class ByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_owner"
        projection = KeysOnlyProjection()

    owner = UnicodeAttribute(hash_key=True)
    holds_id = UnicodeAttribute(range_key=True)


class ByRank(LocalSecondaryIndex):
    class Meta:
        index_name = "by_rank"
        projection = IncludeProjection(["owner"])

    business_id = UnicodeAttribute(hash_key=True)
    rank = NumberAttribute(range_key=True)


class HoldModel(Model):
    """Not registered: a shape no current table has (TTL, LSI, non-ALL projections, range key first)."""

    Meta = table_meta("holds")
    holds_id = UnicodeAttribute(range_key=True)
    business_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    rank = NumberAttribute()
    expires_at = TTLAttribute()
    by_owner = ByOwner()
    by_rank = ByRank()


def test_table_follows_the_model_keys_indexes_and_ttl():
    table = table_resource(HoldModel, protect=False)
    props = table["Properties"]
    assert props["TableName"] == HoldModel.Meta.table_name
    assert props["KeySchema"] == [{"AttributeName": "business_id", "KeyType": "HASH"},
                                  {"AttributeName": "holds_id", "KeyType": "RANGE"}]
    assert props["AttributeDefinitions"] == [
        {"AttributeName": "business_id", "AttributeType": "S"},
        {"AttributeName": "holds_id", "AttributeType": "S"},
        {"AttributeName": "owner", "AttributeType": "S"},
        {"AttributeName": "rank", "AttributeType": "N"},
    ]
    assert props["GlobalSecondaryIndexes"] == [{
        "IndexName": "by_owner",
        "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "holds_id", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }]
    assert props["LocalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["owner"]}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["DeletionProtectionEnabled"] is False and table["DeletionPolicy"] == "Delete"
    assert table_resource(HoldModel, protect=True)["DeletionPolicy"] == "Retain"


def chalice_output(queue: str, timeout: int, window: int) -> dict:
    """The parts of `chalice package`'s sam.json that build.py reads (shape copied from its output)."""
    sub = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:" + queue
    return {"Resources": {
        "ProcessEvents": {"Type": "AWS::Serverless::Function", "Properties": {
            "Handler": "app.process_events", "Timeout": timeout,
            "Events": {"ProcessEventsSqsEventSource": {"Type": "SQS", "Properties": {
                "Queue": {"Fn::Sub": sub}, "BatchSize": 10, "MaximumBatchingWindowInSeconds": window}}}}},
    }}


def test_queue_visibility_is_six_consumer_timeouts_plus_the_batching_window():
    template = merge_template("prod", "memberships", chalice_output("memberships-prod-events", 100, 5), {})
    queue = template["Resources"]["EventsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * 100 + 5
    patch = template["Resources"]["ProcessEvents"]
    assert patch["Properties"]["Events"]["ProcessEventsSqsEventSource"]["Properties"] == {
        "FunctionResponseTypes": ["ReportBatchItemFailures"], "ScalingConfig": {"MaximumConcurrency": 5}}
    assert patch["Properties"]["FunctionName"] == "memberships-prod-process_events"


def test_a_stage_listening_to_another_stages_queue_is_refused():
    with pytest.raises(RuntimeError, match="EVENTS_QUEUE_NAME"):
        merge_template("prod", "memberships", chalice_output("memberships-dev-events", 60, 0), {})


def chalice_output_with_api(queue: str) -> dict:
    out = chalice_output(queue, 60, 0)
    out["Resources"]["RestAPI"] = {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "api", "DefinitionBody": {}}}
    return out


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_api_is_throttled_consumers_have_reserved_concurrency_and_throttles_alarm(stage):
    limits = LIMITS[stage]
    resources = merge_template(stage, "memberships", chalice_output_with_api(f"memberships-{stage}-events"), {})["Resources"]
    [settings] = resources["RestAPI"]["Properties"]["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (limits.api_rate, limits.api_burst)
    assert 0 < limits.api_rate <= limits.api_burst
    consumer = resources["ProcessEvents"]["Properties"]
    assert consumer["ReservedConcurrentExecutions"] == limits.consumer_concurrency >= 2
    source = consumer["Events"]["ProcessEventsSqsEventSource"]["Properties"]
    assert source["ScalingConfig"]["MaximumConcurrency"] == limits.consumer_concurrency  # never more pollers than may run
    alarms = {k: v["Properties"] for k, v in resources.items() if v.get("Type") == "AWS::CloudWatch::Alarm"}
    assert alarms["ProcessEventsThrottlesAlarm"]["MetricName"] == "Throttles"
    assert alarms["ProcessEventsThrottlesAlarm"]["Namespace"] == "AWS/Lambda"
    throttled = alarms["RestAPIThrottledAlarm"]
    metric = resources["ApiThrottledMetricFilter"]["Properties"]
    assert metric["MetricTransformations"][0]["MetricName"] == throttled["MetricName"]
    assert metric["MetricTransformations"][0]["MetricNamespace"] == throttled["Namespace"]
    assert metric["LogGroupName"] == {"Ref": "ApiAccessLogGroup"} and '"429"' in metric["FilterPattern"]
    assert resources["RestAPI"]["Properties"]["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert '"status":"$context.status"' in resources["RestAPI"]["Properties"]["AccessLogSetting"]["Format"]


def test_large_message_bodies_have_a_private_expiring_bucket_the_functions_are_told_about():
    resources = merge_template("prod", "memberships", chalice_output("memberships-prod-events", 60, 0), {})["Resources"]
    bucket = resources["BlobBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-message-bodies"]["ExpirationInDays"] > 14  # outlives the dead-letter queue's retention
    assert "Prefix" not in rules["expire-message-bodies"]
    assert (rules["expire-exports"]["Prefix"], rules["expire-exports"]["ExpirationInDays"]) == ("exports/", 1)
    assert resources["ProcessEvents"]["Properties"]["Environment"]["Variables"]["BLOB_BUCKET"] == {"Ref": "BlobBucket"}
