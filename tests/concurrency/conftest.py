"""DynamoDB Local for race tests (moto is not concurrency-safe). One server per test session."""
from __future__ import annotations

from typing import Iterator

import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import base
from local import dynamodb_local


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    proc, endpoint = dynamodb_local.start()
    try:
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def ddb_local(dynamodb_local_endpoint: str) -> Iterator[str]:
    """Fresh tables on DynamoDB Local for one test; PynamoDB re-pointed there and back."""
    base.point_at(dynamodb_local_endpoint)
    for model in base.all_models():
        if model.exists():
            model.delete_table()
    base.create_missing_tables(wait=True)
    bootstrap.reset()
    yield dynamodb_local_endpoint
    bootstrap.reset()
    base.point_at(None)
