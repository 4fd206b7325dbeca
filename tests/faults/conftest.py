from __future__ import annotations

import pytest

from tests.faults.injection import Faults


@pytest.fixture
def faults(monkeypatch) -> Faults:
    """Injected faults, with botocore's backoff sleeps recorded instead of slept."""
    import botocore.endpoint

    injected = Faults()
    injected.sleeps = []  # type: ignore[attr-defined]

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            injected.sleeps.append(seconds)  # type: ignore[attr-defined]

    monkeypatch.setattr(botocore.endpoint, "time", Clock)
    return injected
