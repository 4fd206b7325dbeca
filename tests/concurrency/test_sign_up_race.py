"""20 people sign up the same business id at once, on DynamoDB Local: exactly one becomes its owner (T1).

The business and its owner's staff record are one transaction conditioned on the id being free,
so the losers get 409 and no staff record of theirs is left behind.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.adapters.dynamodb.staff import StaffModel
from chalicelib.bootstrap import container
from chalicelib.domain.context import PersonContext
from chalicelib.domain.errors import ConflictError
from chalicelib.services.staff import NewBusiness

pytestmark = pytest.mark.xdist_group("dynamodb_local")


def test_twenty_concurrent_sign_ups_for_one_id(ddb_local):
    staff = container().staff

    def attempt(i: int) -> str | None:
        try:
            staff.sign_up(PersonContext(f"person-{i}", None), NewBusiness("contested", f"Studio {i}", "UTC", "EUR"))
        except ConflictError:
            return None
        return f"person-{i}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        winners = [w for w in pool.map(attempt, range(20)) if w is not None]
    assert len(winners) == 1
    owners = [m.subject for m in StaffModel.by_business.query("contested")]
    assert owners == winners
    assert container().businesses.get("contested").name == f"Studio {winners[0].split('-')[1]}"
