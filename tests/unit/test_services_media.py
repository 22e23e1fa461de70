"""services.media against the fakes: scoping, every filter, corrections as versions, suggestions,
recorded (and refused) reads, tickets, refused alterations (Art. 37, 42, 45)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from lawtrail.domain import media_ticket
from lawtrail.domain.devices import Device
from lawtrail.domain.events import Action
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from lawtrail.services import devices, prefill
from lawtrail.services import media as svc
from tests.unit.access_support import grant_for, seed_case
from tests.unit.factories import T0, World, only_new_event, refused
from tests.unit.fakes import FakeBlobStore

KEY = media_ticket.ticket_key("unit-test-secret-0123456789abcdef")


def put_media(world: World, blobs: FakeBlobStore | None = None, *, device: str = "a", at: datetime | None = T0,
              kind: MediaType = MediaType.VIDEO, name: str = "clip.mp4", officer_id: uuid.UUID | None = None,
              data: bytes | None = None, **reg: Any) -> MediaRecord:
    """Commit an original (and, unless ``reg`` is None-ish, its version-1 registration) directly."""
    dev: Device = world.devices[device]
    data = data or uuid.uuid4().bytes * 64
    digest = hashlib.sha256(data).hexdigest()
    if blobs is not None:
        blobs.objects[digest] = data
    media = MediaRecord(
        id=uuid.uuid4(), sha256=digest, size=len(data), media_type=kind, original_name=name,
        facts={"duration_s": 60.0}, probe_ok=kind is not MediaType.UNKNOWN, device_id=dev.id,
        officer_id=officer_id, unit_id=dev.unit_id, bureau_id=dev.bureau_id, captured_at=at,
        captured_end=at + timedelta(minutes=1) if at else None, handed_in_at=T0, stored_at=T0,
        clock_offset_s=None, ingested_by="采集站", created_at=T0)
    values: dict[str, Any] = {"unit_name": "执法稽查一科", "category": "", "device_number": dev.number,
                              "officer_id": officer_id, "officer_name": "", "used_from": media.captured_at,
                              "used_to": media.captured_end, "party": "", "case_name": ""}
    values.update(reg)
    with world.uow() as uow:
        uow.media.add(media)
        uow.media.add_registration(Registration(media_id=media.id, version=1, actor_id=None, actor_name="采集站",
                                                at=T0, **values))
        uow.commit()
    return media


def complete(**over: Any) -> dict[str, Any]:
    values = {"category": "inspection", "party": "某食品公司", "case_name": "涉嫌销售过期食品案", "officer_name": "陈"}
    values.update(over)
    return values


# ---- the list -----------------------------------------------------------------------------------

def ids(page: svc.MediaPage) -> set[uuid.UUID]:
    return {row.media.id for row in page.rows}


def test_the_list_is_scoped_by_unit_for_officers_and_bureau_wide_for_the_archivist(world: World) -> None:
    a, b = put_media(world, device="a"), put_media(world, device="b")
    other = put_media(world, device="other")
    assert ids(svc.list_media(world.uow(), world.ctx(world.officer_a))) == {a.id}
    assert ids(svc.list_media(world.uow(), world.ctx(world.unit_head_a))) == {a.id}
    for who in (world.archivist, world.leader, world.supervisor):
        assert ids(svc.list_media(world.uow(), world.ctx(who))) == {a.id, b.id}
    assert other.id not in ids(svc.list_media(world.uow(), world.ctx(world.archivist)))  # another bureau's
    assert world.events() == []  # listing records nothing


@pytest.mark.parametrize("who", ["admin", "legal_reviewer", "nobody"])
def test_the_list_is_refused_without_media_view(world: World, who: str) -> None:
    refused(world, PermissionDenied, lambda: svc.list_media(world.uow(), world.ctx(getattr(world, who))))


def test_every_filter(world: World) -> None:
    hit = put_media(world, device="a", at=T0 - timedelta(hours=30), kind=MediaType.AUDIO, officer_id=world.officer_a.id,
                    **complete(category="penalty", party="江门市蓬江区某超市", case_name="无照经营案"))
    miss = put_media(world, device="b", at=T0, **complete())
    incomplete = put_media(world, device="b", at=T0 - timedelta(hours=1))
    ctx = world.ctx(world.archivist)

    def found(**kw: Any) -> set[uuid.UUID]:
        return ids(svc.list_media(world.uow(), ctx, **kw))

    assert found() == {hit.id, miss.id, incomplete.id}
    assert found(unit_id=world.unit_a.id) == {hit.id}
    assert found(category="penalty") == {hit.id}
    assert found(device_number="a001") == {hit.id}  # a part, any case
    assert found(device_number="ZFJLY") == {hit.id, miss.id, incomplete.id}
    assert found(officer_id=world.officer_a.id) == {hit.id}
    assert found(used_from=T0 - timedelta(hours=31), used_to=T0 - timedelta(hours=29)) == {hit.id}
    assert found(used_from=T0 - timedelta(minutes=30)) == {miss.id}
    assert found(used_to=T0 - timedelta(hours=2)) == {hit.id}
    assert found(party="蓬江") == {hit.id}
    assert found(case_name="过期") == {miss.id}
    assert found(media_type="audio") == {hit.id}
    assert found(incomplete=True) == {incomplete.id}
    assert found(incomplete=False) == {hit.id, miss.id}
    assert found(party="%") == set()  # a wildcard is a character, not a pattern


def test_the_list_is_newest_first_and_paginated(world: World) -> None:
    made = [put_media(world, at=T0 - timedelta(minutes=i)) for i in range(5)]
    undated = put_media(world, at=None)  # no capture time: sorted by its storage time (T0)
    ctx = world.ctx(world.archivist)
    first = svc.list_media(world.uow(), ctx, per_page=2)
    assert (first.total, first.pages) == (6, 3)
    every = [r.media.id for p in (1, 2, 3) for r in svc.list_media(world.uow(), ctx, page=p, per_page=2).rows]
    assert set(every) == {m.id for m in made} | {undated.id}
    assert every.index(made[0].id) < every.index(made[1].id) < every.index(made[4].id)


@pytest.mark.parametrize("kw", [{"category": "fine"}, {"media_type": "film"}, {"page": 0}, {"per_page": 201},
                                {"used_from": T0, "used_to": T0 - timedelta(seconds=1)}])
def test_bad_list_filters_are_refused(world: World, kw: dict[str, Any]) -> None:
    refused(world, ValidationFailed, lambda: svc.list_media(world.uow(), world.ctx(world.archivist), **kw))


# ---- one original and its registration ----------------------------------------------------------

def test_get_media_needs_a_basis_for_reading(world: World) -> None:
    media = put_media(world, device="b")
    seed_case(world, world.unit_b, handlers=[world.officer_b], media_ids=[media.id])  # officer b handles it
    detail = svc.get_media(world.uow(), world.ctx(world.officer_b), media.id)
    assert (detail.media.id, detail.device_number, detail.unit_name, len(detail.registrations)) == (
        media.id, "ZFJLY-B001", world.unit_b.name, 1)
    for who, exc, code in ((world.officer_a, PermissionDenied, "access.no_grant"),
                           (world.other_admin, NotFound, "media.not_found")):
        before = len(world.events())
        with pytest.raises(exc):
            svc.get_media(world.uow(), world.ctx(who), media.id)
        event = only_new_event(world, before)  # a refused read of the record is on record too
        assert (event.action, event.after) == (Action.MEDIA_READ_REFUSED, {"purpose": "details", "code": code})
    refused(world, NotFound, lambda: svc.get_media(world.uow(), world.ctx(world.archivist), uuid.uuid4()))


def correct(world: World, media: MediaRecord, who: Any = None, **over: Any) -> Registration:
    values: dict[str, Any] = {"unit_name": "执法稽查一科", "category": "inspection", "device_number": "ZFJLY-A001",
                              "officer_id": world.officer_a.id, "used_from": T0, "used_to": T0 + timedelta(minutes=1),
                              "party": "某食品公司", "case_name": "涉嫌销售过期食品案", "reason": "补登案由和当事人"}
    values.update(over)
    return svc.correct_registration(world.uow(), world.ctx(who or world.archivist), media.id, **values)


def test_a_correction_is_a_new_version_with_one_event(world: World) -> None:
    media = put_media(world)
    before = len(world.events())
    reg = correct(world, media, base_version=1)
    assert (reg.version, reg.officer_name, reg.actor_name) == (2, world.officer_a.display_name,
                                                               world.archivist.display_name)
    versions = [r.version for r in world.state.registrations if r.media_id == media.id]
    assert versions == [1, 2]  # version 1 is still there, unchanged
    assert world.state.registrations[0].category == ""
    event = only_new_event(world, before)
    assert (event.action, event.subject_type, event.subject_id) == (Action.MEDIA_REGISTRATION, "media", str(media.id))
    assert event.before is not None and event.after is not None
    assert (event.before["version"], event.before["category"], event.after["version"], event.after["category"],
            event.after["reason"]) == (1, "", 2, "inspection", "补登案由和当事人")
    third = correct(world, media, party="另一公司", reason="当事人名称有误")
    assert third.version == 3


def test_a_stale_or_unchanged_correction_is_refused(world: World) -> None:
    media = put_media(world)
    correct(world, media)
    err = refused(world, Conflict, lambda: correct(world, media, party="x", base_version=1))
    assert err.code == "media.registration_stale"
    err = refused(world, ValidationFailed, lambda: correct(world, media, reason="再次保存"))
    assert err.code == "media.registration_unchanged"


def test_corrections_check_officer_and_device(world: World) -> None:
    media = put_media(world)
    for over, field in (({"officer_id": world.leader.id}, "officer_id"), ({"officer_id": uuid.uuid4()}, "officer_id"),
                        ({"device_number": "NO-SUCH-1"}, "device_number"),
                        ({"device_number": "SZ-0001"}, "device_number"),  # another bureau's device
                        ({"reason": ""}, "reason"), ({"category": "fine"}, "category")):
        err = refused(world, ValidationFailed, lambda over=over: correct(world, media, **over))  # type: ignore[misc]
        assert field in [p.field for p in err.problems], over


def test_corrections_need_media_register_on_the_unit(world: World) -> None:
    media = put_media(world, device="a")
    assert correct(world, media, who=world.officer_a).version == 2
    assert correct(world, media, who=world.unit_head_a, party="改").version == 3
    for who in (world.officer_b, world.leader, world.supervisor, world.admin):
        refused(world, PermissionDenied, lambda who=who: correct(world, media, who=who, party="再改"))  # type: ignore[misc]
    refused(world, NotFound, lambda: correct(world, media, who=world.other_admin, party="再改"))


def test_the_suggestion_takes_items_from_the_nearest_clips_of_the_same_device_or_officer(world: World) -> None:
    dev = world.devices["a"]
    devices.assign_device(world.uow(), world.ctx(world.admin, now=T0 - timedelta(days=1)), dev.id,
                          holder_id=world.officer_a.id, note="领用")
    target = put_media(world, device="a", at=T0)  # ingested without an officer: the holder is suggested
    put_media(world, device="a", at=T0 - timedelta(hours=3), **complete(case_name="远处的案件", party="远处当事人"))
    put_media(world, device="a", at=T0 + timedelta(minutes=20), **complete(case_name="最近的案件", party=""))
    put_media(world, device="b", at=T0 - timedelta(minutes=40), officer_id=world.officer_a.id,
              **complete(party="同一执法人员的当事人", category="penalty"))
    put_media(world, device="b", at=T0 + timedelta(minutes=5), **complete(case_name="其他人的案件"))  # unrelated
    put_media(world, device="a", at=T0 + timedelta(hours=5), **complete(case_name="超出时间窗"))
    s = prefill.suggest_registration(world.uow(), world.ctx(world.archivist), target.id)
    assert (s.officer_id, s.officer_name) == (world.officer_a.id, world.officer_a.display_name)
    assert (s.unit_name, s.device_number, s.used_from) == (world.unit_a.name, "ZFJLY-A001", T0)
    assert (s.case_name, s.party, s.category) == ("最近的案件", "同一执法人员的当事人", "inspection")
    assert s.sources["case_name"].via == "device" and s.sources["case_name"].seconds_apart == 1200
    assert s.sources["party"].via == "officer" and s.sources["party"].seconds_apart == 2400
    assert world.events()[-1].action == Action.DEVICE_ASSIGN  # suggesting records nothing


def test_the_suggestion_only_uses_clips_the_actor_may_see(world: World) -> None:
    target = put_media(world, device="a", at=T0, officer_id=world.officer_a.id)
    put_media(world, device="b", at=T0 + timedelta(minutes=1), officer_id=world.officer_a.id,
              **complete(case_name="二科的案件"))
    assert prefill.suggest_registration(world.uow(), world.ctx(world.officer_a), target.id).case_name == ""
    assert prefill.suggest_registration(world.uow(), world.ctx(world.archivist), target.id).case_name == "二科的案件"
    refused(world, PermissionDenied,
            lambda: prefill.suggest_registration(world.uow(), world.ctx(world.leader), target.id))


# ---- reads and refusals -------------------------------------------------------------------------

def test_opening_an_original_records_one_event_and_issues_a_ticket(world: World) -> None:
    blobs = FakeBlobStore()
    media = put_media(world, blobs, data=b"0123456789" * 10)
    before = len(world.events())
    original = svc.open_original(world.uow(), world.ctx(world.archivist), blobs, media.id, purpose="view",
                                 ticket_key=KEY)
    event = only_new_event(world, before)
    assert (event.action, event.subject_id, event.after) == (
        Action.MEDIA_VIEW, str(media.id), {"purpose": "view", "sha256": media.sha256, "file_size": 100,
                                           "basis": "archivist", "level": "ordinary"})
    assert (original.size, original.content_type, original.etag) == (100, "video/mp4", f'"{media.sha256}"')
    assert original.ticket
    # Many range requests under the ticket: no more events.
    for start in (0, 10, 99):
        again = svc.ticketed_original(world.uow(), world.ctx(world.archivist), blobs, media.id, original.ticket,
                                      ticket_key=KEY)
        with svc.read_range(blobs, again, start, start + 10) as reader:
            assert reader.read() == (b"0123456789" * 10)[start:start + 10]
    assert len(world.events()) == before + 1


def test_a_download_is_recorded_with_its_range(world: World) -> None:
    blobs = FakeBlobStore()
    media = put_media(world, blobs)
    approved = grant_for(world, world.officer_a, media_ids=[media.id])
    before = len(world.events())
    svc.open_original(world.uow(), world.ctx(world.officer_a), blobs, media.id, purpose="download",
                      range_spec="bytes=0-99")
    event = only_new_event(world, before)
    assert event.action == Action.MEDIA_DOWNLOAD and event.after and event.after["range"] == "bytes=0-99"
    assert (event.after["basis"], event.after["grant_id"]) == ("grant", str(approved.request.id))


@pytest.mark.parametrize(("who", "code"), [("officer_b", "access.no_grant"), ("officer_a", "access.no_grant"),
                                           ("admin", "permission_denied"), ("legal_reviewer", "access.no_grant"),
                                           ("nobody", "permission_denied")])
def test_a_refused_read_is_still_recorded(world: World, who: str, code: str) -> None:
    blobs = FakeBlobStore()
    media = put_media(world, blobs, device="a")
    before = len(world.events())
    with pytest.raises(PermissionDenied):
        svc.open_original(world.uow(), world.ctx(getattr(world, who)), blobs, media.id, purpose="view",
                          ticket_key=KEY)
    event = only_new_event(world, before)
    assert (event.action, event.subject_id, event.actor_id) == (
        Action.MEDIA_READ_REFUSED, str(media.id), getattr(world, who).id)
    assert event.after == {"purpose": "view", "code": code}
    assert blobs.opened == []


def test_another_bureaus_read_is_recorded_and_answered_not_found(world: World) -> None:
    blobs = FakeBlobStore()
    media = put_media(world, blobs)
    before = len(world.events())
    with pytest.raises(NotFound):
        svc.open_original(world.uow(), world.ctx(world.other_admin), blobs, media.id, purpose="download")
    assert only_new_event(world, before).action == Action.MEDIA_READ_REFUSED


def test_a_bad_ticket_is_refused_and_recorded(world: World) -> None:
    blobs = FakeBlobStore()
    media, other = put_media(world, blobs), put_media(world, blobs)
    grant_for(world, world.officer_a, media_ids=[media.id, other.id])
    ticket = svc.open_original(world.uow(), world.ctx(world.officer_a), blobs, media.id, purpose="view",
                               ticket_key=KEY).ticket
    assert ticket
    cases = [(world.officer_a, other.id, ticket, T0),  # another original
             (world.archivist, media.id, ticket, T0),  # another person (who may read it)
             (world.officer_a, media.id, ticket, T0 + media_ticket.TICKET_TTL),  # expired
             (world.officer_a, media.id, "forged", T0)]
    for who, media_id, tk, now in cases:
        before = len(world.events())
        with pytest.raises(PermissionDenied) as err:
            svc.ticketed_original(world.uow(), world.ctx(who, now=now), blobs, media_id, tk, ticket_key=KEY)
        assert err.value.code == "media.ticket_invalid"
        assert only_new_event(world, before).action == Action.MEDIA_READ_REFUSED


def test_opening_needs_a_known_purpose_and_present_bytes(world: World) -> None:
    blobs = FakeBlobStore()
    media = put_media(world)  # bytes not in the store
    refused(world, ValidationFailed, lambda: svc.open_original(world.uow(), world.ctx(world.archivist), blobs,
                                                               media.id, purpose="edit"))  # type: ignore[arg-type]
    refused(world, NotFound, lambda: svc.open_original(world.uow(), world.ctx(world.archivist), blobs, media.id,
                                                       purpose="view"))


@pytest.mark.parametrize("attempt", ["delete", "replace"])
def test_an_alteration_is_refused_under_article_37_and_recorded(world: World, attempt: str) -> None:
    media = put_media(world)
    for who in (world.archivist, world.admin, world.officer_b):
        before = len(world.events())
        with pytest.raises(RuleViolation) as err:
            svc.refuse_alteration(world.uow(), world.ctx(who), media.id, attempt=attempt)  # type: ignore[arg-type]
        assert (err.value.code, err.value.article) == ("media.original_immutable", "第三十七条")
        assert "剪接、删改" in err.value.message_zh and "never" in err.value.message_en
        event = only_new_event(world, before)
        assert (event.action, event.after) == (Action.MEDIA_ALTER_REFUSED,
                                               {"attempt": attempt, "sha256": media.sha256})
    assert world.state.media[media.id] == media
    refused(world, NotFound, lambda: svc.refuse_alteration(world.uow(), world.ctx(world.archivist), uuid.uuid4(),
                                                           attempt="delete"))


def test_the_trail_of_an_original(world: World) -> None:
    blobs = FakeBlobStore()
    media = put_media(world, blobs)
    svc.open_original(world.uow(), world.ctx(world.archivist), blobs, media.id, purpose="view")
    correct(world, media)
    events = svc.media_trail(world.uow(), world.ctx(world.archivist), media.id)
    assert [e.action for e in events] == [Action.MEDIA_REGISTRATION, Action.MEDIA_VIEW]
    assert len(svc.media_trail(world.uow(), world.ctx(world.admin), media.id)) == 2  # event:view
    refused(world, PermissionDenied, lambda: svc.media_trail(world.uow(), world.ctx(world.officer_b), media.id))


def test_a_registration_race_is_a_conflict_not_a_second_version_two(world: World) -> None:
    media = put_media(world)
    with world.uow() as uow:
        first = uow.media.registrations(media.id)[0]
        uow.media.add_registration(replace(first, version=2, party="先到"))
        uow.commit()
    assert correct(world, media).version == 3
    with pytest.raises(Conflict), world.uow() as uow:
        uow.media.add_registration(replace(first, version=3))
