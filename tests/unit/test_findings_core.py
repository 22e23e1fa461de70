"""The finding status arithmetic shared by every compliance rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lawtrail.domain.findings import (
    DUE_SOON,
    FindingStatus,
    RuleSpec,
    Severity,
    Subject,
    finding,
    status_at,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
RULE = RuleSpec("ART41-STORED-24H", "第四十一条", Severity.ERROR, "24小时内集中存储", "stored within 24 h")


@pytest.mark.parametrize(("due", "expected"), [
    (None, FindingStatus.OVERDUE),
    (NOW, FindingStatus.OVERDUE),
    (NOW - timedelta(seconds=1), FindingStatus.OVERDUE),
    (NOW + DUE_SOON, FindingStatus.DUE_SOON),
    (NOW + timedelta(minutes=1), FindingStatus.DUE_SOON),
    (NOW + DUE_SOON + timedelta(seconds=1), FindingStatus.OPEN),
])
def test_status_follows_the_deadline(due: datetime | None, expected: FindingStatus) -> None:
    assert status_at(due, NOW) is expected


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        status_at(None, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        status_at(NOW.replace(tzinfo=None), NOW)


def test_json_form_is_the_interface_design_fixes() -> None:
    f = finding(RULE, Subject("media", "m1", "a.mp4"), "未存储", "not stored", now=NOW,
                due_at=NOW + timedelta(hours=1), unit_id="u1", people=("p1",))
    data = f.to_json()
    assert {"rule", "article", "severity", "subject", "message_zh", "message_en", "due_at", "status"} <= set(data)
    assert data["rule"] == "ART41-STORED-24H" and data["article"] == "第四十一条"
    assert data["status"] == "due_soon" and data["due_at"] == "2026-12-01T09:00:00.000000Z"
    assert data["subject"] == {"type": "media", "id": "m1", "name": "a.mp4"}
