"""Art. 48 mapping, report summaries, periods and the dashboard's rate arithmetic (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lawtrail.domain.findings import FindingStatus, RuleSpec, Severity, Subject, finding
from lawtrail.domain.oversight import (
    ART48_LABELS,
    CATEGORIES,
    Art48,
    Item,
    Period,
    by_officer,
    by_unit,
    category_of_event,
    category_of_rule,
    select_items,
    totals,
)
from lawtrail.domain.rules import RULES
from lawtrail.domain.supervision import (
    ACTIVATION,
    COMPLIANCE,
    INGEST_24H,
    OVERDUE,
    Facts,
    Metric,
    SnapshotRow,
    combined,
    count_series,
    metrics,
    percent,
    rate,
    series,
)

T = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


# ---- the Art. 48 table ---------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "kind"), [
    ("ART32-AV-REQUIRED", Art48.NOT_RECORDED),
    ("ART35-CONTINUITY", Art48.NOT_RECORDED),
    ("ART36-INTERRUPTION-EXPLAINED", Art48.NOT_RECORDED),
    ("ART13-SIGNATURES", Art48.NOT_RECORDED),
    ("ART14-AV-REQUIRED", Art48.NOT_RECORDED),
    ("ART08-APPLICATION-RECEIPT", Art48.NOT_RECORDED),
    ("ART41-STORED-24H", Art48.NOT_STORED),
    ("ART42-REGISTRATION-COMPLETE", Art48.NOT_STORED),
    ("ART43-RETENTION", Art48.NOT_STORED),
    ("ART43-EVIDENCE-NOTE", Art48.NOT_STORED),
    ("ART39-ARCHIVED", Art48.NOT_STORED),
    ("ART37-ORIGINAL-INTACT", Art48.ORIGINAL_ALTERED),
    ("ART37-DISCLOSURE-APPROVED", Art48.UNAUTHORISED_DISCLOSURE),
    ("ART05-CERTIFIED-HANDLER", None),
    ("ART45-ACCESS-APPROVED", None),
    ("ART07-SOMETHING", None),
    ("ART37-UNKNOWN", None),
    ("not-a-rule", None),
    ("ART3-SHORT", None),
])
def test_rules_map_to_the_art48_kinds(rule: str, kind: Art48 | None) -> None:
    assert category_of_rule(rule) is kind


def test_every_registered_rule_has_a_kind() -> None:
    """Every rule the engine runs maps to an Art. 48 kind, except who may act (Art. 5): an
    uncertified handler is not one of the five kinds of Art. 48."""
    assert {r: category_of_rule(r) for r in RULES if category_of_rule(r) is None} == {
        "ART05-CERTIFIED-HANDLER": None}


@pytest.mark.parametrize(("key", "kind"), [
    ("media:original:alter-refused", Art48.ORIGINAL_ALTERED),
    ("media:vault:verify:changed", Art48.ORIGINAL_ALTERED),
    ("media:vault:verify:missing", Art48.ORIGINAL_ALTERED),
    ("media:vault:verify:untracked", None),
    ("org:device:lost", Art48.DEVICE_NEGLECT),
    ("org:device:fault", Art48.DEVICE_NEGLECT),
    ("media:original:view", None),
])
def test_events_map_to_the_art48_kinds(key: str, kind: Art48 | None) -> None:
    assert category_of_event(key) is kind


def test_the_five_kinds_are_labelled_in_order() -> None:
    assert [ART48_LABELS[c][0] for c in CATEGORIES] == ["（一）", "（二）", "（三）", "（四）", "（五）"]


# ---- items, periods, summaries ------------------------------------------------------------------

def item(category: Art48 = Art48.NOT_STORED, at: datetime = T, unit: str | None = "u1",
         people: tuple[str, ...] = ("p1",), **over: Any) -> Item:
    values: dict[str, Any] = dict(category=category, source="ART41-STORED-24H", article="第四十一条", at=at,
                                  subject_type="media", subject_id=str(uuid.uuid4()), subject_name="a.mp4",
                                  message_zh="逾期", message_en="late", unit_id=unit, people=people)
    values.update(over)
    return Item(**values)


def test_period_is_half_open_and_refuses_bad_bounds() -> None:
    p = Period(T, T + H)
    assert p.contains(T) and p.contains(T + H - timedelta(microseconds=1)) and not p.contains(T + H)
    assert not p.contains(T - timedelta(microseconds=1))
    assert Period().contains(T) and Period(None, T).contains(T - H) and Period(T, None).contains(T + 100 * H)
    with pytest.raises(ValueError):
        Period(T, T)
    with pytest.raises(ValueError):
        Period(T.replace(tzinfo=None), None)


def test_select_items_filters_by_period_unit_and_officer() -> None:
    a, b = item(at=T - H), item(at=T + H, unit="u2", people=("p2", "p1"))
    c = item(at=T + 3 * H, people=())
    assert select_items([a, b, c]) == [c, b, a]  # newest first
    assert select_items([a, b, c], period=Period(T, T + 2 * H)) == [b]
    assert select_items([a, b, c], unit_id="u1") == [c, a]
    assert select_items([a, b, c], officer_id="p1") == [b, a]
    assert select_items([a, b, c], officer_id="p2", unit_id="u1") == []


def test_summaries_by_unit_and_officer() -> None:
    items = [item(), item(Art48.NOT_RECORDED), item(unit="u2", people=("p1", "p2")), item(unit=None, people=())]
    rows = by_unit(items, {"u1": "一科", "u2": "二科"})
    assert [(r.name, r.total, r.counts.get(Art48.NOT_RECORDED, 0)) for r in rows] == [
        ("一科", 2, 1), ("二科", 1, 0), ("待查明", 1, 0)]
    people = by_officer(items, {"p1": ("张三", "一科"), "p2": ("李四", "二科")})
    assert [(r.name, r.unit_name, r.total) for r in people] == [("张三", "一科", 3), ("李四", "二科", 1),
                                                                  ("待查明", "", 1)]
    assert totals(items) == {Art48.NOT_RECORDED: 1, Art48.DEVICE_NEGLECT: 0, Art48.NOT_STORED: 3,
                             Art48.ORIGINAL_ALTERED: 0, Art48.UNAUTHORISED_DISCLOSURE: 0}
    assert by_unit([], {}) == [] and by_officer([], {}) == []


# ---- rates ---------------------------------------------------------------------------------------

def test_rate_edges() -> None:
    assert rate(0, 0) is None and percent(rate(0, 0)) == "—"
    assert rate(0, 5) == 0.0 and rate(5, 5) == 1.0 and percent(rate(1, 3)) == "33.3%"
    for bad in ((6, 5), (-1, 5), (0, -1)):
        with pytest.raises(ValueError):
            rate(*bad)


RULE = RuleSpec("ART41-STORED-24H", "第四十一条", Severity.ERROR, "x", "x")
REG = RuleSpec("ART42-REGISTRATION-COMPLETE", "第四十二条", Severity.WARNING, "x", "x")


def f(rule: RuleSpec, subject: tuple[str, str], unit: str, *, overdue: bool = True) -> Any:
    due = T - H if overdue else T + 48 * H
    return finding(rule, Subject(subject[0], subject[1], "n"), "zh", "en", now=T, due_at=due, unit_id=unit)


def by(rows: list[Metric], unit: str, metric: str) -> Metric:
    [row] = [r for r in rows if r.unit_id == unit and r.metric == metric]
    return row


def test_metrics_with_zero_activities_and_zero_media() -> None:
    rows = metrics(Facts([], {}, {}, {}), ["u1"], ["ART41-STORED-24H"])
    assert by(rows, "u1", COMPLIANCE).rate is None
    assert by(rows, "u1", INGEST_24H).rate is None
    assert by(rows, "u1", ACTIVATION).rate is None
    assert by(rows, "u1", "rule:ART41-STORED-24H").rate is None
    assert by(rows, "u1", OVERDUE).numerator == 0 and by(rows, "u1", OVERDUE).rate is None


def test_metrics_count_distinct_breached_subjects() -> None:
    found = [f(RULE, ("media", "m1"), "u1"), f(REG, ("media", "m1"), "u1"), f(REG, ("media", "m2"), "u1"),
             f(RULE, ("handin", "h1"), "u1"), f(REG, ("media", "m3"), "u1", overdue=False),
             f(REG, ("media", "x"), "u2")]
    population = {("u1", "media"): 4, ("u1", "handin"): 1, ("u1", "activity"): 2, ("u2", "media"): 1}
    rows = metrics(Facts(found, population, {"u1": 1}, {"u1": 2}), ["u1", "u2"], [RULE.id, REG.id])
    # u1: 7 subjects, m1, m2, h1 overdue (m3 only due later) → 4 of 7
    assert (by(rows, "u1", COMPLIANCE).numerator, by(rows, "u1", COMPLIANCE).denominator) == (4, 7)
    assert (by(rows, "u1", f"rule:{RULE.id}").numerator, by(rows, "u1", f"rule:{RULE.id}").denominator) == (3, 5)
    assert (by(rows, "u1", f"rule:{REG.id}").numerator, by(rows, "u1", f"rule:{REG.id}").denominator) == (2, 4)
    assert by(rows, "u1", INGEST_24H).rate == 0.75  # m1 stored late, of 4 originals
    assert by(rows, "u1", ACTIVATION).rate == 0.5
    assert by(rows, "u1", OVERDUE).numerator == 4
    assert by(rows, "u2", COMPLIANCE).rate == 0.0
    assert combined(rows, COMPLIANCE) == (4, 8)


def test_series_sum_units_per_day_and_skip_days_without_data() -> None:
    d1, d2 = date(2026, 11, 24), date(2026, 11, 25)

    def row(day: date, unit: str, metric: str, num: int, den: int) -> SnapshotRow:
        return SnapshotRow("b", day, unit, metric, num, den, T)

    rows = [row(d1, "u1", COMPLIANCE, 1, 2), row(d1, "u2", COMPLIANCE, 3, 3), row(d2, "u1", COMPLIANCE, 0, 0),
            row(d1, "u1", OVERDUE, 2, 0), row(d2, "u2", OVERDUE, 5, 0)]
    assert series(rows, COMPLIANCE) == [(d1, 0.8), (d2, None)]
    assert series(rows, COMPLIANCE, frozenset({"u2"})) == [(d1, 1.0)]
    assert count_series(rows, OVERDUE) == [(d1, 2), (d2, 5)]
    assert series([], COMPLIANCE) == []


def test_a_finding_still_open_is_not_overdue_in_metrics() -> None:
    rows = metrics(Facts([f(RULE, ("media", "m"), "u1", overdue=False)], {("u1", "media"): 1}, {}, {}),
                   ["u1"], [RULE.id])
    assert by(rows, "u1", COMPLIANCE).rate == 1.0
    assert f(RULE, ("media", "m"), "u1", overdue=False).status is FindingStatus.OPEN
