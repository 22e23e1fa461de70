"""The home page's and the unit dashboard's pure functions: urgency order, groups with limits,
which case a finding is about, a person's open cases with their counts, per-unit counts by rule."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from lawtrail.domain.cases import ClosedKind, Stage
from lawtrail.domain.findings import Finding, FindingStatus, RuleSpec, Severity, Subject
from lawtrail.domain.workbench import (
    Counts,
    by_urgency,
    case_lines,
    case_of,
    grouped,
    handled_by,
    on_cases,
    status_counts,
    unit_counts,
)
from tests.unit.factories import T0
from tests.unit.test_rules_service import case

H = timedelta(hours=1)
A41 = RuleSpec("ART41-STORED-24H", "第四十一条", Severity.ERROR, "24小时内储存", "stored")
A42 = RuleSpec("ART42-REGISTRATION-COMPLETE", "第四十二条", Severity.WARNING, "分类登记", "registered")
A09 = RuleSpec("ART09-EMERGENCY-APPROVAL-24H", "第九条", Severity.ERROR, "补报审批", "approval")
LATE, SOON, OPEN = FindingStatus.OVERDUE, FindingStatus.DUE_SOON, FindingStatus.OPEN
UNIT_A, UNIT_B = str(uuid.uuid4()), str(uuid.uuid4())


def f(status: FindingStatus, *, rule: RuleSpec = A42, due: int | None = 1, kind: str = "media",
      subject: str | None = None, unit: str | None = UNIT_A, people: tuple[str, ...] = ()) -> Finding:
    return Finding(rule, Subject(kind, subject or str(uuid.uuid4()), "x"), "zh", "en", status,
                   T0 + due * H if due is not None else None, unit, people)


def test_urgency_is_overdue_then_due_soon_then_open_each_by_due_time_none_last() -> None:
    late, later, no_due = f(LATE, due=-5), f(LATE, due=-1), f(LATE, due=None)
    soon, open_ = f(SOON, due=2), f(OPEN, due=30)
    assert by_urgency([open_, no_due, soon, later, late]) == [late, later, no_due, soon, open_]


def test_groups_keep_the_order_limit_each_and_count_the_rest() -> None:
    items = [f(OPEN, due=i) for i in range(5)] + [f(LATE, due=-1), f(SOON)]
    groups = grouped(items, limit=2)
    assert [(g.status, len(g.items), g.total, g.more) for g in groups] == [
        (LATE, 1, 1, 0), (SOON, 1, 1, 0), (OPEN, 2, 5, 3)]
    assert [x.due_at for x in groups[2].items] == [T0, T0 + H]
    urgent = grouped(items, statuses=(LATE, SOON))
    assert [g.status for g in urgent] == [LATE, SOON]
    assert grouped([f(OPEN)], statuses=(LATE, SOON)) == []
    assert status_counts(items) == {LATE: 1, SOON: 1, OPEN: 5}
    assert status_counts([]) == {LATE: 0, SOON: 0, OPEN: 0}


def test_a_finding_belongs_to_its_case_its_record_s_case_or_its_linked_original_s_case() -> None:
    case_id, record_id, media_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    index = {("record", str(record_id)): case_id, ("media", str(media_id)): case_id}
    assert case_of(f(LATE, kind="case", subject=str(case_id)), index) == case_id
    assert case_of(f(LATE, kind="record", subject=str(record_id)), index) == case_id
    assert case_of(f(LATE, kind="media", subject=str(media_id)), index) == case_id
    assert case_of(f(LATE, kind="media"), index) is None
    assert case_of(f(LATE, kind="handin", subject=str(record_id)), index) is None  # the type counts
    assert case_of(f(LATE, kind="case", subject="not-a-uuid"), index) is None


def test_on_cases_takes_the_case_s_findings_and_those_naming_the_person() -> None:
    mine, other, me = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    record_id = uuid.uuid4()
    index = {("record", str(record_id)): mine}
    on_case = f(OPEN, kind="case", subject=str(mine))
    on_record = f(LATE, kind="record", subject=str(record_id))
    naming_me = f(SOON, kind="activity", people=(str(me),))
    elsewhere = f(LATE, kind="case", subject=str(other))
    got = on_cases([on_case, elsewhere, naming_me, on_record], [mine], index, person=me)
    assert got == [on_record, naming_me, on_case]
    assert on_cases([naming_me], [mine], index) == []


def test_handled_by_keeps_the_person_s_open_cases() -> None:
    me, someone = uuid.uuid4(), uuid.uuid4()
    open_ = case(Stage.INVESTIGATION, id=uuid.uuid4())
    concluded = case(Stage.ARCHIVE, id=uuid.uuid4())
    closed = case(Stage.ARCHIVE, id=uuid.uuid4(), closed_kind=ClosedKind.NOT_INITIATED)
    theirs = case(Stage.REVIEW, id=uuid.uuid4())
    handlers = {c.id: [me] for c in (open_, concluded, closed)} | {theirs.id: [someone]}
    assert handled_by([open_, concluded, closed, theirs], handlers, me) == [open_]


def test_case_lines_count_by_status_and_put_the_worst_first_then_the_newest() -> None:
    old_clean = case(Stage.INVESTIGATION, id=uuid.uuid4(), opened_at=T0 - 50 * H)
    new_clean = replace(old_clean, id=uuid.uuid4(), opened_at=T0 - H)
    due_soon = replace(old_clean, id=uuid.uuid4())
    overdue = replace(old_clean, id=uuid.uuid4(), opened_at=T0 - 90 * H)
    record_id = uuid.uuid4()
    index = {("record", str(record_id)): overdue.id}
    found = [f(LATE, kind="record", subject=str(record_id)), f(OPEN, kind="case", subject=str(overdue.id)),
             f(SOON, kind="case", subject=str(due_soon.id)), f(LATE, kind="case", subject=str(uuid.uuid4()))]
    lines = case_lines([old_clean, new_clean, due_soon, overdue], found, index)
    assert [line.case.id for line in lines] == [overdue.id, due_soon.id, new_clean.id, old_clean.id]
    assert lines[0].counts == {LATE: 1, SOON: 0, OPEN: 1} and lines[0].worst is LATE
    assert lines[2].worst is None


def test_unit_counts_by_status_and_rule_worst_first_with_every_unit_listed() -> None:
    quiet = str(uuid.uuid4())
    found = [f(LATE, rule=A41), f(LATE, rule=A41), f(SOON, rule=A09), f(OPEN, rule=A42),
             f(OPEN, rule=A42, unit=UNIT_B), f(SOON, rule=A42, unit=UNIT_B),
             f(LATE, rule=A09, unit=None), f(OPEN, rule=A42, unit=str(uuid.uuid4()))]  # no unit / a unit not listed
    rows = unit_counts(found, [quiet, UNIT_B, UNIT_A])
    assert [r.unit_id for r in rows] == [UNIT_A, None, UNIT_B, quiet]
    a = rows[0]
    assert a.counts == Counts(open=1, due_soon=1, overdue=2) and a.counts.total == 4
    assert [(rc.rule.id, rc.counts) for rc in a.rules] == [
        ("ART41-STORED-24H", Counts(overdue=2)), ("ART09-EMERGENCY-APPROVAL-24H", Counts(due_soon=1)),
        ("ART42-REGISTRATION-COMPLETE", Counts(open=1))]
    assert rows[1].counts == Counts(open=1, overdue=1)  # the bureau's own and the unlisted unit's
    assert rows[3].counts == Counts() and rows[3].rules == ()
    assert a.to_json()["rules"][0] == {"rule": "ART41-STORED-24H", "article": "第四十一条", "open": 0,
                                       "due_soon": 0, "overdue": 2, "total": 2}
    assert a.counts.get(LATE) == 2 and a.counts.get(SOON) == 1


def test_unit_counts_ties_keep_the_given_order_and_no_bureau_row_without_such_findings() -> None:
    rows = unit_counts([f(OPEN, unit=UNIT_B), f(OPEN, unit=UNIT_A)], [UNIT_B, UNIT_A])
    assert [r.unit_id for r in rows] == [UNIT_B, UNIT_A]
    assert unit_counts([], []) == []
