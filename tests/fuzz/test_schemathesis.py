"""Fuzzing every route from the OpenAPI document with schemathesis, in process (issue 14).

Each route is called with generated bodies, queries and path values as staff of business A, as a
booker of A and without a token, through Chalice's own test gateway on moto (the same path
``chalice.test.Client`` takes: authorizer, routing, the framework). Half the cases use ids of real
resources (the isolation suite's ``owned_ids``), so handlers run past "not found". Checks: no 5xx,
the status is one the document declares, and the body matches the declared schema.
"""
from __future__ import annotations

import io
import json
import os
import time
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from requests.adapters import BaseAdapter
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from urllib3 import HTTPHeaderDict, HTTPResponse

from chalicelib.api.docs import openapi_document
from chalicelib.api.framework import BOOKER, OPERATIONS, PUBLIC, STAFF
from tests.conftest import booker_token, staff_token
from tests.e2e import test_isolation

api, owned_ids = test_isolation.api, test_isolation.owned_ids  # one seeded moto world for the module
BASE = "http://fuzz.local"
CASES_PER_ROUTE = int(os.environ.get("FUZZ_CASES_PER_ROUTE", "5"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ROLES = {"staff": lambda: staff_token(test_isolation.A), "booker": lambda: booker_token(test_isolation.BOOKER_A),
         "anonymous": lambda: None}
TIMINGS: dict[str, list[float]] = {role: [] for role in ROLES}


class ChaliceAdapter(BaseAdapter):
    """A requests transport that hands each request to ``chalice.test.Client`` instead of a socket."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = request.path_url
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.client.http.request(request.method, path, headers=dict(request.headers), body=body or b"")
        content = answer.body if isinstance(answer.body, bytes) else (answer.body or "").encode()
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response.raw = HTTPResponse(body=io.BytesIO(content), headers=HTTPHeaderDict(answer.headers),
                                    status=answer.status_code, version=11, preload_content=False)
        response._content = content
        response.request, response.url, response.reason = request, request.url, "fuzzed"
        return response

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_dict(json.loads(json.dumps(openapi_document())))


@pytest.fixture(scope="module")
def session(api) -> requests.Session:
    s = requests.Session()
    s.mount(BASE, ChaliceAdapter(api.client))
    return s


def reachable(role: str) -> list:
    """Every route for staff and bookers (the other role's routes must answer 403 cleanly too)."""
    return [op for op in OPERATIONS if role != "anonymous" or op.role in (PUBLIC, STAFF, BOOKER)]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_no_route_answers_5xx_or_off_its_document(schema, session, owned_ids, role, op):
    operation = schema[op.path][op.method.upper()]
    token = ROLES[role]()
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    @settings(max_examples=CASES_PER_ROUTE, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), known_ids=st.booleans())
    def fuzz(case: Any, known_ids: bool) -> None:
        if known_ids and case.path_parameters:
            case.path_parameters = {k: owned_ids.get(k, v) for k, v in case.path_parameters.items()}
        started = time.perf_counter()
        response = case.call(base_url=BASE, session=session, headers=headers)
        TIMINGS[role].append(time.perf_counter() - started)
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()
