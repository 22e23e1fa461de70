"""Art. 45 access grants against the fakes: the state machine at every step, who may make each
move, and the one read check (``services.reading.check_read`` through ``services.media``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.events import Action
from lawtrail.domain.grants import Decision, Status
from lawtrail.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import grants as svc
from lawtrail.services import media
from tests.unit.access_support import grant_for, seed_case
from tests.unit.factories import T0, World, make_user, only_new_event, refused
from tests.unit.fakes import FakeBlobStore
from tests.unit.test_services_media import KEY, put_media

WEEK = timedelta(days=7)


def ask(world: World, who: Any = None, **over: Any) -> svc.Grant:
    values: dict[str, Any] = {"purpose": "复核案件证据", "ends_at": T0 + WEEK}
    values.update(over)
    return svc.request_access(world.uow(), world.ctx(who or world.officer_b), **values)


def view(world: World, who: Any, media_id: uuid.UUID, blobs: FakeBlobStore, **ctx: Any) -> media.Original:
    return media.open_original(world.uow(), world.ctx(who, **ctx), blobs, media_id, purpose="view", ticket_key=KEY)


def refused_read(world: World, who: Any, media_id: uuid.UUID, blobs: FakeBlobStore, code: str, **ctx: Any) -> None:
    """The read is refused with ``code``, registered as exactly one refusal, and nothing else."""
    before = world.snapshot()
    with pytest.raises(PermissionDenied) as err:
        view(world, who, media_id, blobs, **ctx)
    assert err.value.code == code
    new = world.events()[len(before.events):]
    assert [(e.action, e.after and e.after["code"]) for e in new] == [(Action.MEDIA_READ_REFUSED, code)]
    assert world.state.access_requests == before.access_requests
    assert world.state.access_decisions == before.access_decisions
    assert world.state.media == before.media


# ---- asking --------------------------------------------------------------------------------------

def test_a_request_is_recorded_with_one_event(world: World) -> None:
    clip = put_media(world)
    grant = ask(world, media_ids=[clip.id, clip.id])
    event = only_new_event(world, 0)
    assert (event.action, event.subject_id, event.actor_id) == (Action.ACCESS_REQUEST, str(grant.request.id),
                                                                world.officer_b.id)
    assert event.after and event.after["media_ids"] == [str(clip.id)]  # duplicates fold
    assert grant.status(T0) == Status.REQUESTED
    assert (grant.request.requester_unit_id, grant.request.starts_at) == (world.unit_b.id, T0)


@pytest.mark.parametrize("over", [
    {"purpose": " "}, {"purpose": "x" * 501},
    {},  # neither a case nor items
    {"ends_at": T0}, {"ends_at": T0 - timedelta(hours=1), "starts_at": T0 - timedelta(hours=2)},
    {"ends_at": T0 + timedelta(days=31)}, {"ends_at": (T0 + WEEK).replace(tzinfo=None)},
    {"media_ids": [uuid.uuid4()]},
])
def test_bad_requests_write_nothing(world: World, over: dict[str, Any]) -> None:
    clip = put_media(world)
    values = {"media_ids": [clip.id]} if "media_ids" not in over and over else {}
    values.update(over)
    refused(world, ValidationFailed, lambda: ask(world, **values))


def test_both_scopes_at_once_and_foreign_cases_are_refused(world: World) -> None:
    clip = put_media(world)
    case = seed_case(world, world.unit_a, media_ids=[clip.id])
    refused(world, ValidationFailed, lambda: ask(world, media_ids=[clip.id], case_id=case.id))
    refused(world, NotFound, lambda: ask(world, case_id=uuid.uuid4()))
    other = put_media(world, device="other")
    refused(world, ValidationFailed, lambda: ask(world, media_ids=[other.id]))  # another bureau's


@pytest.mark.parametrize("who", ["admin", "nobody"])
def test_only_people_who_read_evidence_may_ask(world: World, who: str) -> None:
    clip = put_media(world)
    refused(world, PermissionDenied, lambda: ask(world, getattr(world, who), media_ids=[clip.id]))


# ---- the state machine, every step --------------------------------------------------------------

def test_requested_approved_then_expired(world: World) -> None:
    blobs = FakeBlobStore()
    clip = put_media(world, blobs, device="a")
    refused_read(world, world.officer_b, clip.id, blobs, "access.no_grant")
    grant = ask(world, media_ids=[clip.id], ends_at=T0 + timedelta(hours=2))
    refused_read(world, world.officer_b, clip.id, blobs, "access.grant_pending")
    before = len(world.events())
    approved = svc.approve(world.uow(), world.ctx(world.leader), grant.request.id, reason="同意")
    event = only_new_event(world, before)
    assert (event.action, event.before, event.after) == (Action.ACCESS_APPROVE, {"status": "requested"},
                                                         {"status": "approved", "reason": "同意"})
    assert approved.status(T0) == Status.APPROVED
    view(world, world.officer_b, clip.id, blobs)
    assert world.events()[-1].action == Action.MEDIA_VIEW
    assert world.events()[-1].after == {"purpose": "view", "sha256": clip.sha256, "file_size": clip.size,
                                        "basis": "grant", "grant_id": str(grant.request.id), "level": "ordinary"}
    later = T0 + timedelta(hours=2)
    assert approved.status(later) == Status.EXPIRED
    refused_read(world, world.officer_b, clip.id, blobs, "access.grant_expired", now=later)
    refused(world, InvalidTransition, lambda: svc.revoke(world.uow(), world.ctx(world.leader, now=later),
                                                         grant.request.id, reason="过期后撤销"))


def test_a_revoked_grant_is_refused_at_once_even_mid_viewing(world: World) -> None:
    blobs = FakeBlobStore()
    clip = put_media(world, blobs, device="a")
    grant = grant_for(world, world.officer_b, media_ids=[clip.id])
    opened = view(world, world.officer_b, clip.id, blobs)
    assert opened.ticket
    before = len(world.events())
    svc.revoke(world.uow(), world.ctx(world.leader, now=T0 + timedelta(minutes=5)), grant.request.id,
               reason="查阅事由已消失")
    assert only_new_event(world, before).action == Action.ACCESS_REVOKE
    with pytest.raises(PermissionDenied) as err:  # the next range request of the same viewing
        media.ticketed_original(world.uow(), world.ctx(world.officer_b, now=T0 + timedelta(minutes=6)), blobs,
                                clip.id, opened.ticket, ticket_key=KEY)
    assert err.value.code == "access.grant_revoked"
    refused_read(world, world.officer_b, clip.id, blobs, "access.grant_revoked", now=T0 + timedelta(minutes=7))
    refused(world, InvalidTransition, lambda: svc.revoke(world.uow(), world.ctx(world.leader), grant.request.id,
                                                         reason="再撤销一次"))


def test_refused_and_withdrawn_are_final(world: World) -> None:
    blobs = FakeBlobStore()
    clip = put_media(world, blobs, device="a")
    first, second = ask(world, media_ids=[clip.id]), ask(world, media_ids=[clip.id])
    refused(world, ValidationFailed, lambda: svc.refuse(world.uow(), world.ctx(world.leader), first.request.id,
                                                         reason=" "))  # a refusal gives its reason
    svc.refuse(world.uow(), world.ctx(world.leader), first.request.id, reason="事由不充分")
    svc.withdraw(world.uow(), world.ctx(world.officer_b), second.request.id)
    assert [e.action for e in world.events()[-2:]] == [Action.ACCESS_REFUSE, Action.ACCESS_WITHDRAW]
    for request_id in (first.request.id, second.request.id):
        for call in (lambda r=request_id: svc.approve(world.uow(), world.ctx(world.leader), r),
                     lambda r=request_id: svc.withdraw(world.uow(), world.ctx(world.officer_b), r),
                     lambda r=request_id: svc.revoke(world.uow(), world.ctx(world.leader), r, reason="撤销")):
            refused(world, InvalidTransition, call)
    refused_read(world, world.officer_b, clip.id, blobs, "access.no_grant")


def test_nobody_approves_their_own_request_and_only_leaders_decide(world: World) -> None:
    clip = put_media(world)
    mine = ask(world, world.leader, media_ids=[clip.id])
    err = refused(world, PermissionDenied, lambda: svc.approve(world.uow(), world.ctx(world.leader), mine.request.id))
    assert err.code == "access.own_request"
    theirs = ask(world, media_ids=[clip.id])
    for who in (world.officer_b, world.unit_head_a, world.supervisor, world.archivist, world.admin):
        refused(world, PermissionDenied, lambda w=who: svc.approve(world.uow(), world.ctx(w), theirs.request.id))
    err = refused(world, PermissionDenied, lambda: svc.withdraw(world.uow(), world.ctx(world.officer_a),
                                                                 theirs.request.id))
    assert err.code == "access.not_requester"
    refused(world, NotFound, lambda: svc.approve(world.uow(), world.ctx(world.other_admin), theirs.request.id))
    second_leader = make_user(world.unit_b, Role.LEADER, username="leader2")
    world.put(second_leader)
    svc.approve(world.uow(), world.ctx(second_leader), mine.request.id)  # another leader may


def test_an_approval_race_is_a_conflict(world: World) -> None:
    clip = put_media(world)
    grant = ask(world, media_ids=[clip.id])
    uow = world.uow()
    with uow:  # someone approves inside this transaction's view, as a concurrent leader would
        uow.access.add_decision(Decision(uuid.uuid4(), grant.request.id, Status.APPROVED, world.leader.id, "他人",
                                         T0, ""))
        with pytest.raises(Conflict):
            uow.access.add_decision(Decision(uuid.uuid4(), grant.request.id, Status.APPROVED, world.leader.id,
                                             "我", T0, ""))


def test_a_grant_not_yet_in_effect_does_not_open_anything(world: World) -> None:
    blobs = FakeBlobStore()
    clip = put_media(world, blobs, device="a")
    grant = ask(world, media_ids=[clip.id], starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=2))
    svc.approve(world.uow(), world.ctx(world.leader), grant.request.id)
    refused_read(world, world.officer_b, clip.id, blobs, "access.grant_pending")
    view(world, world.officer_b, clip.id, blobs, now=T0 + timedelta(days=1, minutes=1))


# ---- bases other than a grant -------------------------------------------------------------------

def test_handlers_read_while_the_case_is_open_and_need_a_grant_after(world: World) -> None:
    blobs = FakeBlobStore()
    clip = put_media(world, blobs, device="a")
    seed_case(world, world.unit_a, handlers=[world.officer_a], media_ids=[clip.id])
    view(world, world.officer_a, clip.id, blobs)
    assert world.events()[-1].after and world.events()[-1].after["basis"] == "handler"
    refused_read(world, world.unit_head_a, clip.id, blobs, "access.no_grant")  # same unit, not a handler
    closed = put_media(world, blobs, device="a")
    seed_case(world, world.unit_a, handlers=[world.officer_a], media_ids=[closed.id], ended=True)
    refused_read(world, world.officer_a, closed.id, blobs, "access.no_grant")


def test_a_grant_on_a_case_covers_its_originals_only(world: World) -> None:
    blobs = FakeBlobStore()
    inside, outside = put_media(world, blobs, device="a"), put_media(world, blobs, device="a")
    case = seed_case(world, world.unit_a, media_ids=[inside.id])
    grant_for(world, world.officer_b, case_id=case.id)
    view(world, world.officer_b, inside.id, blobs)
    refused_read(world, world.officer_b, outside.id, blobs, "access.no_grant")


def test_another_persons_grant_does_not_help(world: World) -> None:
    blobs = FakeBlobStore()
    clip = put_media(world, blobs, device="a")
    grant_for(world, world.officer_b, media_ids=[clip.id])
    refused_read(world, world.officer_a, clip.id, blobs, "access.no_grant")


# ---- lists ---------------------------------------------------------------------------------------

def test_lists_mine_pending_and_all(world: World) -> None:
    clip = put_media(world)
    a = ask(world, media_ids=[clip.id])
    b = ask(world, world.officer_a, media_ids=[clip.id])
    svc.approve(world.uow(), world.ctx(world.leader), b.request.id)
    mine = svc.list_requests(world.uow(), world.ctx(world.officer_b), scope="mine")
    assert [v.grant.request.id for v in mine] == [a.request.id] and mine[0].can_withdraw
    pending = svc.list_requests(world.uow(), world.ctx(world.leader), scope="pending")
    assert [v.grant.request.id for v in pending] == [a.request.id] and pending[0].can_decide
    assert {v.grant.request.id for v in svc.list_requests(world.uow(), world.ctx(world.supervisor), scope="all")} \
        == {a.request.id, b.request.id}
    for who, scope in ((world.officer_b, "pending"), (world.officer_b, "all"), (world.admin, "mine")):
        refused(world, PermissionDenied, lambda w=who, s=scope: svc.list_requests(world.uow(), world.ctx(w),
                                                                                   scope=s))
    assert svc.get_request(world.uow(), world.ctx(world.officer_b), a.request.id).status == Status.REQUESTED
    refused(world, PermissionDenied, lambda: svc.get_request(world.uow(), world.ctx(world.officer_a), a.request.id))
