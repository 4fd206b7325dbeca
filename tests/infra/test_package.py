"""`make package` for dev and prod, offline: cfn-lint clean, and the template holds what the code needs.

Packaging runs infra/build.py in a fresh interpreter (table names are fixed when models are defined),
exactly as `make package` does; the expectations here come from this process's models and config.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.build import SQS_ARN, all_models

pytestmark = pytest.mark.xdist_group("package")
ROOT = Path(__file__).resolve().parents[2]

# cfn-lint findings accepted on the packaged template: rule id -> why. Anything else fails the test.
ALLOWED_FINDINGS: dict[str, str] = {
    # (none today: errors are never allowed; add a warning here only with the reason it is harmless)
}


@pytest.fixture(scope="module", params=["dev", "prod"])
def packaged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, dict[str, Any]]:
    stage = request.param
    out = tmp_path_factory.mktemp(f"package-{stage}")
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"}
    done = subprocess.run(
        [sys.executable, "-m", "infra.build", "--stage", stage, "--out", str(out / "build"),
         "--merge-template", str(out / f"merge-template.{stage}.json")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    template_path = out / "build" / "sam.json"
    assert (out / "build" / "deployment.zip").stat().st_size > 1_000_000
    return stage, template_path, json.loads(template_path.read_text())


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def is_authorizer(template: dict[str, Any], logical_id: str) -> bool:
    """API Gateway calls it as an authorizer (named in the API's securityDefinitions)."""
    api = next(iter(of_type(template, "AWS::Serverless::Api").values()))["Properties"]
    return f"${{{logical_id}.Arn}}" in json.dumps(api["DefinitionBody"]["securityDefinitions"])


def test_cfn_lint_finds_nothing_beyond_the_allow_list(packaged):
    from cfnlint.api import ManualArgs, lint_file

    _, path, _ = packaged
    findings = lint_file(path, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    unexplained = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in findings
                   if m.rule.id.startswith("E") or m.rule.id not in ALLOWED_FINDINGS]
    assert unexplained == []


def test_one_table_per_model_with_its_keys_indexes_ttl_and_pitr(packaged):
    stage, _, template = packaged
    tables = {t["Properties"]["TableName"]: t for t in of_type(template, "AWS::DynamoDB::Table").values()}
    models = all_models()
    test_prefix, stage_prefix = os.environ["TABLE_PREFIX"], f"memberships-{stage}-"
    expected = {stage_prefix + m.Meta.table_name.removeprefix(test_prefix): m for m in models}
    assert sorted(tables) == sorted(expected)
    for name, model in expected.items():
        table = tables[name]
        props = table["Properties"]
        keys = [{"AttributeName": model._hash_key_attribute().attr_name, "KeyType": "HASH"}]
        if model._range_key_attribute() is not None:
            keys.append({"AttributeName": model._range_key_attribute().attr_name, "KeyType": "RANGE"})
        assert props["KeySchema"] == keys, name
        indexes = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
        assert sorted(indexes) == sorted(i.Meta.index_name for i in model._indexes.values()), name
        for index in model._indexes.values():
            attrs = index.Meta.attributes.values()
            want = [{"AttributeName": a.attr_name, "KeyType": "HASH"} for a in attrs if a.is_hash_key]
            want += [{"AttributeName": a.attr_name, "KeyType": "RANGE"} for a in attrs if a.is_range_key]
            assert indexes[index.Meta.index_name]["KeySchema"] == want, (name, index.Meta.index_name)
            assert indexes[index.Meta.index_name]["Projection"]["ProjectionType"] == index.Meta.projection.projection_type
        ttl = model._ttl_attribute()
        assert props.get("TimeToLiveSpecification") == ({"AttributeName": ttl.attr_name, "Enabled": True} if ttl else None)
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["DeletionProtectionEnabled"] is (stage == "prod")
        assert table["DeletionPolicy"] == ("Retain" if stage == "prod" else "Delete")


def test_every_sqs_event_source_reports_batch_item_failures_on_a_redriven_queue(packaged):
    stage, _, template = packaged
    queues = of_type(template, "AWS::SQS::Queue")
    by_name = {q["Properties"]["QueueName"]: (logical_id, q["Properties"]) for logical_id, q in queues.items()}
    sources = [(fn, spec["Properties"]) for fn in of_type(template, "AWS::Serverless::Function").values()
               for spec in fn["Properties"].get("Events", {}).values() if spec["Type"] == "SQS"]
    assert sources, "the app has an SQS consumer"
    for fn, source in sources:
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        name = SQS_ARN.match(source["Queue"]["Fn::Sub"])["name"]
        assert name == f"memberships-{stage}-events"  # the stage's own queue, not dev's
        _, queue = by_name[name]
        assert queue["VisibilityTimeout"] >= 6 * fn["Properties"]["Timeout"]
        assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
        dlq_id, _ = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"]
        assert queues[dlq_id]["Properties"]["QueueName"] == f"{name}-dlq"
        dlq_alarms = [a for a in of_type(template, "AWS::CloudWatch::Alarm").values()
                      if a["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]]
        assert [a["Properties"]["MetricName"] for a in dlq_alarms] == ["ApproximateNumberOfMessagesVisible"]
        assert dlq_alarms[0]["Properties"]["Threshold"] == 1  # any message in the DLQ


def test_functions_have_error_alarms_log_groups_and_their_environment(packaged):
    stage, _, template = packaged
    functions = of_type(template, "AWS::Serverless::Function")
    alarms = [a["Properties"] for a in of_type(template, "AWS::CloudWatch::Alarm").values()]
    groups = {g["Properties"]["LogGroupName"] for g in of_type(template, "AWS::Logs::LogGroup").values()}
    api = next(iter(of_type(template, "AWS::Serverless::Api").values()))["Properties"]
    events_queue = next(k for k, q in of_type(template, "AWS::SQS::Queue").items()
                        if q["Properties"]["QueueName"] == f"memberships-{stage}-events")
    assert len(functions) >= 3
    for logical_id, fn in functions.items():
        props = fn["Properties"]
        assert props["FunctionName"].startswith(f"memberships-{stage}")
        assert f"/aws/lambda/{props['FunctionName']}" in groups
        assert any(a["MetricName"] == "Errors" and a["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
                   for a in alarms), logical_id
        env = props["Environment"]["Variables"]
        assert env["TABLE_PREFIX"] == f"memberships-{stage}-"
        assert env["EVENTS_QUEUE_URL"] == {"Ref": events_queue}
        assert env["JWT_JWKS_URL"] == {"Ref": "JwksUrl"}
        if is_authorizer(template, logical_id):
            assert "STRIPE_API_KEY" not in env and "STRIPE_WEBHOOK_SECRET" not in env  # the authorizer holds no secret
        else:
            assert env["STRIPE_API_KEY"] == f"{{{{resolve:secretsmanager:memberships/{stage}/stripe:SecretString:api_key}}}}"
            assert env["OPERATOR_SUBJECTS"] == (
                f"{{{{resolve:secretsmanager:memberships/{stage}/platform:SecretString:operator_subjects}}}}")
    server_errors = [a for a in alarms if a["MetricName"] == "5XXError"]
    assert [a["Dimensions"] for a in server_errors] == [[{"Name": "ApiName", "Value": api["DefinitionBody"]["info"]["title"]},
                                                         {"Name": "Stage", "Value": api["StageName"]}]]
    assert api["DefinitionBody"]["info"]["title"] == f"memberships-{stage}"
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def test_roles_carry_the_hand_written_policies_and_ses_is_configured(packaged):
    stage, _, template = packaged
    stage_policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    authorizer_policy = json.loads((ROOT / ".chalice" / "policy-authorizer.json").read_text())
    roles = of_type(template, "AWS::IAM::Role")
    functions = of_type(template, "AWS::Serverless::Function")
    assert any(is_authorizer(template, logical_id) for logical_id in functions)
    for logical_id, fn in functions.items():
        role = roles[fn["Properties"]["Role"]["Fn::GetAtt"][0]]
        [document] = [p["PolicyDocument"] for p in role["Properties"]["Policies"]]
        assert document == (authorizer_policy if is_authorizer(template, logical_id) else stage_policy)
    [config_set] = of_type(template, "AWS::SES::ConfigurationSet").values()
    assert config_set["Properties"]["Name"] == f"memberships-{stage}"
    [identity] = of_type(template, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["ConfigurationSetAttributes"]["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}


def test_ses_feedback_reaches_the_webhook_through_the_stages_topic(packaged):
    """C4: bounces and complaints go SES -> SNS topic -> HTTPS POST /webhooks/ses, and the app knows the topic."""
    _, _, template = packaged
    [destination] = of_type(template, "AWS::SES::ConfigurationSetEventDestination").values()
    event = destination["Properties"]["EventDestination"]
    assert destination["Properties"]["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}
    assert sorted(event["MatchingEventTypes"]) == ["bounce", "complaint"] and event["Enabled"] is True
    assert event["SnsDestination"]["TopicARN"] == {"Ref": "EmailFeedbackTopic"}
    [topic_policy] = of_type(template, "AWS::SNS::TopicPolicy").values()
    [grant] = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    assert grant["Principal"] == {"Service": "ses.amazonaws.com"} and grant["Action"] == "sns:Publish"
    [subscription] = [s for s in of_type(template, "AWS::SNS::Subscription").values()
                      if s["Properties"]["TopicArn"] == {"Ref": "EmailFeedbackTopic"}]
    assert subscription["Properties"]["Protocol"] == "https"
    assert subscription["Properties"]["Endpoint"]["Fn::Sub"].endswith("/api/webhooks/ses")
    for fn in of_type(template, "AWS::Serverless::Function").values():
        assert fn["Properties"]["Environment"]["Variables"]["SES_FEEDBACK_TOPIC_ARN"] == {"Ref": "EmailFeedbackTopic"}


def test_api_throttling_consumer_concurrency_throttle_alarms_and_blob_bucket_survive_packaging(packaged):
    from infra.limits import LIMITS

    stage, _, template = packaged
    limits = LIMITS[stage]
    api = next(iter(of_type(template, "AWS::Serverless::Api").values()))["Properties"]
    assert api["MethodSettings"] == [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": limits.api_rate,
                                      "ThrottlingBurstLimit": limits.api_burst}]
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    alarms = [a["Properties"] for a in of_type(template, "AWS::CloudWatch::Alarm").values()]
    assert any(a["MetricName"] == "ApiThrottled" for a in alarms)
    for logical_id, fn in of_type(template, "AWS::Serverless::Function").items():
        props = fn["Properties"]
        assert any(a["MetricName"] == "Throttles" and a["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
                   for a in alarms), logical_id
        sqs = [e["Properties"] for e in props.get("Events", {}).values() if e["Type"] == "SQS"]
        if sqs:
            assert props["ReservedConcurrentExecutions"] == limits.consumer_concurrency
            assert all(e["ScalingConfig"] == {"MaximumConcurrency": limits.consumer_concurrency} for e in sqs)
        if not is_authorizer(template, logical_id):
            assert props["Environment"]["Variables"]["BLOB_BUCKET"] == {"Ref": "BlobBucket"}
    [bucket] = of_type(template, "AWS::S3::Bucket").values()
    assert bucket["Properties"]["BucketName"] == {"Fn::Sub": f"memberships-{stage}-blobs-${{AWS::AccountId}}-${{AWS::Region}}"}
