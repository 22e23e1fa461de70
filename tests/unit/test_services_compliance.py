"""Hand-ins, evidence marks and the findings engine against the fakes (Art. 41–44)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.events import Action
from lawtrail.domain.evidence import RetentionClass, RetentionPolicy
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.org import User
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from lawtrail.services import evidence, findings, handins
from tests.unit.factories import T0, World, only_new_event, refused
from tests.unit.test_rules_vault import media as make_media
from tests.unit.test_rules_vault import registration

H = timedelta(hours=1)
POLICY = RetentionPolicy(6)


def put_media(world: World, device: str = "a", *, complete: bool = False, **over: Any) -> MediaRecord:
    d = world.devices[device]
    m = make_media(**{"device_id": d.id, "unit_id": d.unit_id, "bureau_id": d.bureau_id,
                      "handed_in_at": T0 - 2 * H, "stored_at": T0 - H, "captured_at": T0 - 5 * H, **over})
    with world.uow() as uow:
        uow.media.add(m)
        reg = registration(m, at=T0 - H) if complete else Registration(
            media_id=m.id, version=1, unit_name="科", category="", device_number=d.number, officer_id=None,
            officer_name="", used_from=m.captured_at, used_to=None, party="", case_name="", actor_id=None,
            actor_name="x", at=T0 - H)
        uow.media.add_registration(reg)
        uow.commit()
    return m


def rules_of(world: World, who: User, now: Any = None, **kw: Any) -> list[tuple[str, str, FindingStatus]]:
    found = findings.evaluate(world.uow(), world.ctx(who), now or T0, settings=RuleSettings(), **kw)
    return [(f.rule.id, f.subject.type, f.status) for f in found]


# --- hand-ins ---------------------------------------------------------------------------------

def test_record_handin_with_exception_one_event_and_holder_prefill(world: World) -> None:
    h = handins.record_handin(world.uow(), world.ctx(world.archivist), device_number="ZFJLY-A001",
                              handed_in_at=T0 - H, exception="out_of_town", returned_at=T0 - 3 * H, note="外地执法")
    assert (h.deadline, h.unit_id, world.state.handins[h.id]) == (T0 + 21 * H, world.unit_a.id, h)
    event = only_new_event(world, 0)
    assert (event.action, event.subject_id, event.after and event.after["exception"]) == (
        Action.MEDIA_HANDIN_RECORD, str(h.id), "out_of_town")


@pytest.mark.parametrize("kw", [
    {"exception": "holiday", "returned_at": T0},
    {"exception": "on_water"},  # no return time
    {"returned_at": T0 - H},  # return without exception
    {"handed_in_at": T0 + 2 * H},  # in the future
    {"note": "x" * 2001},
])
def test_record_handin_refuses_bad_input(world: World, kw: dict[str, Any]) -> None:
    refused(world, ValidationFailed, lambda: handins.record_handin(
        world.uow(), world.ctx(world.archivist), device_number="ZFJLY-A001", **kw))


def test_record_handin_needs_the_permission_on_the_unit(world: World) -> None:
    refused(world, PermissionDenied, lambda: handins.record_handin(
        world.uow(), world.ctx(world.officer_b), device_number="ZFJLY-A001"))
    refused(world, PermissionDenied, lambda: handins.record_handin(
        world.uow(), world.ctx(world.admin), device_number="ZFJLY-A001"))
    refused(world, NotFound, lambda: handins.record_handin(
        world.uow(), world.ctx(world.archivist), device_number="SZ-0001"))


def test_finding_opens_with_the_handin_and_clears_on_completion(world: World) -> None:
    h = handins.record_handin(world.uow(), world.ctx(world.officer_a), device_number="ZFJLY-A001",
                              handed_in_at=T0 - 2 * H)
    assert ("ART41-STORED-24H", "handin", FindingStatus.OPEN) in rules_of(world, world.archivist)
    assert ("ART41-STORED-24H", "handin", FindingStatus.DUE_SOON) in rules_of(world, world.archivist, T0 + 19 * H)
    m = put_media(world, complete=True)
    other_device = put_media(world, "b", complete=True)
    before = len(world.events())
    done = handins.complete_handin(world.uow(), world.ctx(world.archivist), h.id)
    assert done.media_ids == (m.id,) and other_device.id not in done.media_ids
    assert only_new_event(world, before).action == Action.MEDIA_HANDIN_COMPLETE
    assert rules_of(world, world.archivist, T0 + 30 * H) == []
    refused(world, Conflict, lambda: handins.complete_handin(world.uow(), world.ctx(world.archivist), h.id))


def test_complete_refuses_foreign_or_missing_media(world: World) -> None:
    h = handins.record_handin(world.uow(), world.ctx(world.archivist), device_number="ZFJLY-A001")
    other = put_media(world, "b")
    refused(world, ValidationFailed, lambda: handins.complete_handin(
        world.uow(), world.ctx(world.archivist), h.id, media_ids=[other.id]))
    refused(world, ValidationFailed, lambda: handins.complete_handin(
        world.uow(), world.ctx(world.archivist), h.id, media_ids=[uuid.uuid4()]))
    refused(world, ValidationFailed, lambda: handins.complete_handin(world.uow(), world.ctx(world.archivist), h.id))
    refused(world, NotFound, lambda: handins.complete_handin(world.uow(), world.ctx(world.archivist), uuid.uuid4()))


# --- evidence marks ---------------------------------------------------------------------------

def test_partial_note_raises_art43_until_a_new_version_completes_it(world: World) -> None:
    m = put_media(world, complete=True)
    first = evidence.mark_media(world.uow(), world.ctx(world.officer_a), m.id, policy=POLICY, evidence=True,
                                collector="张三")
    assert (first.version, first.retention, first.retain_until) == (1, RetentionClass.LONG_TERM, None)
    assert only_new_event(world, 0).action == Action.MEDIA_EVIDENCE_MARK
    assert ("ART43-EVIDENCE-NOTE", "media", FindingStatus.OVERDUE) in rules_of(world, world.archivist)
    second = evidence.mark_media(world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=True,
                                 collector="张三", collected_at=T0 - H, place="江门市蓬江区")
    assert second.version == 2 and len(world.state.marks) == 2
    assert rules_of(world, world.archivist) == []


def test_retention_never_goes_down_and_never_below_six_months(world: World) -> None:
    m = put_media(world, complete=True)
    plain = evidence.mark_media(world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False)
    assert plain.retention is RetentionClass.STANDARD and plain.retain_until == POLICY.standard_until(
        m.captured_at or T0)
    refused(world, RuleViolation, lambda: evidence.mark_media(
        world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False,
        retain_until=(m.captured_at or T0) + timedelta(days=90)))
    evidence.mark_media(world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False,
                        situations=["objection"])
    after = evidence.mark_media(world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, evidence=False)
    assert after.retention is RetentionClass.LONG_TERM


@pytest.mark.parametrize("kw", [
    {"evidence": False, "collector": "张三"},
    {"evidence": False, "situations": ["other"]},
    {"evidence": False, "situations": ["riot"]},
    {"evidence": True, "collected_at": T0 + 2 * H},
])
def test_mark_refuses_bad_input(world: World, kw: dict[str, Any]) -> None:
    m = put_media(world)
    refused(world, ValidationFailed, lambda: evidence.mark_media(
        world.uow(), world.ctx(world.archivist), m.id, policy=POLICY, **kw))


def test_mark_needs_the_permission_on_the_unit(world: World) -> None:
    m = put_media(world)
    refused(world, PermissionDenied, lambda: evidence.mark_media(
        world.uow(), world.ctx(world.officer_b), m.id, policy=POLICY, evidence=True))
    refused(world, PermissionDenied, lambda: evidence.mark_media(
        world.uow(), world.ctx(world.supervisor), m.id, policy=POLICY, evidence=True))


# --- the engine ---------------------------------------------------------------------------------

def test_findings_are_scoped_to_what_the_actor_may_see(world: World) -> None:
    put_media(world, "a")
    put_media(world, "b")
    assert [r[0] for r in rules_of(world, world.archivist)] == ["ART42-REGISTRATION-COMPLETE"] * 2
    assert len(rules_of(world, world.officer_a)) == 1
    assert len(rules_of(world, world.officer_a, unit=world.unit_b.id)) == 0
    assert len(rules_of(world, world.supervisor, unit=world.unit_b.id)) == 1
    with pytest.raises(PermissionDenied):
        rules_of(world, world.admin)
    with pytest.raises(ValidationFailed):
        rules_of(world, world.archivist, rule="ART99-NOPE")


def test_filters_by_rule_subject_and_status(world: World) -> None:
    m = put_media(world, "a")
    put_media(world, "b")
    assert rules_of(world, world.archivist, subject=("media", str(m.id))) == [
        ("ART42-REGISTRATION-COMPLETE", "media", FindingStatus.OPEN)]
    assert rules_of(world, world.archivist, status=FindingStatus.OVERDUE) == []
    assert rules_of(world, world.archivist, rule="ART41-STORED-24H") == []
    assert len(rules_of(world, world.archivist, T0 + 30 * H, status=FindingStatus.OVERDUE)) == 2


def test_the_engine_runs_every_evaluator_given(world: World) -> None:
    calls: list[object] = []

    def extra(uow: Any, scope: Any, now: Any, settings: Any) -> list[Any]:
        calls.append(scope)
        return []

    findings.evaluate(world.uow(), world.ctx(world.archivist), T0, evaluators=[*findings.EVALUATORS, extra])
    assert len(calls) == 1
