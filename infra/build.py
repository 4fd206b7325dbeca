"""Package a stage for CloudFormation, with everything Chalice does not create, derived from the code.

    python -m infra.build --stage prod [--out build/prod]      (or: make package STAGE=prod)

1. ``chalice package`` once as is, to read what Chalice generates: the functions, their timeouts,
   the SQS event sources, the REST API. No logical id or queue name is written down here.
2. Write ``infra/merge-template.<stage>.json``: one DynamoDB table per registered PynamoDB model,
   each queue the app listens to with its dead-letter queue, SES configuration and feedback topic
   (``infra/messaging.py``), an SNS topic with alarms, the bucket for large message bodies, and patches onto Chalice's own resources
   (``ReportBatchItemFailures``, function names, log groups, deploy-time environment, and the
   throttling, concurrency and throttle alarms of ``infra/limits.py``).
3. ``chalice package --merge-template`` into ``--out``: ``sam.json`` + ``deployment.zip``.

Needs only ``AWS_DEFAULT_REGION`` (no account, no network but PyPI for the first package).
Run it in a fresh process: the table names come from ``TABLE_PREFIX`` when the models are defined.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .limits import LIMITS, api_patch, blob_bucket, consumer_event_patch, consumer_patch
from .messaging import messaging_resources

ROOT = Path(__file__).resolve().parent.parent
SQS_ARN = re.compile(r"^arn:\$\{AWS::Partition\}:sqs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(?P<name>[\w-]+)$")
AUTHORIZER_ARN = re.compile(r"\$\{(?P<logical_id>\w+)\.Arn\}")
VISIBILITY_PER_TIMEOUT = 6  # AWS: queue visibility timeout >= 6x the consumer's function timeout
MAX_RECEIVE_COUNT = 5  # attempts before a message moves to the dead-letter queue
MAX_VISIBILITY_SECONDS = 12 * 3600


@dataclass(frozen=True)
class StageSettings:
    protect_data: bool  # deletion protection and Retain on tables; Delete in throwaway stages
    log_retention_days: int


STAGES = {
    "dev": StageSettings(protect_data=False, log_retention_days=14),
    "prod": StageSettings(protect_data=True, log_retention_days=90),
}

# CloudFormation parameters set at deploy time -> the environment variable the app reads (config.py).
DEPLOY_PARAMETERS = {
    "JwksUrl": ("JWT_JWKS_URL", "HTTPS URL of the identity provider's JWKS (keys that sign staff and booker tokens)."),
    "JwtIssuer": ("JWT_ISSUER", "The 'iss' claim every accepted token carries."),
    "EmailSender": ("EMAIL_SENDER", "From address of every email; must belong to a verified SES identity."),
    "PublicBaseUrl": ("PUBLIC_BASE_URL", "Public URL of the booking site (links in emails, checkout return URLs)."),
}
# Secrets Manager "<app>/<stage>/stripe" (JSON) key -> env var (Connect's client id, OAuth state key); not for authorizers.
STRIPE_SECRET_KEYS = {"STRIPE_API_KEY": "api_key", "STRIPE_WEBHOOK_SECRET": "webhook_secret",
                      "STRIPE_CONNECT_CLIENT_ID": "connect_client_id", "CONNECT_STATE_SECRET": "connect_state_secret"}
# Secret "<app>/<stage>/platform": who the operators are (T3) and the keys that seal list cursors and portal links.
PLATFORM_SECRET_KEYS = {"OPERATOR_SUBJECTS": "operator_subjects", "CURSOR_SECRET": "cursor_secret",
                        "PORTAL_LINK_SECRET": "portal_link_secret"}


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str  # the name `chalice deploy` would give it, pinned so log groups are known
    timeout: int
    is_authorizer: bool


@dataclass(frozen=True)
class SqsSource:
    function: str  # logical id
    event: str  # key under the function's Events
    queue: str
    batching_window: int


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


# --- DynamoDB: one table per registered model -----------------------------------------------------


def table_resource(model: Any, protect: bool) -> dict[str, Any]:
    """The model's own schema (what PynamoDB's create_table sends), plus what production needs."""
    schema = model._get_schema()
    indexes = schema["global_secondary_indexes"] + schema["local_secondary_indexes"]
    types: dict[str, str] = {}
    for definition in schema["attribute_definitions"] + [d for i in indexes for d in i["attribute_definitions"]]:
        types[definition["AttributeName"]] = definition["AttributeType"]
    props: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in sorted(types.items())],
        "KeySchema": _hash_first(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": protect,
    }
    for key, found in (("GlobalSecondaryIndexes", schema["global_secondary_indexes"]),
                       ("LocalSecondaryIndexes", schema["local_secondary_indexes"])):
        if found:
            props[key] = [
                {"IndexName": i["index_name"], "KeySchema": _hash_first(i["key_schema"]), "Projection": i["projection"]}
                for i in sorted(found, key=lambda i: i["index_name"])
            ]
    ttl = model._ttl_attribute()
    if ttl is not None:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl.attr_name, "Enabled": True}
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        props["StreamSpecification"] = {"StreamViewType": stream}
    policy = "Retain" if protect else "Delete"
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": policy, "UpdateReplacePolicy": policy, "Properties": props}


def _hash_first(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
    """PynamoDB lists keys in attribute order; DynamoDB wants HASH before RANGE."""
    return sorted(({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema),
                  key=lambda k: k["KeyType"] != "HASH")


def table_resources(models: list[Any], table_prefix: str, protect: bool) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for model in models:
        name = model.Meta.table_name
        if not name.startswith(table_prefix):
            raise RuntimeError(f"{model.__name__} is table '{name}', not under '{table_prefix}': run infra.build in a fresh process.")
        logical_id = camel(name[len(table_prefix):]) + "Table"
        if logical_id in out:
            raise RuntimeError(f"Two models use table '{name}'.")
        out[logical_id] = table_resource(model, protect)
    return out


def all_models() -> list[Any]:
    """Every ``@register``ed model: the composition root's, and any module of the adapters package."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import chalicelib.adapters.dynamodb as package
    import chalicelib.bootstrap  # noqa: F401
    from chalicelib.adapters.dynamodb.base import all_models

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return all_models()


def registered_models(stage_env: dict[str, str]) -> list[Any]:
    """The models defined with the stage's environment (table names), as the Lambda defines them."""
    os.environ.update(stage_env)
    return all_models()


# --- What `chalice package` generated -----------------------------------------------------------


def functions_in(packaged: dict[str, Any], app_name: str, stage: str) -> list[Function]:
    resources = packaged["Resources"]
    authorizers = set()
    for api in _of_type(resources, "AWS::Serverless::Api").values():
        for scheme in api["Properties"].get("DefinitionBody", {}).get("securityDefinitions", {}).values():
            uri = scheme.get("x-amazon-apigateway-authorizer", {}).get("authorizerUri", {})
            authorizers.update(AUTHORIZER_ARN.findall(json.dumps(uri)))
    out = []
    for logical_id, res in _of_type(resources, "AWS::Serverless::Function").items():
        handler = res["Properties"]["Handler"].rsplit(".", 1)[-1]
        name = f"{app_name}-{stage}" if handler == "app" else f"{app_name}-{stage}-{handler}"
        out.append(Function(logical_id, name, int(res["Properties"]["Timeout"]), logical_id in authorizers))
    return out


def sqs_sources_in(packaged: dict[str, Any]) -> list[SqsSource]:
    out = []
    for logical_id, res in _of_type(packaged["Resources"], "AWS::Serverless::Function").items():
        for event, spec in res["Properties"].get("Events", {}).items():
            if spec["Type"] != "SQS":
                continue
            arn = spec["Properties"]["Queue"]
            match = SQS_ARN.match(arn.get("Fn::Sub", "") if isinstance(arn, dict) else "")
            if not match:
                raise RuntimeError(f"{logical_id}.{event}: cannot read a queue name from {arn!r}.")
            window = int(spec["Properties"].get("MaximumBatchingWindowInSeconds", 0))
            out.append(SqsSource(logical_id, event, match["name"], window))
    return out


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


# --- The merge template ----------------------------------------------------------------------------


def merge_template(stage: str, app_name: str, packaged: dict[str, Any], tables: dict[str, Any]) -> dict[str, Any]:
    settings, limits = STAGES[stage], LIMITS[stage]
    prefix = f"{app_name}-{stage}"
    functions = functions_in(packaged, app_name, stage)
    sources = sqs_sources_in(packaged)
    timeouts = {f.logical_id: f.timeout for f in functions}
    resources: dict[str, Any] = {**tables, **blob_bucket(prefix, settings.protect_data)}
    outputs: dict[str, Any] = {}
    queue_env: dict[str, Any] = {}

    resources["AlarmTopic"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{prefix}-alarms"}}
    resources["AlarmEmailSubscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Condition": "HasAlarmEmail",
        "Properties": {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}},
    }

    for queue in sorted({s.queue for s in sources}):
        if not queue.startswith(prefix + "-"):
            raise RuntimeError(
                f"The {stage} package listens to queue '{queue}'; set EVENTS_QUEUE_NAME (or the queue name) "
                f"for stage '{stage}' in .chalice/config.json so it is '{prefix}-...'."
            )
        suffix = queue[len(prefix) + 1:]
        consumers = [s for s in sources if s.queue == queue]
        visibility = max(VISIBILITY_PER_TIMEOUT * timeouts[s.function] + s.batching_window for s in consumers)
        if visibility > MAX_VISIBILITY_SECONDS:
            raise RuntimeError(f"Queue '{queue}' would need a visibility timeout of {visibility}s (max 12 h).")
        q, dlq = camel(suffix) + "Queue", camel(suffix) + "DeadLetterQueue"
        resources[dlq] = {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": f"{queue}-dlq",
            "MessageRetentionPeriod": 14 * 24 * 3600,  # the longest SQS allows: time to look and redrive
            "SqsManagedSseEnabled": True,
            "RedriveAllowPolicy": {"redrivePermission": "byQueue", "sourceQueueArns": [
                {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{queue}"}]},
        }}
        resources[q] = {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": queue,
            "VisibilityTimeout": visibility,
            "MessageRetentionPeriod": 4 * 24 * 3600,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]}, "maxReceiveCount": MAX_RECEIVE_COUNT},
        }}
        resources[camel(suffix) + "DeadLetterAlarm"] = _alarm(
            f"{queue}-dlq-not-empty", f"Messages of {queue} failed {MAX_RECEIVE_COUNT} times and wait in {queue}-dlq.",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": {"Fn::GetAtt": [dlq, "QueueName"]}}, "Maximum",
        )
        queue_env[suffix.upper().replace("-", "_") + "_QUEUE_URL"] = {"Ref": q}
        outputs[q + "Url"] = {"Value": {"Ref": q}}
        outputs[dlq + "Url"] = {"Value": {"Ref": dlq}}
        for source in consumers:
            # Chalice cannot set this; without it SQS ignores the handler's batchItemFailures.
            patch = resources.setdefault(source.function, {"Properties": {"Events": {}}})["Properties"]
            patch["Events"][source.event] = {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"],
                                                            **consumer_event_patch(limits)}}
            patch.update(consumer_patch(limits))

    apis = [(api_id, api["Properties"]["StageName"]) for api_id, api in _of_type(packaged["Resources"], "AWS::Serverless::Api").items()]
    email, email_outputs, email_env = messaging_resources(prefix, apis[0] if apis else None)
    resources.update(email)
    outputs.update(email_outputs)
    queue_env.update(email_env)  # the functions' environment, as the queue URLs are
    secrets = [(f"{app_name}/{stage}/stripe", STRIPE_SECRET_KEYS), (f"{app_name}/{stage}/platform", PLATFORM_SECRET_KEYS)]
    for fn in functions:
        env: dict[str, Any] = {var: {"Ref": param} for param, (var, _) in DEPLOY_PARAMETERS.items()}
        env.update(queue_env)
        if not fn.is_authorizer:
            env["BLOB_BUCKET"] = {"Ref": "BlobBucket"}
            env.update({var: f"{{{{resolve:secretsmanager:{secret}:SecretString:{key}}}}}"
                        for secret, keys in secrets for var, key in keys.items()})
        log_group = fn.logical_id + "LogGroup"
        resources[log_group] = {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
                                "Properties": {"LogGroupName": f"/aws/lambda/{fn.name}",
                                               "RetentionInDays": settings.log_retention_days}}
        patch = resources.setdefault(fn.logical_id, {"Properties": {}})
        patch["DependsOn"] = [log_group]  # the group exists (with retention) before the function can log
        patch["Properties"].update({"FunctionName": fn.name, "Environment": {"Variables": env}})
        resources[fn.logical_id + "ErrorsAlarm"] = _alarm(
            f"{fn.name}-errors", f"{fn.name} raised (or timed out) at least once in 5 minutes.",
            "AWS/Lambda", "Errors", {"FunctionName": {"Ref": fn.logical_id}}, "Sum",
        )
        resources[fn.logical_id + "ThrottlesAlarm"] = _alarm(
            f"{fn.name}-throttles", f"{fn.name} was throttled (concurrency limit reached) at least once in 5 minutes.",
            "AWS/Lambda", "Throttles", {"FunctionName": {"Ref": fn.logical_id}}, "Sum",
        )

    for logical_id, api in _of_type(packaged["Resources"], "AWS::Serverless::Api").items():
        # The API's name is the OpenAPI title: make it per stage, so the 5xx alarm sees one stage only.
        throttling, access_log = api_patch(prefix, limits, settings.log_retention_days, namespace=prefix)
        resources[logical_id] = {"Properties": {"DefinitionBody": {"info": {"title": prefix}}, **throttling}}
        resources.update(access_log)
        resources[logical_id + "ThrottledAlarm"] = _alarm(
            f"{prefix}-api-throttled", f"The API stage answered 429 (over {limits.api_rate:g}/s, burst {limits.api_burst}).",
            prefix, "ApiThrottled", {}, "Sum",
        )
        resources[logical_id + "ServerErrorsAlarm"] = _alarm(
            f"{prefix}-api-5xx", "The API answered 5xx: every bad request must be a 4xx, so this is a bug or an outage.",
            "AWS/ApiGateway", "5XXError", {"ApiName": prefix, "Stage": api["Properties"]["StageName"]}, "Sum",
        )

    outputs["AlarmTopicArn"] = {"Value": {"Ref": "AlarmTopic"}}
    outputs["BlobBucketName"] = {"Value": {"Ref": "BlobBucket"}}

    parameters: dict[str, Any] = {
        param: {"Type": "String", "MinLength": 1, "Description": description}
        for param, (_, description) in DEPLOY_PARAMETERS.items()
    }
    parameters["SenderDomain"] = {"Type": "String", "Default": "", "Description":
                                  "Domain to verify in SES with the configuration set (DKIM records appear in SES); "
                                  "empty if the sender identity is already verified."}
    parameters["AlarmEmail"] = {"Type": "String", "Default": "", "Description": "Address subscribed to the alarm topic; empty for none."}
    return {
        "Description": f"{prefix}: API, workers, tables, queues, bucket, email and alarms (generated by infra/build.py).",
        "Parameters": parameters,
        "Conditions": {
            "HasSenderDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "SenderDomain"}, ""]}]},
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]},
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def _alarm(name: str, description: str, namespace: str, metric: str, dimensions: dict[str, Any], statistic: str) -> dict[str, Any]:
    """Any occurrence in 5 minutes alarms: each of these means a person should look."""
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmName": name,
        "AlarmDescription": description,
        "Namespace": namespace,
        "MetricName": metric,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Statistic": statistic,
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "AlarmTopic"}],
        "OKActions": [{"Ref": "AlarmTopic"}],
    }}


# --- Running chalice ----------------------------------------------------------------------------


def chalice_package(stage: str, out: Path, merge: Path | None = None) -> dict[str, Any]:
    chalice = Path(sys.executable).with_name("chalice")
    cmd = [str(chalice), "--project-dir", str(ROOT), "package", "--stage", stage]
    if merge is not None:
        cmd += ["--merge-template", str(merge)]
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"}
    (ROOT / ".chalice" / "deployments").mkdir(parents=True, exist_ok=True)  # Chalice makes it without exist_ok: racing packagings fail
    done = subprocess.run([*cmd, str(out)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    return json.loads((out / "sam.json").read_text())


def stage_config(stage: str) -> tuple[str, dict[str, str]]:
    """The app name and the environment Chalice gives the stage (top level merged with the stage's)."""
    from chalice.cli.factory import CLIFactory

    config = CLIFactory(project_dir=str(ROOT)).create_config_obj(chalice_stage_name=stage)
    return config.app_name, dict(config.environment_variables)


def build(stage: str, out: Path, merge: Path) -> Path:
    app_name, stage_env = stage_config(stage)
    tables = table_resources(registered_models(stage_env), stage_env["TABLE_PREFIX"], STAGES[stage].protect_data)
    with tempfile.TemporaryDirectory() as bare:
        packaged = chalice_package(stage, Path(bare))
    partial = merge.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(merge_template(stage, app_name, packaged, tables), indent=2, sort_keys=True) + "\n")
    partial.replace(merge)  # whole or not at all: another run may be reading it
    chalice_package(stage, out, merge)
    return out / "sam.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=sorted(STAGES))
    parser.add_argument("--out", type=Path, help="default: build/<stage>")
    parser.add_argument("--merge-template", type=Path, help="default: infra/merge-template.<stage>.json")
    args = parser.parse_args()
    merge = (args.merge_template or ROOT / "infra" / f"merge-template.{args.stage}.json").resolve()
    template = build(args.stage, (args.out or ROOT / "build" / args.stage).resolve(), merge)
    print(f"{template} (+ deployment.zip beside it); merge template: {merge}")


if __name__ == "__main__":
    main()
