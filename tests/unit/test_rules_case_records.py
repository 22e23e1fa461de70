"""The case and record rules of Art. 5 and 8–15: for each rule a scenario that breaks it and one
that satisfies it, over plain data (``CaseFacts``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from lawtrail.domain.cases import ActionType, Case, ClosedKind, Origin, Stage
from lawtrail.domain.catalogue import Capacity, Catalogue
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.org import Certificate, Role, User
from lawtrail.domain.records import OfficerPresent, RecordVersion, RightsMethod, Signature
from lawtrail.domain.rules import RULES
from lawtrail.domain.rules import case_records as rules
from tests.unit.test_records_domain import CAT, NOW, OPENED, sign, version
from tests.unit.test_records_domain import case as make_case

TODAY = NOW.date()
FAR = date(2030, 1, 1)


def officer(name: str, *, valid_to: date = FAR, active: bool = True) -> User:
    return User(id=uuid.uuid4(), bureau_id=uuid.uuid4(), unit_id=uuid.uuid4(), username=name, display_name=name,
                roles=frozenset({Role.OFFICER}), active=active, password_hash="x", created_at=OPENED,
                updated_at=OPENED, certificate=Certificate(f"44070{len(name)}", date(2020, 1, 1), valid_to))


def facts(c: Case, *, handlers: Sequence[User] = (), versions: Sequence[RecordVersion] = (),
          signatures: Sequence[Signature] = (), reached: set[Stage] | None = None,
          catalogues: dict[int, Catalogue] | None = None) -> rules.CaseFacts:
    return rules.CaseFacts(cases=[c], reached={c.id: frozenset(reached or {c.stage})},
                           handlers={c.id: [u.id for u in handlers]}, users={u.id: u for u in handlers},
                           versions={c.id: list(versions)}, signatures={c.id: list(signatures)},
                           catalogues=catalogues or {1: CAT}, current=CAT)


def found(f: rules.CaseFacts, rule: str, now: datetime = NOW) -> list[Finding]:
    return rules.check_cases(f, now, rule=rule)


def statuses(f: rules.CaseFacts, rule: str, now: datetime = NOW) -> list[FindingStatus]:
    return [x.status for x in found(f, rule, now)]


def officers_present(shown: bool = True, n: int = 2) -> tuple[OfficerPresent, ...]:
    return tuple(OfficerPresent(uuid.uuid4(), f"警{i}", f"4407{i:04d}", shown) for i in range(n))


def test_the_rules_are_registered_with_their_articles() -> None:
    for rule_id, article in [("ART05-CERTIFIED-HANDLER", "第五条"), ("ART08-APPLICATION-RECEIPT", "第八条"),
                             ("ART09-INITIATION-FORM", "第九条"), ("ART10-COMPLAINANT-NOTIFIED", "第十条"),
                             ("ART11-OFFICERS-RECORDED", "第十一条"), ("ART12-RIGHTS-NOTICE", "第十二条"),
                             ("ART13-SIGNATURES", "第十三条"), ("ART14-AV-REQUIRED", "第十四条"),
                             ("ART15-PRESERVATION-AV", "第十五条")]:
        assert RULES[rule_id].article == article


# ---- Art. 5 ---------------------------------------------------------------------------------------

def test_art05_a_certificate_expired_after_the_case_began_breaks_it() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    expired = officer("甲", valid_to=TODAY - timedelta(days=1))
    out = found(facts(c, handlers=[expired, officer("乙")]), "ART05-CERTIFIED-HANDLER")
    assert [x.status for x in out] == [FindingStatus.OVERDUE] and "甲" in out[0].message_zh
    assert out[0].subject.type == "case"


def test_art05_two_valid_handlers_satisfy_it_and_initiation_needs_none() -> None:
    c = make_case(stage=Stage.REVIEW)
    assert statuses(facts(c, handlers=[officer("甲"), officer("乙")]), "ART05-CERTIFIED-HANDLER") == []
    assert statuses(facts(replace(c, stage=Stage.INITIATION)), "ART05-CERTIFIED-HANDLER") == []
    closed = replace(c, stage=Stage.ARCHIVE, closed_kind=ClosedKind.WITHDRAWN)
    assert statuses(facts(closed), "ART05-CERTIFIED-HANDLER") == []


def test_art05_warns_before_the_second_last_certificate_expires() -> None:
    c = make_case(stage=Stage.EXECUTION)
    soon = officer("甲", valid_to=TODAY + timedelta(days=3))
    out = found(facts(c, handlers=[soon, officer("乙")]), "ART05-CERTIFIED-HANDLER")
    assert [x.status for x in out] == [FindingStatus.OPEN] and out[0].due_at is not None
    assert out[0].people == (str(soon.id),)


# ---- Art. 8 ---------------------------------------------------------------------------------------

def test_art08_an_application_without_its_receipt() -> None:
    c = make_case(stage=Stage.INVESTIGATION, origin=Origin.APPLICATION, action_type=ActionType.LICENSING)
    assert statuses(facts(c, reached={Stage.INITIATION, Stage.INVESTIGATION}),
                    "ART08-APPLICATION-RECEIPT") == [FindingStatus.OVERDUE]
    at_start = replace(c, stage=Stage.INITIATION)
    assert statuses(facts(at_start), "ART08-APPLICATION-RECEIPT") == [FindingStatus.OPEN]


def test_art08_a_receipt_saying_supplement_needs_the_one_time_notice() -> None:
    c = make_case(stage=Stage.INITIATION, origin=Origin.APPLICATION, action_type=ActionType.LICENSING)
    receipt = version(c, "application_receipt", Stage.INITIATION, {"decision": "需补正"})
    sigs = [sign(receipt, Capacity.OFFICER, "甲"), sign(receipt, Capacity.PARTY, "申请人")]
    out = found(facts(c, versions=[receipt], signatures=sigs), "ART08-APPLICATION-RECEIPT")
    assert len(out) == 1 and "补正" in out[0].message_zh and out[0].subject.type == "record"
    notice = version(c, "supplement_notice", Stage.INITIATION)
    notice_sigs = [sign(notice, Capacity.OFFICER, "甲"), sign(notice, Capacity.PARTY, "申请人")]
    assert found(facts(c, versions=[receipt, notice], signatures=sigs + notice_sigs),
                 "ART08-APPLICATION-RECEIPT") == []


# ---- Art. 9 ---------------------------------------------------------------------------------------

def test_art09_past_initiation_without_the_form_breaks_it_but_not_while_filling_it_in() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    assert statuses(facts(c, reached={Stage.INITIATION, Stage.INVESTIGATION}),
                    "ART09-INITIATION-FORM") == [FindingStatus.OVERDUE]
    assert statuses(facts(replace(c, stage=Stage.INITIATION)), "ART09-INITIATION-FORM") == []
    application = replace(c, origin=Origin.APPLICATION)  # not ex officio
    assert "ART09-INITIATION-FORM" not in [x.rule.id for x in found(facts(application), "ART09-INITIATION-FORM")]


def test_art09_an_unsigned_form_is_incomplete_a_signed_one_satisfies_it() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    form = version(c, "initiation_form", Stage.INITIATION)
    reached = {Stage.INITIATION, Stage.INVESTIGATION}
    out = found(facts(c, versions=[form], signatures=[sign(form, Capacity.OFFICER, "甲")], reached=reached),
                "ART09-INITIATION-FORM")
    assert len(out) == 1 and "审批人" in out[0].message_zh
    sigs = [sign(form, Capacity.OFFICER, "甲"), sign(form, Capacity.APPROVER, "科长"),
            sign(form, Capacity.APPROVER, "局长")]
    assert found(facts(c, versions=[form], signatures=sigs, reached=reached), "ART09-INITIATION-FORM") == []


# ---- Art. 10 --------------------------------------------------------------------------------------

def complaint(real_name: bool = True) -> Case:
    return make_case(stage=Stage.ARCHIVE, origin=Origin.COMPLAINT, complainant_real_name=real_name,
                     complainant_name="王某", closed_kind=ClosedKind.NOT_INITIATED, closed_reason="不属实",
                     ended_at=NOW)


@pytest.mark.parametrize(("days", "status"), [(1, FindingStatus.OPEN), (4.9, FindingStatus.DUE_SOON),
                                              (6, FindingStatus.OVERDUE)])
def test_art10_the_complainant_is_told_within_the_days_configured(days: float, status: FindingStatus) -> None:
    out = found(facts(complaint()), "ART10-COMPLAINANT-NOTIFIED", NOW + timedelta(days=days))
    assert [x.status for x in out] == [status] and out[0].due_at == NOW + timedelta(days=5)
    longer = rules.check_cases(facts(complaint()), NOW + timedelta(days=6), rule="ART10-COMPLAINANT-NOTIFIED",
                               settings=rules.CaseRuleSettings(complainant_notice=timedelta(days=10)))
    assert [x.status for x in longer] == [FindingStatus.OPEN]


def test_art10_a_recorded_notification_or_an_anonymous_complaint_satisfies_it() -> None:
    c = complaint()
    told = version(c, "complainant_notification", Stage.INITIATION)
    assert found(facts(c, versions=[told]), "ART10-COMPLAINANT-NOTIFIED", NOW + timedelta(days=9)) == []
    assert found(facts(complaint(real_name=False)), "ART10-COMPLAINANT-NOTIFIED", NOW + timedelta(days=9)) == []


# ---- Art. 11, 12 ----------------------------------------------------------------------------------

def test_art11_certificates_not_shown_break_it_shown_ones_satisfy_it() -> None:
    c = make_case()
    bad = version(c, "inquiry_record", Stage.INVESTIGATION, officers=officers_present(shown=False),
                  rights_method=RightsMethod.ORAL)
    out = found(facts(c, versions=[bad]), "ART11-OFFICERS-RECORDED")
    assert [x.status for x in out] == [FindingStatus.OPEN] and "出示" in out[0].message_zh
    one = replace(bad, officers=officers_present(n=1))
    assert "1名" in found(facts(c, versions=[one]), "ART11-OFFICERS-RECORDED")[0].message_zh
    good = replace(bad, officers=officers_present())
    assert found(facts(c, versions=[good]), "ART11-OFFICERS-RECORDED") == []


def test_art12_the_rights_method_and_the_rights_notice_itself() -> None:
    c = make_case(stage=Stage.REVIEW)
    reached = {Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW}
    inquiry = version(c, "inquiry_record", Stage.INVESTIGATION, officers=officers_present())
    out = found(facts(c, versions=[inquiry], reached=reached), "ART12-RIGHTS-NOTICE")
    assert sorted(x.subject.type for x in out) == ["case", "record"]  # no notice, and no method on the inquiry
    notice = version(c, "rights_notice", Stage.REVIEW, rights_method=RightsMethod.WRITTEN)
    told = replace(inquiry, rights_method=RightsMethod.ORAL)
    assert found(facts(c, versions=[told, notice], reached=reached), "ART12-RIGHTS-NOTICE") == []


# ---- Art. 13, 14, 15 ------------------------------------------------------------------------------

def test_art13_missing_party_signature_breaks_it_a_witnessed_refusal_satisfies_it() -> None:
    c = make_case(stage=Stage.REVIEW)
    rec = version(c, "inquiry_record", Stage.INVESTIGATION, officers=officers_present(),
                  rights_method=RightsMethod.ORAL)
    officers = [sign(rec, Capacity.OFFICER, "警0"), sign(rec, Capacity.OFFICER, "警1")]
    out = found(facts(c, versions=[rec], signatures=officers), "ART13-SIGNATURES")
    assert [x.status for x in out] == [FindingStatus.OVERDUE] and "当事人" in out[0].message_zh
    refused = sign(rec, Capacity.PARTY, "李某", refused=True, witness="社区干部")
    assert found(facts(c, versions=[rec], signatures=[*officers, refused]), "ART13-SIGNATURES") == []


def test_art14_inspection_without_av_breaks_it_a_link_or_a_reason_satisfies_it() -> None:
    c = make_case()
    rec = version(c, "site_inspection_record", Stage.INVESTIGATION, officers=officers_present(),
                  rights_method=RightsMethod.ORAL)
    assert statuses(facts(c, versions=[rec]), "ART14-AV-REQUIRED") == [FindingStatus.OPEN]
    assert found(facts(c, versions=[replace(rec, av_media_ids=(uuid.uuid4(),))]), "ART14-AV-REQUIRED") == []
    assert found(facts(c, versions=[replace(rec, av_waiver="涉及个人隐私")]), "ART14-AV-REQUIRED") == []


def test_art15_preservation_needs_av_and_a_waiver_does_not_do() -> None:
    c = make_case()
    values = {"reason": "可能灭失", "items": "食品10箱", "form": "先行登记保存", "place": "仓库", "started_at": "x"}
    rec = version(c, "evidence_register_list", Stage.INVESTIGATION, values, officers=officers_present(),
                  av_waiver="不便拍摄")
    out = found(facts(c, versions=[rec]), "ART15-PRESERVATION-AV")
    assert len(out) == 1 and "音像" in out[0].message_zh and "不能代替" in out[0].message_zh
    assert found(facts(c, versions=[rec]), "ART14-AV-REQUIRED") == []  # ART15 reports it, not ART14
    filmed = replace(rec, av_media_ids=(uuid.uuid4(),))
    assert found(facts(c, versions=[filmed]), "ART15-PRESERVATION-AV") == []


def test_a_record_is_judged_by_the_catalogue_it_was_made_under() -> None:
    c = make_case()
    kind = CAT.kind("site_inspection_record")
    assert kind is not None
    relaxed = replace(CAT, version=2, kinds=tuple(replace(k, av=type(k.av)("optional")) if k.id == kind.id else k
                                                  for k in CAT.kinds))
    rec = version(c, "site_inspection_record", Stage.INVESTIGATION, officers=officers_present(),
                  rights_method=RightsMethod.ORAL, catalogue_version=2)
    assert found(facts(c, versions=[rec], catalogues={1: CAT, 2: relaxed}), "ART14-AV-REQUIRED") == []
    assert len(found(facts(c, versions=[replace(rec, catalogue_version=1)], catalogues={1: CAT, 2: relaxed}),
                     "ART14-AV-REQUIRED")) == 1
