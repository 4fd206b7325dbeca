"""Shared fixtures: fake AWS credentials, moto for every AWS call, tokens, a seeded business.

The environment is set before anything from ``chalicelib`` is imported, because PynamoDB reads
table names and endpoints when the models are defined.
"""
from __future__ import annotations

import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    TABLE_PREFIX="test-",
    JWT_DEV_SECRET="test-secret-at-least-32-bytes-long!!",
    JWT_AUDIENCE="memberships-api",
    STRIPE_WEBHOOK_SECRET="whsec_test_secret",
    PAYMENT_PROVIDER="local",
    POWERTOOLS_LOG_LEVEL="WARNING",
    OPERATOR_SUBJECTS="operator-test",
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# Property tests check orderings, not speed: two shared CI cores must not turn a slow example into a failure.
settings.register_profile("shared-cores", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-cores")
from moto import mock_aws  # noqa: E402

from chalicelib import bootstrap  # noqa: E402
from chalicelib.adapters.dynamodb import base  # noqa: E402
from chalicelib.adapters.dynamodb.tenancy import BusinessModel  # noqa: E402


@pytest.fixture
def aws() -> Iterator[None]:
    """Every AWS call goes to moto; tables are created fresh for each test."""
    with mock_aws():
        base.point_at(None)
        base.create_missing_tables(wait=False)
        verify_sender()
        bootstrap.reset()
        yield
        bootstrap.reset()


def verify_sender() -> None:
    """moto's SES refuses unverified senders, as SES does: every use case may send mail."""
    import boto3

    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@example.com")


def mint(**claims: Any) -> str:
    return bootstrap.token_verifier().mint(claims)


def grant_staff(business_id: str, subject: str, role: str = "owner", email: str | None = None) -> None:
    """A staff record: what lets ``subject`` act for ``business_id`` (tokens name no business)."""
    from chalicelib.adapters.dynamodb.staff import StaffModel

    StaffModel(subject, business_id, role=role, email=email).save()


def staff_token(business_id: str, role: str = "owner") -> str:
    """A token of the business's test staff member (``staff-<business_id>``), whose record this creates."""
    grant_staff(business_id, f"staff-{business_id}", role)
    return mint(sub=f"staff-{business_id}")


def operator_token() -> str:
    return mint(sub="operator-test")


def booker_token(email: str, name: str = "") -> str:
    return mint(sub=f"booker-{email}", email=email, email_verified=True, name=name)


def make_business(business_id: str = "biz-a", plan: str = "standard", tz: str = "Europe/Berlin",
                  stripe_account: str | None = "default") -> None:
    """Connected to its own Stripe account ``acct_<business_id>`` unless ``stripe_account=None`` (T4)."""
    account = f"acct_{business_id}" if stripe_account == "default" else stripe_account
    BusinessModel(business_id, name=f"Studio {business_id}", plan=plan, timezone=tz, return_use_on_cancel=True,
                  stripe_account_id=account, stripe_connection="connected" if account else "not_connected",
                  stripe_account_email=f"owner@{business_id}.example" if account else None).save()


class Api:
    """A thin JSON wrapper over chalice.test.Client.http with bearer tokens."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, method: str, path: str, token: str | None = None, body: Any = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        resp = getattr(self.client.http, method.lower())(path, headers=headers, body=payload)
        resp.json = json.loads(resp.body) if resp.body and resp.headers.get("Content-Type", "").startswith("application/json") else None
        return resp


@pytest.fixture
def api(aws: None) -> Iterator[Api]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test", project_dir=os.path.dirname(os.path.dirname(__file__))) as client:
        yield Api(client)


@contextmanager
def module_api() -> Iterator[Api]:
    """Moto, tables and a test client for a whole module (for read-mostly suites like isolation)."""
    from chalice.test import Client

    from app import app

    with mock_aws():
        base.point_at(None)
        base.create_missing_tables(wait=False)
        bootstrap.reset()
        with Client(app, stage_name="test", project_dir=os.path.dirname(os.path.dirname(__file__))) as client:
            yield Api(client)
        bootstrap.reset()
