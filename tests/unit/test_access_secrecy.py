"""Art. 46–47 against the fakes: clearance rules (pure), clearances, levels of cases and originals
(raising, lowering, state-secret content), outside requests, and the register's filters."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from lawtrail.domain.access import Role, system_actor
from lawtrail.domain.events import Action
from lawtrail.domain.grants import CaseRef, ReadSubject, decide_read
from lawtrail.domain.secrecy import DEFAULT_CLEARANCE, Level, parse_clearance, strictest
from lawtrail.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import outside, register, secrecy
from lawtrail.services.users import actor_for
from tests.unit.access_support import seed_case
from tests.unit.factories import T0, World, only_new_event, refused
from tests.unit.test_services_media import put_media

# ---- pure rules ----------------------------------------------------------------------------------


def test_levels_and_clearances() -> None:
    assert strictest([]) is Level.ORDINARY
    assert strictest(["personal_privacy", "trade_secret", "ordinary"]) is Level.TRADE_SECRET
    assert parse_clearance(["trade_secret"]) == {Level.ORDINARY, Level.TRADE_SECRET}  # ordinary always
    with pytest.raises(ValidationFailed):
        parse_clearance(["top_secret"])
    assert {Level.ORDINARY, Level.PERSONAL_PRIVACY} == DEFAULT_CLEARANCE


@pytest.mark.parametrize(("case_level", "clearance", "allowed"), [
    (Level.ORDINARY, DEFAULT_CLEARANCE, True),
    (Level.PERSONAL_PRIVACY, DEFAULT_CLEARANCE, True),
    (Level.TRADE_SECRET, DEFAULT_CLEARANCE, False),
    (Level.TRADE_SECRET, frozenset({Level.ORDINARY, Level.TRADE_SECRET}), True),
    (Level.PERSONAL_PRIVACY, frozenset({Level.ORDINARY, Level.TRADE_SECRET}), False),  # a set, not a ladder
    (Level.STATE_SECRET, frozenset(Level) - {Level.STATE_SECRET}, False),
])
def test_the_clearance_binds_even_a_handler(world: World, case_level: Level, clearance: frozenset[Level],
                                            allowed: bool) -> None:
    officer = actor_for(world.officer_a)
    subject = ReadSubject("media", uuid.uuid4(), "x", world.bureau.id, world.unit_a.id, Level.ORDINARY,
                          (CaseRef(uuid.uuid4(), "1号", True, case_level, frozenset({world.officer_a.id})),))
    if allowed:
        assert decide_read(officer, clearance, subject, [], T0).basis == "handler"
    else:
        with pytest.raises(PermissionDenied) as err:
            decide_read(officer, clearance, subject, [], T0)
        assert err.value.code == "access.above_clearance"
    assert decide_read(system_actor(), frozenset(), subject, [], T0).basis == "system"


# ---- clearances and levels ------------------------------------------------------------------------

def test_the_administrator_sets_a_clearance_with_one_event(world: World) -> None:
    row = secrecy.set_clearance(world.uow(), world.ctx(world.admin), world.officer_a.id,
                                levels=["personal_privacy", "trade_secret"], reason="经保密委员会审批")
    event = only_new_event(world, 0)
    assert (event.action, event.before, event.after) == (
        Action.USER_CLEARANCE, {"levels": ["ordinary", "personal_privacy"]},
        {"levels": ["ordinary", "personal_privacy", "trade_secret"], "reason": "经保密委员会审批"})
    assert row.version == 1
    assert secrecy.clearance(world.uow(), world.ctx(world.leader), world.officer_a.id) == row.levels
    refused(world, ValidationFailed, lambda: secrecy.set_clearance(
        world.uow(), world.ctx(world.admin), world.officer_a.id, levels=["personal_privacy", "trade_secret"],
        reason="再来一次"))  # unchanged
    for who, exc in ((world.leader, PermissionDenied), (world.officer_a, PermissionDenied),
                     (world.other_admin, NotFound)):
        refused(world, exc, lambda w=who: secrecy.set_clearance(world.uow(), world.ctx(w), world.officer_a.id,
                                                                  levels=["state_secret"], reason="x"))
    refused(world, ValidationFailed, lambda: secrecy.set_clearance(world.uow(), world.ctx(world.admin),
                                                                     world.officer_a.id, levels=["x"], reason="x"))


def test_raising_lowering_and_state_secret_content(world: World) -> None:
    clip = put_media(world)
    case = seed_case(world, world.unit_a, media_ids=[clip.id])
    after = secrecy.set_case_level(world.uow(), world.ctx(world.officer_a), case.id, level="trade_secret",
                                   reason="涉及配方")
    assert after.secrecy == "trade_secret" and world.events()[-1].action == Action.CASE_SECRECY
    err = refused(world, PermissionDenied, lambda: secrecy.set_case_level(
        world.uow(), world.ctx(world.officer_a), case.id, level="ordinary", reason="解密"))
    assert err.code == "permission_denied"  # lowering is the bureau head's
    secrecy.set_case_level(world.uow(), world.ctx(world.leader), case.id, level="ordinary", reason="解密")
    err = refused(world, ValidationFailed, lambda: secrecy.set_case_level(
        world.uow(), world.ctx(world.leader), case.id, level="state_secret", reason="定密"))
    assert err.code == "secrecy.state_secret_content"
    secrecy.set_case_level(world.uow(), world.ctx(world.leader), case.id, level="state_secret", reason="定密",
                           state_secret_content=True)  # an approved deployment
    empty = seed_case(world, world.unit_a)  # no content: may be classified, keeps only its registration
    secrecy.set_case_level(world.uow(), world.ctx(world.leader), empty.id, level="state_secret", reason="定密")
    refused(world, PermissionDenied, lambda: secrecy.set_case_level(
        world.uow(), world.ctx(world.officer_b), case.id, level="trade_secret", reason="x"))  # another unit
    row = secrecy.set_media_level(world.uow(), world.ctx(world.archivist), clip.id, level="personal_privacy",
                                  reason="有人脸")
    assert (row.version, world.state.media_levels[-1].level) == (1, Level.PERSONAL_PRIVACY)
    refused(world, ValidationFailed, lambda: secrecy.set_media_level(
        world.uow(), world.ctx(world.leader), clip.id, level="state_secret", reason="定密"))


def test_linking_an_original_to_a_state_secret_case_is_refused(world: World) -> None:
    from lawtrail.services import cases

    clip = put_media(world)
    case = seed_case(world, world.unit_a, handlers=[world.officer_a], secrecy="state_secret")
    err = refused(world, ValidationFailed, lambda: cases.link_media(world.uow(), world.ctx(world.officer_a),
                                                                     case.id, clip.id))
    assert err.code == "secrecy.state_secret_content"


# ---- outside requests (Art. 46) ---------------------------------------------------------------------

def test_an_outside_request_and_what_was_provided(world: World) -> None:
    clip = put_media(world)
    asked = outside.record_request(world.uow(), world.ctx(world.archivist), kind="agency", requester_name="王法官",
                                   requester_org="江门市中级人民法院", legal_basis="《民事诉讼法》第六十七条",
                                   purpose="审理案件", asked="现场执法录像", wants_copy=True, received_at=T0)
    assert only_new_event(world, 0).action == Action.OUTSIDE_REQUEST
    refused(world, ValidationFailed, lambda: outside.decide_request(
        world.uow(), world.ctx(world.leader), asked.id, outcome="granted", reason="依法提供"))  # nothing listed
    refused(world, ValidationFailed, lambda: outside.decide_request(
        world.uow(), world.ctx(world.leader), asked.id, outcome="refused", reason="不予提供", media_ids=[clip.id]))
    refused(world, PermissionDenied, lambda: outside.decide_request(
        world.uow(), world.ctx(world.archivist), asked.id, outcome="refused", reason="不予提供"))
    decision = outside.decide_request(world.uow(), world.ctx(world.leader), asked.id, outcome="granted",
                                      reason="依法提供", media_ids=[clip.id])
    event = world.events()[-1]
    assert event.action == Action.OUTSIDE_DECIDE and event.after and event.after["provided"] == [
        {"media_id": str(clip.id), "name": clip.original_name, "sha256": clip.sha256, "size": clip.size,
         "copy": True}]
    assert decision.approver_id == world.leader.id
    refused(world, Conflict, lambda: outside.decide_request(world.uow(), world.ctx(world.leader), asked.id,
                                                            outcome="refused", reason="再决定"))
    for bad in ({"kind": "alien"}, {"requester_org": ""}, {"legal_basis": " "},
                {"received_at": T0 + timedelta(days=1)}):
        values = dict(kind="agency", requester_name="某", requester_org="某院", legal_basis="某法", purpose="用",
                      asked="录像", wants_copy=False, received_at=T0) | bad
        refused(world, ValidationFailed, lambda v=values: outside.record_request(  # type: ignore[misc]
            world.uow(), world.ctx(world.archivist), **v))
    refused(world, PermissionDenied, lambda: outside.list_requests(world.uow(), world.ctx(world.officer_a)))


# ---- the register -----------------------------------------------------------------------------------

def test_the_register_needs_bureau_wide_access_register(world: World) -> None:
    for who in (world.officer_a, world.unit_head_a, world.admin, world.legal_reviewer):
        refused(world, PermissionDenied, lambda w=who: register.register_page(world.uow(), world.ctx(w)))
    for who in (world.leader, world.archivist, world.supervisor):
        assert register.register_page(world.uow(), world.ctx(who)).total == 0
    refused(world, ValidationFailed, lambda: register.register_page(world.uow(), world.ctx(world.leader), page=0))
    refused(world, ValidationFailed, lambda: register.register_page(
        world.uow(), world.ctx(world.leader), start=T0, end=T0 - timedelta(days=1)))
    assert Role.LEADER in world.leader.roles
