"""Cases in the domain: every pair of stages for both procedures, closing, corrections, the
handler rule (Art. 5), the identifiers' check characters and the case numbers."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.cases import (
    ADVANCES,
    CERTIFIED_HANDLER_RULE,
    ActionType,
    Case,
    ClosedKind,
    MediaLink,
    Origin,
    Procedure,
    Stage,
    bureau_abbreviation,
    case_number,
    check_advance,
    check_close,
    check_handlers_for,
    current_media,
    next_stages,
    number_year,
)
from lawtrail.domain.org import Problems
from lawtrail.domain.parties import (
    PartyInput,
    check_party,
    id_check_char,
    masked_id,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)
from lawtrail.errors import InvalidTransition, RuleViolation, ValidationFailed
from tests.unit.factories import T0, TODAY, make_bureau, make_certificate, make_unit, make_user

S = Stage


def make_case(stage: Stage = Stage.INITIATION, procedure: Procedure = Procedure.GENERAL, **over: object) -> Case:
    values: dict[str, object] = dict(
        id=uuid.uuid4(), bureau_id=uuid.uuid4(), unit_id=uuid.uuid4(), number="江市监ZFJCK〔2026〕1号", year=2026,
        serial=1, action_type=ActionType.PENALTY, procedure=procedure, origin=Origin.COMPLAINT, origin_detail="",
        complainant_real_name=True, complainant_name="王女士", complainant_contact="13800138000",
        name="某超市销售过期食品案", cause="涉嫌销售超过保质期的食品", stage=stage, opened_at=T0, opened_by="陈志强",
        updated_at=T0)
    values.update(over)
    return Case(**values)  # type: ignore[arg-type]


# What the one table must say, written out independently: (from, to) → procedures allowed.
EXPECTED = {
    (S.INITIATION, S.INVESTIGATION): {"general", "simplified"},
    (S.INITIATION, S.REVIEW): {"simplified"},
    (S.INVESTIGATION, S.REVIEW): {"general", "simplified"},
    (S.REVIEW, S.SERVICE): {"general", "simplified"},
    (S.SERVICE, S.EXECUTION): {"general", "simplified"},
    (S.EXECUTION, S.ARCHIVE): {"general", "simplified"},
}
ALL_PAIRS = list(itertools.product(Stage, Stage))


def test_the_table_is_exactly_the_expected_edges() -> None:
    assert {k: {p.value for p in v} for k, v in ADVANCES.items()} == EXPECTED


@pytest.mark.parametrize("procedure", list(Procedure), ids=lambda p: p.value)
@pytest.mark.parametrize("pair", ALL_PAIRS, ids=lambda p: f"{p[0].value}-{p[1].value}")
def test_every_pair_of_stages(pair: tuple[Stage, Stage], procedure: Procedure) -> None:
    frm, to = pair
    case = make_case(frm, procedure)
    if procedure.value in EXPECTED.get(pair, set()):
        check_advance(case, to)
        assert to in next_stages(case)
        return
    with pytest.raises(InvalidTransition) as info:
        check_advance(case, to)
    err = info.value
    assert to not in next_stages(case)
    assert err.message_zh and err.message_en
    if frm == to:
        assert err.code == "case.same_stage"
    elif list(Stage).index(to) < list(Stage).index(frm):
        assert err.code == "case.backwards" and err.article == "第三条"
        assert "更正" in err.message_zh
    else:
        assert err.code == "case.skip"
        assert err.article in {"第十三条", "第二十条", "第二十一条", "第三十九条"}


def test_skip_messages_cite_the_article_that_is_missed() -> None:
    cases = {(S.INITIATION, S.SERVICE): "第二十条", (S.INVESTIGATION, S.SERVICE): "第二十条",
             (S.REVIEW, S.EXECUTION): "第二十一条", (S.INVESTIGATION, S.ARCHIVE): "第三十九条",
             (S.INITIATION, S.REVIEW): "第十三条"}
    for (frm, to), article in cases.items():
        with pytest.raises(InvalidTransition) as info:
            check_advance(make_case(frm), to)
        assert info.value.article == article, (frm, to)
    with pytest.raises(InvalidTransition) as info:
        check_advance(make_case(S.INITIATION, Procedure.SIMPLIFIED), S.SERVICE)
    assert "尚未作出行政执法决定" in info.value.message_zh  # Art. 31 decided on the spot, still a decision first


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=lambda p: f"{p[0].value}-{p[1].value}")
def test_corrections_go_backwards_only(pair: tuple[Stage, Stage]) -> None:
    frm, to = pair
    case = make_case(frm)
    if list(Stage).index(to) < list(Stage).index(frm):
        check_advance(case, to, correction=True)
    else:
        with pytest.raises(InvalidTransition) as info:
            check_advance(case, to, correction=True)
        assert info.value.code in {"case.same_stage", "case.correction_forward"}


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.value)
def test_closing_without_a_decision(stage: Stage) -> None:
    case = make_case(stage)
    expected = {S.INITIATION: ClosedKind.NOT_INITIATED, S.INVESTIGATION: ClosedKind.WITHDRAWN,
                S.REVIEW: ClosedKind.WITHDRAWN}
    if stage in expected:
        assert check_close(case) is expected[stage]
    else:
        with pytest.raises(InvalidTransition) as info:
            check_close(case)
        assert info.value.code == "case.not_closable"


def test_a_closed_case_moves_no_more() -> None:
    closed = make_case(S.ARCHIVE, closed_kind=ClosedKind.WITHDRAWN, closed_reason="证据不足")
    assert next_stages(closed) == []
    for to in Stage:
        with pytest.raises(InvalidTransition) as info:
            check_advance(closed, to, correction=True)
        assert info.value.code == "case.closed"
    with pytest.raises(InvalidTransition):
        check_close(closed)


# ---- handlers (Art. 5) ----------------------------------------------------------------------

def _officers() -> dict[str, object]:
    unit = make_unit(make_bureau())
    return {
        "valid": make_user(unit, Role.OFFICER),
        "valid2": make_user(unit, Role.OFFICER),
        "expiring": make_user(unit, Role.OFFICER, certificate=make_certificate(valid_to=TODAY + timedelta(days=3))),
        "expired": make_user(unit, Role.OFFICER, display_name="刘家豪",
                             certificate=make_certificate(valid_to=TODAY - timedelta(days=1))),
        "ends_today": make_user(unit, Role.OFFICER, certificate=make_certificate(valid_to=TODAY)),
        "no_cert": make_user(unit, Role.OFFICER, certificate=None),
        "not_officer": make_user(unit, Role.ARCHIVIST),
        "inactive": make_user(unit, Role.OFFICER, active=False),
    }


def test_two_certified_handlers_may_investigate() -> None:
    o = _officers()
    check_handlers_for(S.INVESTIGATION, [o["valid"], o["valid2"]], TODAY)  # type: ignore[list-item]
    check_handlers_for(S.INVESTIGATION, [o["valid"], o["expiring"]], TODAY)  # type: ignore[list-item]
    check_handlers_for(S.SERVICE, [o["valid"], o["ends_today"]], TODAY)  # type: ignore[list-item]
    check_handlers_for(S.ARCHIVE, [], TODAY)  # the archive stage is the archivist's
    check_handlers_for(S.INITIATION, [o["valid"]], TODAY)  # type: ignore[list-item]


@pytest.mark.parametrize("bad", ["expired", "no_cert", "not_officer", "inactive"])
def test_an_uncertified_handler_is_refused(bad: str) -> None:
    o = _officers()
    with pytest.raises(RuleViolation) as info:
        check_handlers_for(S.INVESTIGATION, [o["valid"], o["valid2"], o[bad]], TODAY)  # type: ignore[list-item]
    assert info.value.details["rule"] == CERTIFIED_HANDLER_RULE and info.value.article == "第五条"


def test_one_handler_is_not_enough_from_investigation_on() -> None:
    o = _officers()
    for stage in (S.INVESTIGATION, S.REVIEW, S.SERVICE, S.EXECUTION):
        with pytest.raises(RuleViolation) as info:
            check_handlers_for(stage, [o["valid"]], TODAY)  # type: ignore[list-item]
        assert "至少2名" in info.value.message_zh


def test_a_certificate_that_ended_yesterday_fails_today() -> None:
    o = _officers()
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(RuleViolation):
        check_handlers_for(S.REVIEW, [o["valid"], o["ends_today"]], tomorrow)  # type: ignore[list-item]


# ---- identifiers ------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["11010519491231002X", "110101199003074477", "440703198806150012"])
def test_valid_resident_id_numbers(number: str) -> None:
    assert resident_id_problem(number) is None
    assert id_check_char(number[:17]) == number[17]


@pytest.mark.parametrize(("number", "why"), [
    ("110105194912310021", "校验位"), ("440703198806150011", "校验位"), ("11010519491231002", "18位"),
    ("11010519491331002X", "出生日期"), ("01010519491231002X", "地区码"), ("11010518991231002X", "出生日期"),
    ("1101O519491231002X", "18位"), ("11010519491231002x", "18位"),
])
def test_invalid_resident_id_numbers(number: str, why: str) -> None:
    problem = resident_id_problem(number)
    assert problem is not None and why in problem[0]


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91440300708461136T", "914403001922038216",
                                  "91110000802100433B"])
def test_valid_credit_codes(code: str) -> None:
    assert uscc_problem(code) is None
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91440300708461136S", "91440300708461136", "9144030070846113I6",
                                  "91440300708461136TX", "914403001922O38216"])
def test_invalid_credit_codes(code: str) -> None:
    assert uscc_problem(code) is not None


def test_party_validation_collects_every_problem_and_normalises() -> None:
    problems = Problems()
    clean = check_party(PartyInput(kind="legal_person", name=" 江门市某某食品有限公司 ",
                                   id_number="９１４４０３００７０８４６１１３６ｔ", legal_rep="张三",
                                   phone="0750-3221234"), problems)
    assert not problems.items
    assert clean.id_number == "91440300708461136T" and clean.name == "江门市某某食品有限公司"
    problems = Problems()
    check_party(PartyInput(kind="legal_person", name="", id_number="123", legal_rep="", phone="12"), problems,
                "parties.0.")
    fields = {p.field for p in problems.items}
    assert fields == {"parties.0.name", "parties.0.id_number", "parties.0.legal_rep", "parties.0.phone"}
    with pytest.raises(ValidationFailed):
        problems.raise_if_any()
    problems = Problems()
    check_party(PartyInput(kind="citizen", name="王五", id_number=""), problems)
    assert [p.field for p in problems.items] == ["id_number"]
    problems = Problems()
    check_party(PartyInput(kind="robot", name="x", id_number="11010519491231002X"), problems)
    assert [p.field for p in problems.items] == ["kind"]
    assert masked_id("11010519491231002X") == "110105********002X"


# ---- numbers and media links ------------------------------------------------------------------

def test_case_numbers() -> None:
    assert bureau_abbreviation("江门市市场监督管理局", "JMSCJG") == "江市监"
    assert bureau_abbreviation("蓬江区市场监督管理局", "PJ") == "蓬江区市监"
    assert bureau_abbreviation("测试局", "T") == "T"
    assert case_number("江市监", "ZFJCK", 2026, 12) == "江市监ZFJCK〔2026〕12号"
    # New Year's Eve 17:00 UTC is already 1 January in Jiangmen: numbered in the new year.
    assert number_year(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == 2027
    assert number_year(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == 2026


def test_current_media_follows_the_latest_row() -> None:
    case_id, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def row(media: uuid.UUID, linked: bool, minutes: int) -> MediaLink:
        return MediaLink(uuid.uuid4(), case_id, media, linked, T0 + timedelta(minutes=minutes), None, "x", "")

    assert current_media([row(a, True, 0), row(b, True, 1)]) == [a, b]
    assert current_media([row(a, True, 0), row(b, True, 1), row(a, False, 2)]) == [b]
    assert current_media([row(a, True, 0), row(a, False, 1), row(b, True, 2), row(a, True, 3)]) == [b, a]
    assert current_media([]) == []


def test_case_title_and_closed() -> None:
    case = make_case()
    assert case.title.startswith("江市监ZFJCK〔2026〕1号 ") and not case.closed
    assert replace(case, closed_kind=ClosedKind.NOT_INITIATED).closed
