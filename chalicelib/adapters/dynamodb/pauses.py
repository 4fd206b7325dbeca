"""X1: membership pauses as stored (JSON) on member records and group members."""
from __future__ import annotations

from datetime import date
from typing import Any

from ...domain.pauses import PauseWindow


def pauses_json(pauses: tuple[PauseWindow, ...]) -> list[dict[str, Any]]:
    return [{"pause_id": p.pause_id, "starts_on": p.starts_on.isoformat(), "by_member": p.by_member,
             "resumes_on": p.resumes_on.isoformat() if p.resumes_on else None} for p in pauses]


def pauses_from(raw: list[dict[str, Any]] | None) -> tuple[PauseWindow, ...]:
    return tuple(PauseWindow(str(p["pause_id"]), date.fromisoformat(p["starts_on"]),
                             date.fromisoformat(p["resumes_on"]) if p.get("resumes_on") else None,
                             bool(p.get("by_member"))) for p in raw or [])
