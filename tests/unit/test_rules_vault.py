"""The vault rules (Art. 41–44): each broken and satisfied, and deadline statuses over time."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lawtrail.domain.evidence import (
    Handin,
    HandinCompletion,
    HandinException,
    MediaMark,
    RetentionClass,
    Situation,
    add_months,
    parse_retention,
)
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.media import MediaType
from lawtrail.domain.rules import RULES, RuleSettings
from lawtrail.domain.rules.vault import VaultFacts, check_vault
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.errors import ConfigurationError

T = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)
UNIT, BUREAU, DEVICE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
S = RuleSettings(due_soon=6 * H, registration_grace=24 * H)


def media(**over: Any) -> MediaRecord:
    values: dict[str, Any] = dict(
        id=uuid.uuid4(), sha256=uuid.uuid4().hex * 2, size=10, media_type=MediaType.VIDEO, original_name="a.mp4",
        facts={}, probe_ok=True, device_id=DEVICE, officer_id=None, unit_id=UNIT, bureau_id=BUREAU,
        captured_at=T - 5 * H, captured_end=T - 4 * H, handed_in_at=T, stored_at=T + H, clock_offset_s=None,
        ingested_by="archivist", created_at=T + H)
    values.update(over)
    return MediaRecord(**values)


def registration(m: MediaRecord, **over: Any) -> Registration:
    values: dict[str, Any] = dict(
        media_id=m.id, version=1, unit_name="执法稽查一科", category="市场监管", device_number="ZFJLY-1",
        officer_id=None, officer_name="张三", used_from=m.captured_at, used_to=m.captured_end, party="某公司",
        case_name="无照经营", actor_id=None, actor_name="x", at=T)
    values.update(over)
    return Registration(**values)


def handin(**over: Any) -> Handin:
    values: dict[str, Any] = dict(
        id=uuid.uuid4(), bureau_id=BUREAU, unit_id=UNIT, device_id=DEVICE, device_number="ZFJLY-1", officer_id=None,
        handed_in_at=T, exception=None, returned_at=None, note="", recorded_by_id=None, recorded_by_name="a",
        recorded_at=T)
    values.update(over)
    return Handin(**values)


def mark(m: MediaRecord, **over: Any) -> MediaMark:
    values: dict[str, Any] = dict(
        media_id=m.id, version=1, evidence=True, collector="张三", collected_at=T, place="某市某路", situations=(),
        situation_note="", retention=RetentionClass.LONG_TERM, retain_until=None, actor_id=None, actor_name="x",
        at=T)
    values.update(over)
    return MediaMark(**values)


def run(facts: VaultFacts, now: datetime, rule: str) -> list[tuple[str, FindingStatus]]:
    return [(f.subject.type, f.status) for f in check_vault(facts, now, S, rule=rule)]


def test_every_rule_is_registered_with_its_article() -> None:
    assert {k: v.article for k, v in RULES.items() if k.startswith("ART4")} == {
        "ART41-STORED-24H": "第四十一条", "ART42-REGISTRATION-COMPLETE": "第四十二条",
        "ART43-EVIDENCE-NOTE": "第四十三条", "ART43-RETENTION": "第四十三条"}


# --- ART41 ------------------------------------------------------------------------------------

def test_art41_open_handin_goes_open_due_soon_overdue() -> None:
    facts = VaultFacts(media=[], handins=[handin()])
    assert run(facts, T + H, "ART41-STORED-24H") == [("handin", FindingStatus.OPEN)]
    assert run(facts, T + 19 * H, "ART41-STORED-24H") == [("handin", FindingStatus.DUE_SOON)]
    assert run(facts, T + 24 * H, "ART41-STORED-24H") == [("handin", FindingStatus.OVERDUE)]


def test_art41_exception_counts_from_the_return() -> None:
    h = handin(handed_in_at=T, exception=HandinException.OUT_OF_TOWN, returned_at=T + 48 * H)
    [f] = check_vault(VaultFacts(media=[], handins=[h]), T + 30 * H, S, rule="ART41-STORED-24H")
    assert (f.status, f.due_at) == (FindingStatus.OPEN, T + 72 * H)
    assert "返回单位" in f.message_zh


def test_art41_completed_in_time_is_satisfied() -> None:
    m = media(stored_at=T + 5 * H)
    h = handin()
    facts = VaultFacts(media=[m], handins=[h], completions={h.id: HandinCompletion(h.id, T + 6 * H, None, "a",
                                                                                   (m.id,))})
    assert run(facts, T + 100 * H, "ART41-STORED-24H") == []


def test_art41_stored_late_stays_overdue_with_the_hours_late() -> None:
    m = media(stored_at=T + 27.5 * H)
    h = handin()
    facts = VaultFacts(media=[m], handins=[h], completions={h.id: HandinCompletion(h.id, T + 28 * H, None, "a",
                                                                                   (m.id,))})
    [f] = check_vault(facts, T + 500 * H, S, rule="ART41-STORED-24H")
    assert (f.subject.id, f.status, f.due_at) == (str(m.id), FindingStatus.OVERDUE, T + 24 * H)
    assert "3.5 小时" in f.message_zh and "第四十八条" in f.message_zh and "3.5 h" in f.message_en


def test_art41_exception_allows_storage_after_the_return() -> None:
    m = media(stored_at=T + 60 * H)
    h = handin(exception=HandinException.ON_WATER, returned_at=T + 40 * H)
    facts = VaultFacts(media=[m], handins=[h], completions={h.id: HandinCompletion(h.id, T + 61 * H, None, "a",
                                                                                   (m.id,))})
    assert run(facts, T + 100 * H, "ART41-STORED-24H") == []


def test_art41_unlinked_media_late_against_its_own_hand_in_time() -> None:
    late = media(handed_in_at=T - 30 * H, stored_at=T)
    ok = media(handed_in_at=T - 2 * H, stored_at=T)
    found = check_vault(VaultFacts(media=[late, ok]), T, S, rule="ART41-STORED-24H")
    assert [(f.subject.id, f.status) for f in found] == [(str(late.id), FindingStatus.OVERDUE)]


# --- ART42 ------------------------------------------------------------------------------------

def test_art42_names_each_missing_item_in_both_languages() -> None:
    m = media()
    reg = registration(m, category=" ", party="", officer_name="", officer_id=None, used_from=None)
    [f] = check_vault(VaultFacts(media=[m], registrations={m.id: reg}), T, S, rule="ART42-REGISTRATION-COMPLETE")
    assert f.message_zh == "登记缺少：执法类别、执法人员信息、使用时间、当事人"
    assert f.message_en == "registration lacks: enforcement category, officer, time of use, party"
    [none] = check_vault(VaultFacts(media=[m]), T, S, rule="ART42-REGISTRATION-COMPLETE")
    assert none.message_en.count(",") == 6  # no registration at all: all seven


def test_art42_incomplete_registration_due_after_the_grace_period() -> None:
    m = media()
    facts = VaultFacts(media=[m], registrations={m.id: registration(m, party="", case_name="")})
    [f] = check_vault(facts, T + 2 * H, S, rule="ART42-REGISTRATION-COMPLETE")
    assert (f.status, f.due_at) == (FindingStatus.OPEN, m.stored_at + 24 * H)
    assert f.message_zh == "登记缺少：当事人、案由名称" and f.message_en == "registration lacks: party, case name"
    assert run(facts, T + 20 * H, "ART42-REGISTRATION-COMPLETE") == [("media", FindingStatus.DUE_SOON)]
    assert run(facts, T + 25 * H, "ART42-REGISTRATION-COMPLETE") == [("media", FindingStatus.OVERDUE)]


def test_art42_complete_latest_version_is_satisfied() -> None:
    m = media()
    facts = VaultFacts(media=[m], registrations={m.id: registration(m, version=2)})
    assert run(facts, T + 100 * H, "ART42-REGISTRATION-COMPLETE") == []


# --- ART43 ------------------------------------------------------------------------------------

def test_art43_evidence_note_incomplete_then_complete() -> None:
    m = media()
    partial = VaultFacts(media=[m], marks={m.id: mark(m, place="", collected_at=None)})
    [f] = check_vault(partial, T, S, rule="ART43-EVIDENCE-NOTE")
    assert f.message_zh == "作为证据使用，但文字说明缺少：取证时间、取证地点"
    assert run(VaultFacts(media=[m], marks={m.id: mark(m)}), T, "ART43-EVIDENCE-NOTE") == []
    not_evidence = mark(m, evidence=False, collector="", place="", collected_at=None,
                        retention=RetentionClass.STANDARD, retain_until=add_months(m.captured_at or T, 6))
    assert run(VaultFacts(media=[m], marks={m.id: not_evidence}), T, "ART43-EVIDENCE-NOTE") == []


def test_art43_retention_evidence_or_art44_must_be_long_term() -> None:
    m = media()
    ok_until = add_months(m.captured_at or T, 6)
    bad = mark(m, evidence=False, collector="", place="", collected_at=None, situations=(Situation.OBSTRUCTION,),
               retention=RetentionClass.STANDARD, retain_until=ok_until)
    [f] = check_vault(VaultFacts(media=[m], marks={m.id: bad}), T, S, rule="ART43-RETENTION")
    assert "第四十四条" in f.message_zh and f.status is FindingStatus.OVERDUE
    good = replace(bad, retention=RetentionClass.LONG_TERM, retain_until=None)
    assert run(VaultFacts(media=[m], marks={m.id: good}), T, "ART43-RETENTION") == []


def test_art43_retention_below_six_months_from_capture() -> None:
    m = media()
    short = mark(m, evidence=False, collector="", place="", collected_at=None, retention=RetentionClass.STANDARD,
                 retain_until=add_months(m.captured_at or T, 5))
    [f] = check_vault(VaultFacts(media=[m], marks={m.id: short}), T, S, rule="ART43-RETENTION")
    assert "少于自拍摄起六个月" in f.message_zh
    enough = replace(short, retain_until=add_months(m.captured_at or T, 6))
    assert run(VaultFacts(media=[m], marks={m.id: enough}), T, "ART43-RETENTION") == []


def test_unmarked_media_is_on_configured_retention_and_raises_nothing() -> None:
    assert run(VaultFacts(media=[media()]), T, "ART43-RETENTION") == []


# --- retention configuration --------------------------------------------------------------------

GOOD = {"version": 1, "classes": {"standard": {"months": 12}, "long_term": {"months": None}}}


def test_parse_retention_accepts_the_shipped_shape() -> None:
    assert parse_retention(GOOD).standard_months == 12


@pytest.mark.parametrize("bad", [
    None, [], {"version": 2, "classes": GOOD["classes"]},
    {"version": 1, "classes": {"standard": {"months": 5}, "long_term": {"months": None}}},
    {"version": 1, "classes": {"standard": {"months": True}, "long_term": {"months": None}}},
    {"version": 1, "classes": {"standard": {"months": 6}, "long_term": {"months": 12}}},
    {"version": 1, "classes": {"standard": {"months": 6}}},
])
def test_parse_retention_refuses_bad_or_too_short(bad: object) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_retention(bad)
    assert info.value.code == "config.retention"


def test_add_months_clamps_the_day() -> None:
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 15, tzinfo=UTC), 6) == datetime(2026, 7, 15, tzinfo=UTC)
