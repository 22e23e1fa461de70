"""Device use cases against the fakes: register, hand out, status, log (Art. 7, 40)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.devices import DeviceStatus, DeviceType, LogKind, holder_at
from lawtrail.domain.events import Action
from lawtrail.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import devices
from tests.unit.factories import T0, World, make_device, only_new_event, refused

LATER = T0 + timedelta(hours=2)


def create_args(world: World, **over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"number": " ZFJLY-0100 ", "type": "body_camera", "unit_id": world.unit_a.id,
                            "make": "海康威视", "model": "DSJ-K1", "serial": "SN-2026-0001"}
    args.update(over)
    return args


# ---- register -----------------------------------------------------------------------------


def test_archivist_registers_a_device_with_a_log_entry_and_one_event(world: World) -> None:
    device = devices.create_device(world.uow(), world.ctx(world.archivist), **create_args(world))
    assert world.state.devices[device.id] == device
    assert (device.number, device.status, device.holder_id, device.bureau_id) == (
        "ZFJLY-0100", DeviceStatus.IN_SERVICE, None, world.bureau.id)
    [entry] = [e for e in world.state.device_log if e.device_id == device.id]
    assert (entry.kind, entry.status, entry.actor_id, entry.at) == (
        LogKind.STATUS, DeviceStatus.IN_SERVICE, world.archivist.id, T0)
    event = only_new_event(world, 0)
    assert (event.action, event.subject_type, event.subject_id, event.subject_name) == (
        Action.DEVICE_CREATE, "device", str(device.id), "ZFJLY-0100")
    assert event.before is None and event.after is not None
    assert (event.after["type"], event.after["status"], event.after["holder_id"]) == (
        "body_camera", "in_service", None)


@pytest.mark.parametrize("who", ["officer_a", "unit_head_a", "leader", "supervisor", "legal_reviewer"])
def test_only_archivists_and_admins_register_devices(world: World, who: str) -> None:
    refused(world, PermissionDenied, lambda: devices.create_device(
        world.uow(), world.ctx(getattr(world, who)), **create_args(world)))


def test_duplicate_device_number_is_a_conflict_and_writes_nothing(world: World) -> None:
    error = refused(world, Conflict, lambda: devices.create_device(
        world.uow(), world.ctx(world.admin), **create_args(world, number="ZFJLY-A001")))
    assert error.code == "device.number_taken"


@pytest.mark.parametrize(("field", "over"), [
    ("number", {"number": "记录仪"}), ("number", {"number": "A"}), ("type", {"type": "drone"}),
    ("make", {"make": "牌" * 51}), ("serial", {"serial": "SN\x00"}),
])
def test_invalid_device_is_refused(world: World, field: str, over: dict[str, Any]) -> None:
    error = refused(world, ValidationFailed, lambda: devices.create_device(
        world.uow(), world.ctx(world.admin), **create_args(world, **over)))
    assert [p.field for p in error.problems] == [field]


@pytest.mark.parametrize("unit", ["closed", "missing", "other_bureau"])
def test_device_of_an_inactive_unknown_or_foreign_unit_is_refused(world: World, unit: str) -> None:
    unit_id = {"closed": world.unit_closed.id, "missing": uuid.uuid4(), "other_bureau": world.other_unit.id}[unit]
    exc = PermissionDenied if unit == "other_bureau" else NotFound
    refused(world, exc, lambda: devices.create_device(
        world.uow(), world.ctx(world.admin), **create_args(world, unit_id=unit_id)))


# ---- hand out and return -----------------------------------------------------------------


def test_handing_out_logs_the_holder_and_records_before_and_after(world: World) -> None:
    device = world.devices["a"]
    after = devices.assign_device(world.uow(), world.ctx(world.archivist, now=LATER), device.id,
                                  holder_id=world.officer_a.id)
    assert world.state.devices[device.id] == after
    assert (after.holder_id, after.updated_at) == (world.officer_a.id, LATER)
    log = devices.get_device(world.uow(), world.ctx(world.archivist), device.id)[1]
    assert [(e.kind, e.holder_id, e.note) for e in log] == [(LogKind.HOLDER, world.officer_a.id, "领用")]
    event = only_new_event(world, 0)
    assert event.action == Action.DEVICE_ASSIGN
    assert event.before is not None and event.after is not None
    assert (event.before["holder_id"], event.after["holder_id"]) == (None, str(world.officer_a.id))
    assert holder_at(log, LATER) == world.officer_a.id
    assert holder_at(log, LATER - timedelta(seconds=1)) is None


def test_returning_clears_the_holder(world: World) -> None:
    device = world.devices["a"]
    devices.assign_device(world.uow(), world.ctx(world.archivist), device.id, holder_id=world.officer_a.id)
    devices.assign_device(world.uow(), world.ctx(world.archivist, now=LATER), device.id, holder_id=None,
                          note="交回库房")
    _, log = devices.get_device(world.uow(), world.ctx(world.archivist), device.id)
    assert [e.note for e in log] == ["领用", "交回库房"]
    assert world.state.devices[device.id].holder_id is None
    assert holder_at(log, LATER) is None
    assert [e.action for e in world.events()] == [Action.DEVICE_ASSIGN, Action.DEVICE_ASSIGN]


@pytest.mark.parametrize("holder", ["former_officer", "other_admin", "missing"])
def test_holder_must_be_an_active_person_of_the_bureau(world: World, holder: str) -> None:
    holder_id = uuid.uuid4() if holder == "missing" else getattr(world, holder).id
    refused(world, NotFound, lambda: devices.assign_device(
        world.uow(), world.ctx(world.archivist), world.devices["a"].id, holder_id=holder_id))


def test_a_device_out_of_service_is_not_handed_out(world: World) -> None:
    broken = make_device(world.unit_a, status=DeviceStatus.UNDER_REPAIR)
    world.put(broken)
    error = refused(world, ValidationFailed, lambda: devices.assign_device(
        world.uow(), world.ctx(world.archivist), broken.id, holder_id=world.officer_a.id))
    assert error.code == "device.not_in_service"


def test_officer_cannot_hand_out_devices(world: World) -> None:
    refused(world, PermissionDenied, lambda: devices.assign_device(
        world.uow(), world.ctx(world.officer_a), world.devices["a"].id, holder_id=world.officer_a.id))


def test_device_of_another_bureau_is_not_found(world: World) -> None:
    refused(world, NotFound, lambda: devices.assign_device(
        world.uow(), world.ctx(world.archivist), world.devices["other"].id, holder_id=None))


# ---- status -------------------------------------------------------------------------------


def test_retiring_needs_a_reason_and_is_logged(world: World) -> None:
    device = world.devices["b"]
    after = devices.set_device_status(world.uow(), world.ctx(world.archivist, now=LATER), device.id,
                                      status="retired", note="报废：镜头损坏")
    assert (after.status, after.active) == (DeviceStatus.RETIRED, False)
    [entry] = [e for e in world.state.device_log if e.device_id == device.id]
    assert (entry.kind, entry.status, entry.note) == (LogKind.STATUS, DeviceStatus.RETIRED, "报废：镜头损坏")
    event = only_new_event(world, 0)
    assert event.action == Action.DEVICE_STATUS
    assert event.before is not None and event.after is not None
    assert (event.before["status"], event.after["status"]) == ("in_service", "retired")


@pytest.mark.parametrize(("status", "note"), [("retired", ""), ("scrapped", "原因"), ("in_service", "原因")])
def test_invalid_or_unchanged_status_writes_nothing(world: World, status: str, note: str) -> None:
    refused(world, ValidationFailed, lambda: devices.set_device_status(
        world.uow(), world.ctx(world.archivist), world.devices["a"].id, status=status, note=note))


def test_leaving_service_clears_the_holder_in_the_record(world: World) -> None:
    device = world.devices["a"]
    devices.assign_device(world.uow(), world.ctx(world.archivist), device.id, holder_id=world.officer_a.id)
    after = devices.set_device_status(world.uow(), world.ctx(world.archivist, now=LATER), device.id,
                                      status="lost", note="外勤遗失")
    assert after.holder_id is None


def test_leaving_service_also_ends_the_holding_in_the_log(world: World) -> None:
    # holder_at() over the log - what the evidence vault uses to attribute footage - must agree
    # with the device record once a status change takes the device back from its holder.
    device = world.devices["a"]
    devices.assign_device(world.uow(), world.ctx(world.archivist), device.id, holder_id=world.officer_a.id)
    devices.set_device_status(world.uow(), world.ctx(world.archivist, now=LATER), device.id,
                              status="lost", note="外勤遗失")
    _, log = devices.get_device(world.uow(), world.ctx(world.archivist), device.id)
    assert holder_at(log, LATER + timedelta(days=1)) == world.state.devices[device.id].holder_id


# ---- the log --------------------------------------------------------------------------------


def test_officer_logs_maintenance_on_a_device_of_the_own_unit(world: World) -> None:
    entry = devices.add_log_entry(world.uow(), world.ctx(world.officer_a), world.devices["a"].id,
                                  kind="maintenance", note="清洁镜头，电池满电")
    assert entry in world.state.device_log
    assert (entry.kind, entry.actor_id, entry.actor_name) == (LogKind.MAINTENANCE, world.officer_a.id,
                                                              "officer.a同志")
    event = only_new_event(world, 0)
    assert (event.action, event.subject_id) == (Action.DEVICE_LOG, str(world.devices["a"].id))
    assert event.after is not None and event.after["note"] == "清洁镜头，电池满电"
    assert event.after["kind"] == "maintenance"


def test_officer_cannot_log_on_another_units_device(world: World) -> None:
    refused(world, PermissionDenied, lambda: devices.add_log_entry(
        world.uow(), world.ctx(world.officer_a), world.devices["b"].id, kind="note", note="备注"))


@pytest.mark.parametrize(("kind", "note"), [("holder", "偷偷换人"), ("status", "偷偷改状态"), ("party", "x"),
                                            ("note", ""), ("note", "长" * 2001)])
def test_manual_log_entry_must_be_a_manual_kind_with_a_note(world: World, kind: str, note: str) -> None:
    refused(world, ValidationFailed, lambda: devices.add_log_entry(
        world.uow(), world.ctx(world.admin), world.devices["a"].id, kind=kind, note=note))


# ---- edit and read ----------------------------------------------------------------------------


def test_editing_records_before_and_after(world: World) -> None:
    after = devices.update_device(world.uow(), world.ctx(world.admin, now=LATER), world.devices["a"].id,
                                  type="camera", model="EOS R6", unit_id=world.unit_b.id)
    assert (after.type, after.model, after.unit_id, after.updated_at) == (
        DeviceType.CAMERA, "EOS R6", world.unit_b.id, LATER)
    event = only_new_event(world, 0)
    assert event.action == Action.DEVICE_UPDATE
    assert event.before is not None and event.after is not None
    assert (event.before["model"], event.after["model"]) == ("DSJ-X1", "EOS R6")


def test_edit_without_change_writes_nothing(world: World) -> None:
    before = world.snapshot()
    devices.update_device(world.uow(), world.ctx(world.admin), world.devices["a"].id, model="DSJ-X1",
                          unit_id=world.unit_a.id)
    assert world.state == before


def test_device_cannot_move_to_an_inactive_unit(world: World) -> None:
    refused(world, NotFound, lambda: devices.update_device(
        world.uow(), world.ctx(world.admin), world.devices["a"].id, unit_id=world.unit_closed.id))


def test_lists_are_scoped_by_unit(world: World) -> None:
    assert [d.number for d in devices.list_devices(world.uow(), world.ctx(world.officer_a))] == ["ZFJLY-A001"]
    assert [d.number for d in devices.list_devices(world.uow(), world.ctx(world.leader))] == [
        "ZFJLY-A001", "ZFJLY-B001"]
    with pytest.raises(PermissionDenied):
        devices.list_devices(world.uow(), world.ctx(world.legal_reviewer))


def test_find_by_number_respects_scope(world: World) -> None:
    assert devices.find_device(world.uow(), world.ctx(world.officer_a), " ZFJLY-A001 ") == world.devices["a"]
    with pytest.raises(PermissionDenied):
        devices.find_device(world.uow(), world.ctx(world.officer_a), "ZFJLY-B001")
    with pytest.raises(NotFound):
        devices.find_device(world.uow(), world.ctx(world.officer_a), "SZ-0001")
