"""The hand-written IAM policies (.chalice/policy-*.json) grant what the code uses, on its stage only."""
from __future__ import annotations

import json
import os
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from bench.dynamodb_calls import Call, run
from bench.scenarios import load_all
from infra.build import all_models

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ARN = "arn:aws:{service}:eu-west-1:123456789012:{resource}"
STAGES = ("dev", "prod")


def policy(name: str) -> dict:
    return json.loads((ROOT / ".chalice" / f"policy-{name}.json").read_text())


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


SNS_ANY = "arn:aws:sns:*:*:*"
SMS_ACTIONS = {"sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"}


def allows(document: dict, action: str, arn: str) -> bool:
    """``arn`` "*" stands for an action without a resource (an SMS to a phone number)."""
    return any(
        st["Effect"] == "Allow"
        and any(fnmatchcase(action, a) for a in listed(st["Action"]))
        and (any(fnmatchcase(arn, r) for r in listed(st["Resource"])) if "Resource" in st
             else not any(fnmatchcase(arn, r) for r in listed(st["NotResource"])))
        for st in document["Statement"]
    )


def table_arn(stage: str, table: str) -> str:
    """``table`` as the tests name it (test- prefix, maybe "/index") on the stage's prefix."""
    name = f"memberships-{stage}-" + table.removeprefix(os.environ["TABLE_PREFIX"])
    name = name.replace("/", "/index/", 1)
    return ACCOUNT_ARN.format(service="dynamodb", resource=f"table/{name}")


def iam_actions(call: Call) -> set[str]:
    """IAM authorises a transaction item by item (PutItem, UpdateItem, ConditionCheckItem...)."""
    if call.operation == "TransactWriteItems":
        return {f"dynamodb:{kind}Item" for kind in call.items}
    if call.operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    return {f"dynamodb:{call.operation}"}


@pytest.mark.parametrize("name", [*STAGES, "authorizer"])
def test_no_wildcard_action_no_scan_no_unbounded_resource(name):
    for statement in policy(name)["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in listed(statement["Action"]):
            assert "*" not in action, action
            assert action != "dynamodb:Scan"
        if "NotResource" in statement:  # SMS: phone numbers have no ARN, so "anything but an SNS resource"
            assert statement["NotResource"] == SNS_ANY, statement
            assert set(listed(statement["Action"])) <= SMS_ACTIONS, statement
            continue
        for resource in listed(statement["Resource"]):
            assert resource != "*" and ":*:*:*" not in resource, resource


@pytest.mark.parametrize("stage", STAGES)
def test_stage_policy_reaches_its_own_tables_queue_and_email_only(stage):
    other = next(s for s in STAGES if s != stage)
    document = policy(stage)
    for model in all_models():
        table = model.Meta.table_name
        assert allows(document, "dynamodb:GetItem", table_arn(stage, table))
        assert not allows(document, "dynamodb:GetItem", table_arn(other, table))
        for index in model._indexes.values():
            assert allows(document, "dynamodb:Query", table_arn(stage, f"{table}/{index.Meta.index_name}"))
    for action in ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert allows(document, action, ACCOUNT_ARN.format(service="sqs", resource=f"memberships-{stage}-events"))
        assert not allows(document, action, ACCOUNT_ARN.format(service="sqs", resource=f"memberships-{other}-events"))
    for action in ("s3:PutObject", "s3:GetObject"):
        blob = f"arn:aws:s3:::memberships-{stage}-blobs-123456789012-eu-west-1/webhooks/stripe/evt_1/x.json"
        assert allows(document, action, blob)
        assert not allows(document, action, blob.replace(f"-{stage}-", f"-{other}-"))
    assert not allows(document, "s3:DeleteObject", f"arn:aws:s3:::memberships-{stage}-blobs-1-eu-west-1/x")
    assert allows(document, "ses:SendEmail", ACCOUNT_ARN.format(service="ses", resource="identity/studio.example"))
    assert allows(document, "ses:SendRawEmail", ACCOUNT_ARN.format(service="ses", resource=f"configuration-set/memberships-{stage}"))
    for function in (f"memberships-{stage}", f"memberships-{stage}-process_events"):
        stream = ACCOUNT_ARN.format(service="logs", resource=f"log-group:/aws/lambda/{function}:log-stream:2030/01/01/x")
        assert allows(document, "logs:PutLogEvents", stream)
    other_stream = ACCOUNT_ARN.format(service="logs", resource=f"log-group:/aws/lambda/memberships-{other}:log-stream:x")
    assert not allows(document, "logs:PutLogEvents", other_stream)


@pytest.mark.parametrize("stage", STAGES)
def test_stage_may_text_phone_numbers_but_publish_to_no_topic(stage):
    document = policy(stage)
    assert allows(document, "sns:Publish", "*") and allows(document, "sns:CheckIfPhoneNumberIsOptedOut", "*")
    topic = ACCOUNT_ARN.format(service="sns", resource=f"memberships-{stage}-alarms")
    assert not allows(document, "sns:Publish", topic)
    assert not allows(policy("authorizer"), "sns:Publish", "*")


def test_authorizer_may_only_write_its_logs():
    document = policy("authorizer")
    actions = {a for st in document["Statement"] for a in listed(st["Action"])}
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
    stream = ACCOUNT_ARN.format(service="logs", resource="log-group:/aws/lambda/memberships-prod-jwt_auth:log-stream:x")
    assert allows(document, "logs:PutLogEvents", stream)


def test_every_dynamodb_call_of_the_bench_scenarios_is_granted_in_every_stage():
    """The policy follows the code: a scenario using an operation nobody granted fails here."""
    calls = [call for _, scenario_calls in run(load_all()) for call in scenario_calls]
    assert {c.operation for c in calls} >= {"GetItem", "Query", "TransactWriteItems"}
    for stage in STAGES:
        document = policy(stage)
        refused = sorted({(action, table) for call in calls for table in call.tables for action in iam_actions(call)
                          if not allows(document, action, table_arn(stage, table))})
        assert refused == [], f"policy-{stage}.json lacks {refused}"
