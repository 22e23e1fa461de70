"""Retention arithmetic at its edges, the effective retention of an original, the refusals of
disposal (Art. 39, 43, 44), raising retention only upwards, and the disposal state machine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lawtrail.domain.archive import (
    ArchivedIn,
    DecisionKind,
    Disposal,
    DisposalDecision,
    DisposalStatus,
    HoldTarget,
    ItemFacts,
    LegalHold,
    RetentionOverride,
    check_decision,
    check_override,
    disposal_refusals,
    effective_retention,
    newly_disposable,
)
from lawtrail.domain.evidence import (
    MediaMark,
    RetentionClass,
    RetentionPolicy,
    Situation,
    add_months,
    parse_retention,
)
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import ConfigurationError, InvalidTransition, RuleViolation

POLICY = RetentionPolicy(6)
US = timedelta(microseconds=1)


def media(captured: datetime | None = datetime(2026, 2, 28, 10, tzinfo=UTC), **over: Any) -> MediaRecord:
    values: dict[str, Any] = dict(
        id=uuid.uuid4(), sha256=uuid.uuid4().hex * 2, size=10, media_type=MediaType.VIDEO, original_name="a.mp4",
        facts={}, probe_ok=True, device_id=uuid.uuid4(), officer_id=None, unit_id=uuid.uuid4(),
        bureau_id=uuid.uuid4(), captured_at=captured, captured_end=None,
        handed_in_at=datetime(2026, 3, 1, tzinfo=UTC), stored_at=datetime(2026, 3, 1, 2, tzinfo=UTC),
        clock_offset_s=None, ingested_by="x", created_at=datetime(2026, 3, 1, tzinfo=UTC))
    values.update(over)
    return MediaRecord(**values)


def mark(m: MediaRecord, **over: Any) -> MediaMark:
    values: dict[str, Any] = dict(media_id=m.id, version=1, evidence=False, collector="", collected_at=None, place="",
                                  situations=(), situation_note="", retention=RetentionClass.STANDARD,
                                  retain_until=None, actor_id=None, actor_name="x", at=m.stored_at)
    values.update(over)
    return MediaMark(**values)


def hold(m: MediaRecord) -> LegalHold:
    return LegalHold(id=uuid.uuid4(), bureau_id=m.bureau_id, target=HoldTarget.MEDIA, target_id=m.id,
                     target_name="a", reason="行政诉讼中", placed_by_id=None, placed_by_name="x", placed_at=m.stored_at)


# --- arithmetic at the edges ----------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "end"), [
    (datetime(2026, 8, 31, 9, tzinfo=UTC), 6, datetime(2027, 2, 28, 9, tzinfo=UTC)),  # month end, no Feb 31
    (datetime(2027, 8, 31, 9, tzinfo=UTC), 6, datetime(2028, 2, 29, 9, tzinfo=UTC)),  # leap year
    (datetime(2028, 2, 29, 9, tzinfo=UTC), 12, datetime(2029, 2, 28, 9, tzinfo=UTC)),  # from a leap day
    (datetime(2026, 2, 28, 9, tzinfo=UTC), 6, datetime(2026, 8, 28, 9, tzinfo=UTC)),  # not pushed to the 31st
    (datetime(2026, 7, 31, 9, tzinfo=UTC), 6, datetime(2027, 1, 31, 9, tzinfo=UTC)),  # across the year
    (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), 360, datetime(2056, 12, 31, 23, 59, tzinfo=UTC)),  # archival
])
def test_add_months_clamps_to_the_month_end(start: datetime, months: int, end: datetime) -> None:
    assert add_months(start, months) == end


def test_a_standard_original_may_go_exactly_six_months_after_capture_not_a_microsecond_before() -> None:
    m = media(datetime(2026, 8, 31, 9, tzinfo=UTC))
    until = datetime(2027, 2, 28, 9, tzinfo=UTC)
    assert effective_retention(ItemFacts(m), POLICY).until == until
    assert [r.code for r in disposal_refusals(ItemFacts(m), POLICY, until - US)] == ["archive.unexpired"]
    assert disposal_refusals(ItemFacts(m), POLICY, until) == []


def test_without_a_capture_time_retention_runs_from_storage() -> None:
    m = media(None)
    assert effective_retention(ItemFacts(m), POLICY).until == add_months(m.stored_at, 6)


def test_a_later_mark_end_or_override_extends_and_an_archived_case_file_keeps_for_the_archival_period() -> None:
    m = media()
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert effective_retention(ItemFacts(m, mark(m, retain_until=later)), POLICY).until == later
    earlier = datetime(2026, 5, 1, tzinfo=UTC)  # a mark cannot shorten the configured period
    assert effective_retention(ItemFacts(m, mark(m, retain_until=earlier)), POLICY).until == add_months(
        m.captured_at, 6)  # type: ignore[arg-type]
    concluded = datetime(2026, 11, 26, tzinfo=UTC)
    kept = effective_retention(ItemFacts(m, archived_in=(ArchivedIn(uuid.uuid4(), "X〔2026〕1号", concluded),)),
                               POLICY)
    assert kept.retention is RetentionClass.ARCHIVAL and kept.until == datetime(2056, 11, 26, tzinfo=UTC)
    override = RetentionOverride(m.id, 1, RetentionClass.STANDARD, datetime(2060, 1, 1, tzinfo=UTC), "诉讼时效",
                                 None, "x", m.stored_at)
    assert effective_retention(ItemFacts(m, override=override), POLICY).until == datetime(2060, 1, 1, tzinfo=UTC)


# --- refusals ------------------------------------------------------------------------------------

LATE = datetime(2040, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("facts", "code", "article"), [
    (lambda m: ItemFacts(m, holds=(hold(m),)), "archive.held", "第四十三条、第四十四条"),
    (lambda m: ItemFacts(m, mark(m, evidence=True, retention=RetentionClass.LONG_TERM)), "archive.evidence",
     "第四十三条"),
    (lambda m: ItemFacts(m, mark(m, situations=(Situation.OBSTRUCTION,), retention=RetentionClass.LONG_TERM)),
     "archive.long_term", "第四十四条"),
    (lambda m: ItemFacts(m, mark(m, retention=RetentionClass.LONG_TERM)), "archive.long_term", "第四十四条"),
    (lambda m: ItemFacts(m, archived_in=(ArchivedIn(uuid.uuid4(), "X", datetime(2039, 6, 1, tzinfo=UTC)),)),
     "archive.unexpired", "第三十九条"),
    (lambda m: ItemFacts(m, disposed=True), "archive.already_disposed", "第四十三条"),
])
def test_each_forbidden_disposal_is_refused_citing_its_article(facts: Any, code: str, article: str) -> None:
    refusals = disposal_refusals(facts(media()), POLICY, LATE)
    assert refusals[0].code == code and refusals[0].article == article
    assert refusals[0].message_zh and refusals[0].message_en


def test_an_evidence_original_is_refused_once_as_evidence_not_twice() -> None:
    m = media()
    codes = [r.code for r in disposal_refusals(ItemFacts(m, mark(m, evidence=True)), POLICY, LATE)]
    assert codes == ["archive.evidence"]


def test_policy_changes_cannot_go_below_six_months_and_archival_below_ten_years() -> None:
    base = {"version": 1, "classes": {"standard": {"months": 6}, "long_term": {"months": None}}}
    assert parse_retention(base).archival_months == 360
    assert parse_retention(base | {"classes": base["classes"] | {"archival": {"months": 120}}}).archival_months == 120
    for bad in (119, 0, True, None):
        with pytest.raises(ConfigurationError):
            parse_retention(base | {"classes": base["classes"] | {"archival": {"months": bad}}})


def test_the_preview_lists_what_a_shorter_policy_would_make_disposable() -> None:
    at = datetime(2026, 11, 26, tzinfo=UTC)
    eight_months = media(at - timedelta(days=245))
    two_months = media(at - timedelta(days=60))
    held = media(at - timedelta(days=245))
    items = [ItemFacts(eight_months), ItemFacts(two_months), ItemFacts(held, holds=(hold(held),))]
    found = newly_disposable(items, RetentionPolicy(12), RetentionPolicy(6), at)
    assert [f.media.id for f, _ in found] == [eight_months.id]
    assert newly_disposable(items, RetentionPolicy(6), RetentionPolicy(12), at) == []


# --- raising retention only upwards --------------------------------------------------------------

def test_an_override_must_raise_the_retention() -> None:
    current = effective_retention(ItemFacts(media()), POLICY)
    assert current.until is not None
    check_override(current, RetentionClass.STANDARD, current.until + US)
    check_override(current, RetentionClass.LONG_TERM, None)
    for until in (current.until, current.until - timedelta(days=1)):
        with pytest.raises(RuleViolation) as info:
            check_override(current, RetentionClass.STANDARD, until)
        assert info.value.code == "archive.override_down" and info.value.article == "第四十三条"
    m = media()
    long_term = effective_retention(ItemFacts(m, mark(m, retention=RetentionClass.LONG_TERM)), POLICY)
    with pytest.raises(RuleViolation):
        check_override(long_term, RetentionClass.STANDARD, LATE)


# --- the disposal state machine --------------------------------------------------------------------

ARCHIVIST, LEADER, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def disposal(*kinds: DecisionKind) -> Disposal:
    d = Disposal(id=uuid.uuid4(), bureau_id=uuid.uuid4(), reason="期满", proposed_by_id=ARCHIVIST,
                 proposed_by_name="a", proposed_at=LATE, items=())
    decisions = tuple(DisposalDecision(d.id, k, LEADER, "l", LATE, "") for k in kinds)
    return Disposal(**{**vars(d), "decisions": decisions})


def test_the_disposal_state_machine() -> None:
    assert disposal().status is DisposalStatus.PROPOSED
    assert disposal(DecisionKind.APPROVE).status is DisposalStatus.APPROVED
    assert disposal(DecisionKind.REJECT).status is DisposalStatus.REJECTED
    assert disposal(DecisionKind.APPROVE, DecisionKind.EXECUTE).status is DisposalStatus.DISPOSED
    check_decision(disposal(), DecisionKind.APPROVE, LEADER)
    check_decision(disposal(), DecisionKind.REJECT, OTHER)
    check_decision(disposal(DecisionKind.APPROVE), DecisionKind.EXECUTE, ARCHIVIST)


@pytest.mark.parametrize(("state", "kind", "actor", "code"), [
    ((), DecisionKind.APPROVE, ARCHIVIST, "archive.same_person"),  # the proposer approving their own
    ((), DecisionKind.APPROVE, None, "archive.same_person"),  # an unnamed operator is not a second person
    ((), DecisionKind.EXECUTE, LEADER, "archive.not_approved"),
    ((DecisionKind.APPROVE,), DecisionKind.APPROVE, LEADER, "archive.decided"),
    ((DecisionKind.REJECT,), DecisionKind.APPROVE, OTHER, "archive.decided"),
    ((DecisionKind.REJECT,), DecisionKind.EXECUTE, OTHER, "archive.not_approved"),
    ((DecisionKind.APPROVE, DecisionKind.EXECUTE), DecisionKind.EXECUTE, OTHER, "archive.not_approved"),
])
def test_every_wrong_step_is_refused(state: tuple[DecisionKind, ...], kind: DecisionKind, actor: uuid.UUID | None,
                                     code: str) -> None:
    with pytest.raises(InvalidTransition) as info:
        check_decision(disposal(*state), kind, actor)
    assert info.value.code == code
