"""Retries and timeouts for every AWS client, in one place (boto3 clients and PynamoDB's).

botocore's ``standard`` retry mode, on purpose: it retries throttling (``ProvisionedThroughputExceeded``,
``ThrottlingException``, ``TooManyRequests``), 5xx and connection errors/timeouts with exponential
backoff and full jitter (base 1 s, capped at 20 s), at most ``MAX_ATTEMPTS`` attempts in all, and
spends from a retry quota so an outage does not multiply traffic. ``adaptive`` adds a client-side rate
limiter whose state lives in one process: a Lambda's short life never lets it learn, and it can delay
the first calls of a warm one, so it buys nothing here. ``legacy`` retries DynamoDB 10 times.
Three attempts stay well inside API Gateway's 29 s with these timeouts; SQS redelivery is the retry
beyond that (handlers are idempotent).
"""
from __future__ import annotations

from typing import Any

RETRY_MODE = "standard"
MAX_ATTEMPTS = 3  # the first call and two retries
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5


def retries() -> dict[str, Any]:
    return {"mode": RETRY_MODE, "total_max_attempts": MAX_ATTEMPTS}


def boto_config(**extra: Any) -> Any:
    """The ``botocore.config.Config`` every boto3 client here is made with."""
    from botocore.config import Config

    return Config(retries=retries(), connect_timeout=CONNECT_TIMEOUT_SECONDS,
                  read_timeout=READ_TIMEOUT_SECONDS, **extra)


def pynamodb_meta() -> dict[str, Any]:
    """PynamoDB ``Meta`` settings: it builds its botocore client in ``standard`` mode with
    ``1 + max_retry_attempts`` attempts in all (its default retry configuration)."""
    return {"max_retry_attempts": MAX_ATTEMPTS - 1, "connect_timeout_seconds": CONNECT_TIMEOUT_SECONDS,
            "read_timeout_seconds": READ_TIMEOUT_SECONDS}
