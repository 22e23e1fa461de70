"""Bureau and unit use cases against the fakes: one event per change, nothing on refusal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from lawtrail.domain.events import Action
from lawtrail.domain.org import UnitKind
from lawtrail.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import org
from tests.unit.factories import REQUEST_ID, T0, World, only_new_event, refused, system_ctx

LATER = T0 + timedelta(hours=1)


# ---- bureaus ------------------------------------------------------------------------------


def test_system_creates_a_bureau_with_one_event(world: World) -> None:
    bureau = org.create_bureau(world.uow(), system_ctx(), code="FSSCJ", name=" 佛山市市场监督管理局 ")
    assert world.state.bureaus[bureau.id] == bureau
    assert bureau.name == "佛山市市场监督管理局"
    event = only_new_event(world, 0)
    assert (event.action, event.subject_type, event.subject_id) == (Action.BUREAU_CREATE, "bureau", str(bureau.id))
    assert event.actor_id is None and event.actor_name == "init"
    assert event.before is None
    assert event.after == {"id": str(bureau.id), "code": "FSSCJ", "name": "佛山市市场监督管理局",
                           "created_at": "2026-11-26T08:30:00.000000Z"}


def test_only_the_system_creates_bureaus(world: World) -> None:
    refused(world, PermissionDenied,
            lambda: org.create_bureau(world.uow(), world.ctx(world.admin), code="FSSCJ", name="佛山"))


def test_duplicate_bureau_code_is_a_conflict(world: World) -> None:
    error = refused(world, Conflict, lambda: org.create_bureau(world.uow(), system_ctx(), code="GZSCJ", name="重复"))
    assert error.code == "bureau.code_taken"


# ---- creating units ----------------------------------------------------------------------


def test_admin_creates_a_unit_with_exactly_one_event(world: World) -> None:
    unit = org.create_unit(world.uow(), world.ctx(world.admin), bureau_id=world.bureau.id, code="JC3",
                           name="执法稽查三科", kind="affiliated_unit")
    assert world.state.units[unit.id] == unit
    assert (unit.kind, unit.active, unit.created_at, unit.updated_at) == (UnitKind.AFFILIATED_UNIT, True, T0, T0)
    event = only_new_event(world, 0)
    assert event.seq == 0
    assert event.action == "org:unit:create"
    assert (event.actor_id, event.actor_name) == (world.admin.id, "admin同志")
    assert (event.subject_type, event.subject_id, event.subject_name) == ("unit", str(unit.id), "执法稽查三科")
    assert (event.occurred_at, event.request_id) == (T0, REQUEST_ID)
    assert event.before is None
    assert event.after == {
        "id": str(unit.id), "bureau_id": str(world.bureau.id), "code": "JC3", "name": "执法稽查三科",
        "kind": "affiliated_unit", "active": True,
        "created_at": "2026-11-26T08:30:00.000000Z", "updated_at": "2026-11-26T08:30:00.000000Z",
    }
    assert world.db.commits == 1


@pytest.mark.parametrize("who", ["officer_a", "unit_head_a", "legal_reviewer", "leader", "archivist",
                                 "supervisor", "nobody"])
def test_only_an_admin_creates_units(world: World, who: str) -> None:
    user = getattr(world, who)
    refused(world, PermissionDenied, lambda: org.create_unit(
        world.uow(), world.ctx(user), bureau_id=world.bureau.id, code="JC3", name="三科", kind="business_section"))


def test_admin_of_another_bureau_cannot_create_units_here(world: World) -> None:
    refused(world, PermissionDenied, lambda: org.create_unit(
        world.uow(), world.ctx(world.other_admin), bureau_id=world.bureau.id, code="JC3", name="三科",
        kind="business_section"))


@pytest.mark.parametrize(("field", "kwargs"), [
    ("name", {"name": ""}),
    ("name", {"name": "科" * 101}),
    ("name", {"name": "稽查\x00科"}),
    ("code", {"code": "三科"}),
    ("code", {"code": ""}),
    ("kind", {"kind": "department"}),
])
def test_invalid_unit_is_refused_and_nothing_written(world: World, field: str, kwargs: dict[str, str]) -> None:
    args = {"code": "JC3", "name": "执法稽查三科", "kind": "business_section"} | kwargs
    error = refused(world, ValidationFailed, lambda: org.create_unit(
        world.uow(), world.ctx(world.admin), bureau_id=world.bureau.id, **args))
    assert [p.field for p in error.problems] == [field]


def test_every_bad_field_is_reported_at_once(world: World) -> None:
    error = refused(world, ValidationFailed, lambda: org.create_unit(
        world.uow(), world.ctx(world.admin), bureau_id=world.bureau.id, code="", name="", kind="x"))
    assert [p.field for p in error.problems] == ["code", "name", "kind"]


def test_duplicate_unit_code_in_the_same_bureau_is_a_conflict(world: World) -> None:
    error = refused(world, Conflict, lambda: org.create_unit(
        world.uow(), world.ctx(world.admin), bureau_id=world.bureau.id, code="JC1", name="重复",
        kind="business_section"))
    assert error.code == "unit.code_taken"


def test_the_same_unit_code_in_another_bureau_is_fine(world: World) -> None:
    org.create_unit(world.uow(), world.ctx(world.other_admin), bureau_id=world.other_bureau.id, code="JC2",
                    name="深圳稽查二科", kind="business_section")
    assert len(world.events()) == 1


def test_unit_of_an_unknown_bureau_is_not_found(world: World) -> None:
    refused(world, NotFound, lambda: org.create_unit(
        world.uow(), system_ctx(), bureau_id=uuid.uuid4(), code="JC9", name="九科", kind="business_section"))


# ---- updating units -------------------------------------------------------------------------


def test_rename_records_before_and_after(world: World) -> None:
    unit = org.update_unit(world.uow(), world.ctx(world.admin, now=LATER), world.unit_a.id, name="综合执法一科")
    assert world.state.units[unit.id] == unit
    assert (unit.name, unit.updated_at, unit.created_at) == ("综合执法一科", LATER, T0)
    event = only_new_event(world, 0)
    assert event.action == Action.UNIT_UPDATE
    assert event.before is not None and event.after is not None
    assert (event.before["name"], event.after["name"]) == ("执法稽查一科", "综合执法一科")
    assert (event.before["updated_at"], event.after["updated_at"]) == (
        "2026-11-26T08:30:00.000000Z", "2026-11-26T09:30:00.000000Z")
    assert event.subject_name == "综合执法一科"


def test_deactivate_and_reactivate_are_their_own_actions(world: World) -> None:
    org.update_unit(world.uow(), world.ctx(world.admin), world.unit_a.id, active=False)
    org.update_unit(world.uow(), world.ctx(world.admin), world.unit_a.id, active=True)
    assert [e.action for e in world.events()] == [Action.UNIT_DEACTIVATE, Action.UNIT_REACTIVATE]
    deactivate = world.events()[0]
    assert deactivate.before is not None and deactivate.after is not None
    assert (deactivate.before["active"], deactivate.after["active"]) == (True, False)
    assert world.state.units[world.unit_a.id].active is True


def test_a_change_to_the_same_values_writes_nothing(world: World) -> None:
    before = world.snapshot()
    unit = org.update_unit(world.uow(), world.ctx(world.admin, now=LATER), world.unit_a.id,
                           name="执法稽查一科", kind="business_section", active=True)
    assert unit == world.unit_a
    assert world.state == before


def test_officer_cannot_update_a_unit(world: World) -> None:
    refused(world, PermissionDenied, lambda: org.update_unit(
        world.uow(), world.ctx(world.unit_head_a), world.unit_a.id, name="改名"))


def test_admin_of_another_bureau_does_not_see_the_unit(world: World) -> None:
    refused(world, NotFound, lambda: org.update_unit(
        world.uow(), world.ctx(world.other_admin), world.unit_a.id, name="改名"))


def test_invalid_new_name_writes_nothing(world: World) -> None:
    refused(world, ValidationFailed, lambda: org.update_unit(
        world.uow(), world.ctx(world.admin), world.unit_a.id, name="\x07"))


# ---- reading units ------------------------------------------------------------------------


def test_everyone_with_a_role_sees_the_bureaus_units_in_code_order(world: World) -> None:
    units = org.list_units(world.uow(), world.ctx(world.officer_b))
    assert [u.code for u in units] == ["JC1", "JC2", "OLD"]
    assert org.get_unit(world.uow(), world.ctx(world.officer_b), world.unit_a.id) == world.unit_a


def test_a_person_without_roles_sees_no_units(world: World) -> None:
    with pytest.raises(PermissionDenied):
        org.list_units(world.uow(), world.ctx(world.nobody))


def test_a_unit_of_another_bureau_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        org.get_unit(world.uow(), world.ctx(world.admin), world.other_unit.id)


def test_listing_another_bureaus_units_is_refused(world: World) -> None:
    # BUG: list_units(bureau_id=...) checks unit:view against the actor's own bureau, then
    # lists the bureau it was given, so anyone can read every other bureau's units.
    try:
        units = org.list_units(world.uow(), world.ctx(world.officer_a), bureau_id=world.other_bureau.id)
    except (PermissionDenied, NotFound):
        return
    assert units == []


def test_reads_write_nothing(world: World) -> None:
    before = world.snapshot()
    org.list_units(world.uow(), world.ctx(world.admin))
    org.get_unit(world.uow(), world.ctx(world.admin), world.unit_b.id)
    assert world.state == before
