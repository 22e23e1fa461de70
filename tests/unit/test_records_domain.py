"""Pure record rules: typed field values, completeness (counts, count_from, refusals need a
witness, AV or its waiver), changed fields, and the per-stage gaps for the compliance rules."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lawtrail.adapters.catalogue_file import check_packaged
from lawtrail.domain.cases import ActionType, Case, ClosedKind, Origin, Procedure, Stage
from lawtrail.domain.catalogue import Capacity
from lawtrail.domain.org import Problems
from lawtrail.domain.records import (
    VERSIONED_FIELDS,
    GapKind,
    RecordVersion,
    Signature,
    SignMethod,
    VersionFact,
    changed_fields,
    check_values,
    completeness,
    missing_records,
    short_of,
)

CAT = check_packaged()
OPENED = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
NOW = OPENED + timedelta(hours=3)


def case(**over: object) -> Case:
    values: dict[str, object] = dict(
        id=uuid.uuid4(), bureau_id=uuid.uuid4(), unit_id=uuid.uuid4(), number="江市监ZFJCK〔2026〕1号", year=2026,
        serial=1, action_type=ActionType.PENALTY, procedure=Procedure.GENERAL, origin=Origin.INSPECTION,
        origin_detail="", complainant_real_name=None, complainant_name="", complainant_contact="", name="案",
        cause="因", stage=Stage.INVESTIGATION, opened_at=OPENED, opened_by="x", updated_at=OPENED)
    values.update(over)
    return Case(**values)  # type: ignore[arg-type]


def version(c: Case, kind_id: str, stage: Stage, values: dict[str, object] | None = None, **over: object
            ) -> RecordVersion:
    kind = CAT.kind(kind_id)
    assert kind is not None
    data: dict[str, object] = dict(
        id=uuid.uuid4(), record_id=uuid.uuid4(), version=1, case_id=c.id, stage=stage, kind_id=kind_id,
        kind_name=kind.name, catalogue_version=1, values=values or {}, officers=(), rights_method=None,
        av_media_ids=(), av_waiver="", reason="", created_at=NOW, actor_id=None, actor_name="x")
    data.update(over)
    return RecordVersion(**data)  # type: ignore[arg-type]


def sign(v: RecordVersion, capacity: Capacity, name: str, *, refused: bool = False, witness: str = "") -> Signature:
    return Signature(id=uuid.uuid4(), record_id=v.record_id, record_version=v.version, capacity=capacity,
                     signer_name=name, signer_user_id=None, refused=refused,
                     method=None if refused else SignMethod.ELECTRONIC, signed_at=NOW, scan_id=None,
                     refusal_reason="不签" if refused else "", witness_name=witness, witness_org="", recorded_at=NOW,
                     actor_id=None, actor_name="x")


@pytest.mark.parametrize(("field", "raw", "expected"), [
    ("started_at", "2026-11-26T17:30", "2026-11-26T17:30+08:00"),
    ("started_at", "2026-11-26T09:30:00Z", "2026-11-26T17:30+08:00"),
    ("recusal", "yes", True),
    ("recusal", False, False),
    ("person", "  张三 ", "张三"),
])
def test_values_are_typed(field: str, raw: object, expected: object) -> None:
    kind = CAT.kind("inquiry_record")
    assert kind is not None
    problems = Problems()
    out = check_values(kind, {field: raw}, opened_at=OPENED, now=NOW, problems=problems)
    assert out[field] == expected
    assert all(not p.field.endswith(field) for p in problems.items)


@pytest.mark.parametrize(("kind_id", "values", "bad"), [
    ("sampling_notice", {"sample_count": "0"}, "values.sample_count"),
    ("sampling_notice", {"sample_count": "nan"}, "values.sample_count"),
    ("reminder", {"deadline": "2026-13-01"}, "values.deadline"),
    ("correction_check", {"checked_at": "2027-01-01T09:00"}, "values.checked_at"),  # the check is not ahead
    ("initiation_form", {"source_materials": ["传闻"]}, "values.source_materials"),
    ("collective_discussion", {"participants": "甲\n甲"}, "values.participants"),
    ("inquiry_record", {"content": "a\x00b"}, "values.content"),
])
def test_bad_values_are_named(kind_id: str, values: dict[str, object], bad: str) -> None:
    kind = CAT.kind(kind_id)
    assert kind is not None
    problems = Problems()
    check_values(kind, values, opened_at=OPENED, now=NOW, problems=problems)
    assert bad in [p.field for p in problems.items]


def test_a_deadline_may_lie_ahead() -> None:
    kind = CAT.kind("reminder")
    assert kind is not None
    problems = Problems()
    out = check_values(kind, {"deadline": "2027-01-15"}, opened_at=OPENED, now=NOW, problems=problems)
    assert out["deadline"] == "2027-01-15" and not [p for p in problems.items if p.field == "values.deadline"]


def test_everyone_listed_signs_a_collective_discussion_and_refusals_need_a_witness() -> None:
    c = case(stage=Stage.REVIEW)
    kind = CAT.kind("collective_discussion")
    assert kind is not None
    v = version(c, "collective_discussion", Stage.REVIEW, {"participants": ["甲", "乙", "丙"]})
    sigs = [sign(v, Capacity.PARTICIPANT, "甲"), sign(v, Capacity.PARTICIPANT, "乙")]
    assert completeness(kind, v, sigs).slots[0].needed == 3 and not completeness(kind, v, sigs).complete
    no_witness = [*sigs, sign(v, Capacity.PARTICIPANT, "丙", refused=True)]
    assert not completeness(kind, v, no_witness).complete
    witnessed = [*sigs, sign(v, Capacity.PARTICIPANT, "丙", refused=True, witness="丁")]
    assert completeness(kind, v, witnessed).complete
    other_version = [sign(replace(v, version=2), Capacity.PARTICIPANT, n) for n in "甲乙丙"]
    assert not completeness(kind, v, other_version).complete


def test_short_of_counts_what_completeness_finds_short() -> None:
    """``short_of`` (the engine's direct count, decision 0044) names exactly the capacities whose
    ``completeness`` slots are not done, for given, refused, witnessed and other-version signatures."""
    c = case(stage=Stage.REVIEW)
    for kind_id, values in (("collective_discussion", {"participants": ["甲", "乙", "丙"]}),
                            ("site_inspection_record", {}), ("inquiry_record", {})):
        kind = CAT.kind(kind_id)
        assert kind is not None and kind.signers
        v = version(c, kind_id, Stage.REVIEW, values)
        every = [sign(v, spec.capacity, "甲") for spec in kind.signers]
        cases = [[], every, every[:1], [sign(v, kind.signers[0].capacity, "乙", refused=True)],
                 [sign(v, kind.signers[0].capacity, "乙", refused=True, witness="丁")],
                 [sign(replace(v, version=2), spec.capacity, "甲") for spec in kind.signers]]
        for sigs in cases:
            mine = [s for s in sigs if s.record_version == v.version]
            expected = tuple(s.capacity.value for s in completeness(kind, v, sigs).slots if not s.done)
            assert short_of(kind, v, mine) == expected


def test_a_version_fact_decodes_its_values_when_read_and_equals_the_decoded_one() -> None:
    v = version(case(), "inquiry_record", Stage.INVESTIGATION, {"place": "店内", "n": [1, 2]})
    plain = [getattr(v, name) for name in VERSIONED_FIELDS]
    stored = VersionFact(*[json.dumps(x) if name == "values" else x for name, x in zip(VERSIONED_FIELDS, plain,
                                                                                       strict=True)])
    decoded = VersionFact(*plain)
    assert isinstance(stored.stored_values, str) and stored.values == {"place": "店内", "n": [1, 2]}
    assert stored.values is stored.values  # decoded once
    assert stored == decoded and decoded.values is v.values
    assert stored != VersionFact(*[{} if name == "values" else x for name, x in zip(VERSIONED_FIELDS, plain,
                                                                                    strict=True)])


def test_av_is_linked_or_waived_for_a_site_inspection() -> None:
    kind = CAT.kind("site_inspection_record")
    assert kind is not None
    v = version(case(), "site_inspection_record", Stage.INVESTIGATION)
    assert completeness(kind, v, []).av_missing
    assert not completeness(kind, replace(v, av_waiver="仓库无照明"), []).av_missing
    assert not completeness(kind, replace(v, av_media_ids=(uuid.uuid4(),)), []).av_missing


def test_changed_fields() -> None:
    v1 = version(case(), "inquiry_record", Stage.INVESTIGATION, {"place": "甲", "person": "张三"})
    v2 = replace(v1, version=2, values={"place": "乙", "person": "张三", "recorder": "李"}, av_waiver="x")
    assert changed_fields(v1, v2) == ["place", "recorder", "av_waiver"]
    assert changed_fields(None, v1) == []


def test_gaps_per_stage() -> None:
    c = case(stage=Stage.EXECUTION)
    reached = {Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW, Stage.SERVICE, Stage.EXECUTION}
    gaps = missing_records(c, reached, {1: CAT}, CAT, [], [])
    missing = {(g.kind_id, g.overdue) for g in gaps if g.gap is GapKind.RECORD}
    assert ("initiation_form", True) in missing and ("fulfilment_record", False) in missing
    assert ("service_receipt_direct", True) in missing  # the group's first member stands for "no service record"
    assert ("application_receipt", True) not in missing  # not an application case
    postal = version(c, "service_postal", Stage.SERVICE)
    gaps = missing_records(c, reached, {1: CAT}, CAT, [postal], [])
    assert not [g for g in gaps if g.gap is GapKind.RECORD and CAT.kind(g.kind_id).group == "service"]  # type: ignore[union-attr]
    assert [(g.gap, g.missing) for g in gaps if g.record_id == postal.record_id] == [
        (GapKind.SIGNATURES, ("server",))]


def test_a_case_closed_at_initiation_owes_nothing_further() -> None:
    c = case(stage=Stage.ARCHIVE, closed_kind=ClosedKind.NOT_INITIATED, closed_reason="不属实")
    assert missing_records(c, {Stage.INITIATION, Stage.ARCHIVE}, {1: CAT}, CAT, [], []) == []
    withdrawn = case(stage=Stage.ARCHIVE, closed_kind=ClosedKind.WITHDRAWN, closed_reason="撤销")
    gaps = missing_records(withdrawn, {Stage.INITIATION, Stage.INVESTIGATION, Stage.ARCHIVE}, {1: CAT}, CAT, [], [])
    assert [g.kind_id for g in gaps] == ["initiation_form"]
