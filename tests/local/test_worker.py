"""The local worker runs the real app's SQS consumer with Lambda's semantics, and fires schedules."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from chalice import Chalice, Cron, Rate

from app import app
from chalicelib import bootstrap
from chalicelib.config import settings
from local.run import MAX_RECEIVE_COUNT, create_queues
from local.worker import Worker, consumers, failed_ids, queue_names, rate_period, schedules


def envelope(kind: str, **body) -> str:
    return json.dumps({"kind": kind, "body": body})


def test_only_records_the_handler_did_not_fail_are_deleted_and_a_poison_one_reaches_the_dlq(aws):
    seen = []
    bootstrap.install(bootstrap.build(settings(), queue_handlers={"test_kind": lambda body: seen.append(body["n"])}))
    sqs = boto3.client("sqs", region_name="eu-west-1")
    # Visibility 0: a failed record is visible again at once, so each poll is one more receive.
    urls = create_queues(sqs, queue_names(app), visibility_seconds=0)
    (consumer,) = [c for c in consumers(app, sqs) if c.name == "process_events"]
    url = consumer.queue_url
    for body in (envelope("test_kind", n=1), "{poison", envelope("nobody_handles_this")):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    worker = Worker(app, sqs, "eu-west-1", wait_seconds=0)

    assert worker.poll_once(consumer) == 3
    assert seen == [1]
    # The unknown kind was acknowledged; only the poison record is left, and it was received once.
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in left] == ["{poison"]
    assert left[0]["Attributes"]["ApproximateReceiveCount"] == "2"  # counting the look just now

    # A batch where every record fails makes the handler raise: nothing is deleted.
    for _ in range(MAX_RECEIVE_COUNT - 2):
        assert worker.poll_once(consumer) == 1
    assert worker.poll_once(consumer) == 0  # the next receive moved it to the DLQ instead
    dlq = sqs.receive_message(QueueUrl=urls[queue_names(app)[0]] + "-dlq", MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dlq] == ["{poison"]


def test_lambda_rules_for_batch_item_failures():
    ids = ["a", "b", "c"]
    assert failed_ids(None, ids) == set()
    assert failed_ids({"batchItemFailures": []}, ids) == set()
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids) == {"b"}
    # An identifier that is not in the batch (or empty) fails the whole batch, as Lambda does.
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "zz"}]}, ids) == set(ids)
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, ids) == set(ids)


def demo_app(calls: list) -> Chalice:
    demo = Chalice(app_name="demo")

    @demo.schedule(Rate(5, unit=Rate.MINUTES))
    def every_five(event):  # type: ignore[no-untyped-def]
        calls.append(("every_five", event.to_dict()["detail-type"], event.to_dict()["time"]))

    @demo.schedule("rate(1 day)")
    def nightly(event):  # type: ignore[no-untyped-def]
        calls.append(("nightly",))

    @demo.schedule(Cron(0, 9, "?", "*", "MON-FRI", "*"))
    def weekday_mornings(event):  # type: ignore[no-untyped-def]
        calls.append(("weekday_mornings",))

    return demo


def test_rate_schedules_are_discovered_from_the_app_with_their_next_run_and_a_cron_is_skipped(capsys):
    friday_10am = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)
    planned = {s.name: s.next_at for s in schedules(demo_app([]), friday_10am)}
    assert planned == {
        "every_five": datetime(2030, 3, 1, 10, 5, tzinfo=UTC),
        "nightly": datetime(2030, 3, 2, 10, 0, tzinfo=UTC),
    }
    assert "schedule weekday_mornings is not fired locally" in capsys.readouterr().out


def test_rate_periods():
    assert rate_period("rate(1 day)") == timedelta(days=1)
    assert rate_period("rate(15 minutes)") == timedelta(minutes=15)
    assert rate_period(Rate(2, unit=Rate.HOURS).to_string()) == timedelta(hours=2)
    for bad in ("cron(0 9 ? * MON-FRI *)", "rate(five minutes)", "rate(1 fortnight)"):
        with pytest.raises(ValueError):
            rate_period(bad)


def test_every_schedule_of_the_app_is_a_rate():
    assert {s.name for s in schedules(app, datetime(2030, 1, 1, tzinfo=UTC))} == {
        s.name for s in app.event_sources if type(s).__name__ == "ScheduledEventConfig"}


def test_run_fires_a_due_schedule_with_a_scheduled_event_and_plans_the_next():
    calls: list = []
    start = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)
    ticks = iter([start] + [datetime(2030, 3, 1, 10, m, tzinfo=UTC) for m in (1, 5, 6, 9, 10, 11)])
    stop = threading.Event()

    def clock() -> datetime:
        now = next(ticks, None)
        if now is None:
            stop.set()
            return datetime(2030, 3, 1, 10, 11, tzinfo=UTC)
        return now

    Worker(demo_app(calls), sqs=None, region="eu-west-1").run(stop, clock, tick_seconds=0.001)
    assert calls == [
        ("every_five", "Scheduled Event", "2030-03-01T10:05:00Z"),
        ("every_five", "Scheduled Event", "2030-03-01T10:10:00Z"),
    ]


def test_a_failing_schedule_is_logged_and_planned_again(capsys):
    demo = Chalice(app_name="demo")

    @demo.schedule("rate(1 hour)")
    def broken(event):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    (schedule,) = schedules(demo, datetime(2030, 1, 1, tzinfo=UTC))
    Worker(demo, sqs=None, region="eu-west-1").fire(schedule, datetime(2030, 1, 1, 1, tzinfo=UTC))
    out = capsys.readouterr().out
    assert "schedule broken raised" in out and "RuntimeError: boom" in out
    assert schedule.next_at == datetime(2030, 1, 1, 2, tzinfo=UTC)
