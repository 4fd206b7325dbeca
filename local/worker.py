"""The Lambda side of the local stack: the real Chalice app's SQS consumers and schedules.

``chalice local`` serves HTTP only. This process long-polls every queue an ``@app.on_sqs_message``
handler names and hands the messages to that handler as a Lambda SQS event. It deletes only the
records not listed in ``batchItemFailures``; the others come back after the queue's visibility
timeout and, after its maxReceiveCount, move to the dead-letter queue, as on AWS. It also fires
every ``@app.schedule`` function on its ``rate()`` (the app has no cron schedules). Both are read from the app's registered
event sources, so consumers and schedules added later need no edit here.

Run by ``local.run`` with the stack's environment; ``python -m local.worker``.
"""
from __future__ import annotations

import base64
import signal
import threading
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Callable

from chalice.app import Chalice, ScheduledEventConfig, ScheduleExpression, SQSEventConfig
from chalice.local import LambdaContext

WAIT_SECONDS = 20  # SQS long poll, as Lambda's pollers do
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def log(message: str) -> None:
    print(f"[worker] {message}", flush=True)


# ---- discovery -------------------------------------------------------------------------------

def queue_name(source: SQSEventConfig) -> str:
    return source.queue or str(source.queue_arn).rsplit(":", 1)[-1]


def queue_names(app: Chalice) -> list[str]:
    """Every queue the app consumes (the local runner creates them, each with a DLQ)."""
    return sorted({queue_name(s) for s in app.event_sources if isinstance(s, SQSEventConfig)})


@dataclass
class Consumer:
    name: str
    queue_url: str
    queue_arn: str
    batch_size: int
    handler: Callable[[dict[str, Any], Any], Any]


def consumers(app: Chalice, sqs: Any) -> list[Consumer]:
    found = []
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            url = sqs.get_queue_url(QueueName=queue_name(source))["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            found.append(Consumer(source.name, url, arn, source.batch_size, app.handler_map[source.name]))
    return found


@dataclass
class Schedule:
    name: str
    expression: str
    handler: Callable[[dict[str, Any], Any], Any]
    period: timedelta
    next_at: datetime | None = field(default=None)

    def plan(self, after: datetime) -> None:
        self.next_at = after + self.period  # like EventBridge: the first run is one period after start

    def due(self, now: datetime) -> bool:
        return self.next_at is not None and now >= self.next_at


def rate_period(expression: str) -> timedelta:
    """``rate(5 minutes)``: every schedule of the app is a rate (a cron would need a parser here)."""
    kind, _, rest = expression.strip().partition("(")
    args = rest.rstrip(")").split()
    if kind != "rate" or len(args) != 2 or args[1] not in RATE_UNITS or not args[0].isdigit():
        raise ValueError(f"only rate() schedules are fired locally, not {expression!r}")
    return timedelta(seconds=int(args[0]) * RATE_UNITS[args[1]])


def schedules(app: Chalice, now: datetime) -> list[Schedule]:
    found = []
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            expr = source.schedule_expression
            text = expr.to_string() if isinstance(expr, ScheduleExpression) else str(expr)
            try:
                schedule = Schedule(source.name, text, app.handler_map[source.name], rate_period(text))
            except ValueError as exc:
                log(f"schedule {source.name} is not fired locally: {exc}")
                continue
            schedule.plan(now)
            found.append(schedule)
    return found


# ---- invoking the handlers --------------------------------------------------------------------

def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller would pass: one record per received message."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {k: lambda_attribute(v) for k, v in m.get("MessageAttributes", {}).items()},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """boto3's ``{"StringValue": ..}`` becomes Lambda's ``{"stringValue": ..}`` (binary as base64)."""
    out: dict[str, Any] = {"dataType": value["DataType"], "stringListValues": [], "binaryListValues": []}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return out


def failed_ids(result: Any, message_ids: list[str]) -> set[str]:
    """Which records to leave on the queue; like Lambda, an unknown or empty identifier fails them all."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    ids = {str(f.get("itemIdentifier") or "") for f in result["batchItemFailures"]}
    return set(message_ids) if not ids <= set(message_ids) else ids


def context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=60_000)


class Worker:
    def __init__(self, app: Chalice, sqs: Any, region: str, wait_seconds: int = WAIT_SECONDS) -> None:
        self.app = app
        self.sqs = sqs
        self.region = region
        self.wait_seconds = wait_seconds
        # One invocation at a time: handlers share this process's caches and logger keys.
        self.invoking = threading.Lock()

    def poll_once(self, consumer: Consumer) -> int:
        """Receive one batch, run the handler, delete what succeeded; returns how many were received."""
        received = self.sqs.receive_message(
            QueueUrl=consumer.queue_url,
            MaxNumberOfMessages=min(consumer.batch_size, 10),
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        ids = [m["MessageId"] for m in received]
        try:
            with self.invoking:
                result = consumer.handler(sqs_event(received, consumer.queue_arn, self.region), context(consumer.name))
            failed = failed_ids(result, ids)
        except Exception:
            log(f"{consumer.name} raised; the whole batch of {len(ids)} goes back to the queue\n{traceback.format_exc()}")
            failed = set(ids)
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=consumer.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        log(f"{consumer.name}: {len(done)} done, {len(failed)} left for redelivery")
        return len(received)

    def fire(self, schedule: Schedule, now: datetime) -> None:
        """Invoke a schedule with the event EventBridge sends, then plan its next run."""
        event = {
            "version": "0",
            "id": f"local-{schedule.name}-{int(now.timestamp())}",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:123456789012:rule/{schedule.name}"],
            "detail": {},
        }
        try:
            with self.invoking:
                schedule.handler(event, context(schedule.name))
            log(f"schedule {schedule.name} ran")
        except Exception:
            log(f"schedule {schedule.name} raised\n{traceback.format_exc()}")
        schedule.plan(now)

    def run(self, stop: threading.Event, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
            tick_seconds: float = 1.0) -> None:
        for consumer in consumers(self.app, self.sqs):
            log(f"{consumer.name} consumes {consumer.queue_url}")
            threading.Thread(target=self._consume, args=(consumer, stop), daemon=True, name=consumer.name).start()
        planned = schedules(self.app, clock())
        for s in planned:
            log(f"schedule {s.name}: {s.expression}, next at {s.next_at:%Y-%m-%d %H:%M:%S} UTC" if s.next_at else
                f"schedule {s.name}: {s.expression} never fires")
        while not stop.wait(tick_seconds):
            now = clock()
            for s in planned:
                if s.due(now):
                    self.fire(s, now)
        self.invoking.acquire(timeout=30)  # let a running handler finish before the process exits

    def _consume(self, consumer: Consumer, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once(consumer)
            except Exception:
                log(f"polling {consumer.name} failed, retrying in 2 s\n{traceback.format_exc()}")
                stop.wait(2.0)


def main() -> None:
    import os

    import boto3

    from app import app

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    region = os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")
    Worker(app, boto3.client("sqs", region_name=region), region).run(stop)
    log("stopped")


if __name__ == "__main__":
    main()
