"""Failure injection at the botocore call sites: a ``before-send`` hook answers an AWS error (or
raises a connect timeout) instead of sending, so the client's own retry logic sees a real throttle.

botocore runs every ``before-send`` handler and takes the first answer, so moto (also a
``before-send`` handler) would still apply a request we answered with an error. The hook takes
moto's place on the client and hands it only the requests that are not failed: an injected fault
never reaches the service, as a throttle or a connect timeout does not.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

TIMEOUT = "timeout"


class Faults:
    """``fail(client, "TransactWriteItems", times, code)``: the next ``times`` sends of that operation fail."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.pending: dict[str, list[str]] = {}
        self.hooked: set[int] = set()

    def fail(self, client: Any, operation: str, times: int, code: str) -> None:
        self.pending.setdefault(operation, []).extend([code] * times)
        if id(client) not in self.hooked:
            self.hooked.add(id(client))
            client.meta.events.unregister("before-send", botocore_stubber)
            client.meta.events.register_first("before-send", self._send)

    def _send(self, request: Any, event_name: str, **kwargs: Any) -> AWSResponse | None:
        operation = event_name.rpartition(".")[2]  # before-send.<service>.<Operation>
        self.attempts[operation] += 1
        queue = self.pending.get(operation)
        if not queue:
            return botocore_stubber(event_name=event_name, request=request, **kwargs)
        code = queue.pop(0)
        if code == TIMEOUT:
            raise ConnectTimeoutError(endpoint_url=request.url)
        status = 500 if code == "InternalServerError" else 429 if code == "TooManyRequestsException" else 400
        body = json.dumps({"__type": code, "message": "injected fault", "Message": "injected fault"})
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(request.url, status, headers, MockRawResponse(body))

