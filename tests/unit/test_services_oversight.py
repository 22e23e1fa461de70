"""The accountability report and the dashboard against the fakes: which items, who is named,
the recorded read, the permission scope, the snapshots."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Action
from lawtrail.domain.oversight import Art48, Period
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.supervision import ACTIVATION, COMPLIANCE, INGEST_24H
from lawtrail.errors import PermissionDenied, ValidationFailed
from lawtrail.services import devices as dev_svc
from lawtrail.services import handins, media
from lawtrail.services import oversight as svc
from tests.unit.factories import T0, World, make_event, only_new_event, refused
from tests.unit.test_services_activities import add_clip, create

H = timedelta(hours=1)
RULES = RuleSettings()
LATER = T0 + 72 * H  # every deadline of the fixtures has passed


def report(world: World, who: Any, now: Any = LATER, **over: Any) -> svc.Report:
    return svc.accountability_report(world.uow(), world.ctx(who, now), settings=RULES, **over)


def test_an_overdue_handin_is_a_not_stored_item_naming_the_officer_and_the_read_is_recorded(world: World) -> None:
    handins.record_handin(world.uow(), world.ctx(world.archivist), device_number="ZFJLY-A001",
                          officer_id=world.officer_a.id)
    before = len(world.events())
    early = report(world, world.supervisor, now=T0 + H)  # not yet due: no item
    assert early.items == []
    assert only_new_event(world, before).action == Action.OVERSIGHT_REPORT_VIEW.value
    before = len(world.events())
    got = report(world, world.supervisor, fmt="xlsx")
    event = only_new_event(world, before)
    assert event.action == Action.OVERSIGHT_REPORT_EXPORT.value and event.after is not None
    assert event.after["items"] == 1 and event.after["format"] == "xlsx"
    [item] = got.items
    assert (item.category, item.source, item.people, item.unit_id) == (
        Art48.NOT_STORED, "ART41-STORED-24H", (str(world.officer_a.id),), str(world.unit_a.id))
    assert [(r.name, r.total) for r in got.by_officer] == [("officer.a同志", 1)]
    assert got.totals["not_stored"] == 1


def test_the_period_filters_by_due_time(world: World) -> None:
    handins.record_handin(world.uow(), world.ctx(world.archivist), device_number="ZFJLY-A001")
    due = T0 + 24 * H
    assert len(report(world, world.supervisor, period=Period(due, due + H)).items) == 1
    assert report(world, world.supervisor, period=Period(due + H, None)).items == []
    assert report(world, world.supervisor, period=Period(None, due)).items == []


def test_refused_alterations_name_the_actor(world: World) -> None:
    add_clip(world, 0, 10)
    [m] = world.state.media.values()
    with pytest.raises(Exception, match="剪接"):
        media.refuse_alteration(world.uow(), world.ctx(world.officer_b), m.id, attempt="delete")
    got = report(world, world.leader)
    [item] = [i for i in got.items if i.category is Art48.ORIGINAL_ALTERED]
    assert (item.people, item.unit_id, item.source) == (
        (str(world.officer_b.id),), str(world.unit_b.id), "media:original:alter-refused")
    assert "删除" in item.message_zh


def test_vault_problems_are_items_once_with_nobody_named(world: World) -> None:
    add_clip(world, 0, 10)
    [m] = world.state.media.values()
    problems = {"problems": [{"sha256": m.sha256, "kind": "changed"}, {"sha256": "f" * 64, "kind": "missing"}]}
    with world.uow() as uow:
        for at in (T0 + H, T0 + 2 * H):  # the same problem found by two runs: one item
            uow.events.append(make_event(action="media:vault:verify", subject_type="vault", subject_id="originals",
                                         occurred_at=at, after=problems, actor_id=None))
        uow.commit()
    items = [i for i in report(world, world.supervisor).items if i.source.startswith("media:vault")]
    assert [(i.source, i.at, i.people, i.unit_id) for i in items] == [
        ("media:vault:verify:changed", T0 + H, (), str(world.unit_a.id))]


def test_a_device_fault_that_lost_the_footage_is_device_neglect_of_the_holder(world: World) -> None:
    device = world.devices["a"]
    dev_svc.assign_device(world.uow(), world.ctx(world.archivist), device.id, holder_id=world.officer_a.id, note="领用")
    act = create(world)  # no clip at all: ART32 (and ART35) once the footage is due
    dev_svc.add_log_entry(world.uow(), world.ctx(world.archivist, act.arrived_at + 5 * timedelta(minutes=1)),
                          device.id, kind="fault", note="进水")
    items = report(world, world.supervisor).items
    kinds = {(i.category, i.source) for i in items if i.subject_id == str(act.id)}
    assert (Art48.DEVICE_NEGLECT, "org:device:fault") in kinds
    assert (Art48.NOT_RECORDED, "ART32-AV-REQUIRED") not in kinds
    neglect = [i for i in items if i.category is Art48.DEVICE_NEGLECT]
    assert {i.people for i in neglect} == {(str(world.officer_a.id),)}
    assert "进水" in neglect[0].message_zh


def test_an_activity_without_av_and_without_device_trouble_is_not_recorded(world: World) -> None:
    act = create(world)
    items = [i for i in report(world, world.supervisor).items if i.subject_id == str(act.id)]
    assert {i.source for i in items} == {"ART32-AV-REQUIRED", "ART35-CONTINUITY"}
    assert items[0].category is Art48.NOT_RECORDED and items[0].people == (str(world.officer_a.id),)


def test_who_may_read_the_report(world: World) -> None:
    handins.record_handin(world.uow(), world.ctx(world.archivist), device_number="ZFJLY-A001")
    handins.record_handin(world.uow(), world.ctx(world.archivist), device_number="ZFJLY-B001")
    for who in (world.officer_a, world.archivist, world.admin, world.legal_reviewer):
        refused(world, PermissionDenied, lambda w=who: report(world, w))
    mine = report(world, world.unit_head_a)
    assert {i.unit_id for i in mine.items} == {str(world.unit_a.id)}
    refused(world, PermissionDenied, lambda: report(world, world.unit_head_a, unit_id=world.unit_b.id))
    assert {i.unit_id for i in report(world, world.leader, unit_id=world.unit_b.id).items} == {str(world.unit_b.id)}
    assert len(report(world, world.supervisor).items) == 2
    assert report(world, world.supervisor, officer_id=uuid.uuid4()).items == []


def test_dashboard_rates_live_and_edges(world: World) -> None:
    empty = svc.dashboard(world.uow(), world.ctx(world.supervisor, LATER), settings=RULES)
    unit_a = str(world.unit_a.id)
    assert {m.metric: m.rate for m in empty.current if m.unit_id == unit_a and m.metric in
            (COMPLIANCE, INGEST_24H, ACTIVATION)} == {COMPLIANCE: None, INGEST_24H: None, ACTIVATION: None}
    create(world)
    add_clip(world, 0, 5)
    create(world, title="第二次检查")  # the same device, same time: both have AV
    board = svc.dashboard(world.uow(), world.ctx(world.supervisor, LATER), settings=RULES)
    activation = [m for m in board.current if m.unit_id == unit_a and m.metric == ACTIVATION]
    assert [(m.numerator, m.denominator) for m in activation] == [(2, 2)]
    with pytest.raises(ValidationFailed):
        svc.dashboard(world.uow(), world.ctx(world.supervisor), settings=RULES, days=0)
    refused(world, PermissionDenied, lambda: svc.dashboard(world.uow(), world.ctx(world.officer_a), settings=RULES))


def test_snapshots_replace_the_day_and_are_not_in_the_ledger(world: World) -> None:
    system = world.ctx(system_actor("snapshot"), LATER)
    before = len(world.events())
    written = svc.take_snapshot(world.uow(), system, settings=RULES)
    assert written[world.bureau.id] > 0 and len(world.events()) == before
    rows = list(world.state.snapshots.values())
    again = svc.take_snapshot(world.uow(), world.ctx(system_actor("snapshot"), LATER + H), settings=RULES)
    assert again == written and len(world.state.snapshots) == len(rows)  # the same day, replaced
    assert svc.snapshot_if_due(world.uow(), world.ctx(system_actor("s"), LATER + 90 * timedelta(minutes=1)),
                               settings=RULES) is None
    assert svc.snapshot_if_due(world.uow(), world.ctx(system_actor("s"), LATER + 24 * H), settings=RULES)
    board = svc.dashboard(world.uow(), world.ctx(world.supervisor, LATER + 24 * H), settings=RULES)
    assert {r.day for r in board.history} == {svc.local_date(LATER)}  # today is live, not from a snapshot
    refused(world, PermissionDenied, lambda: svc.take_snapshot(world.uow(), world.ctx(world.unit_head_a),
                                                               settings=RULES))
