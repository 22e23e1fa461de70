"""The Art. 42 prefill from on-site activities, open cases and neighbouring clips, and accepting a
case's suggestion (registration + link in one transaction), against the fakes (decision 0019)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.cases import ACTION_TYPE_LABELS, ActionType, Case, Stage
from lawtrail.domain.events import Action
from lawtrail.domain.parties import PartyInput
from lawtrail.domain.prefill import Candidate, SuggestionSource, best_items, party_names
from lawtrail.domain.vault import CATEGORY_LABELS, EnforcementCategory
from lawtrail.errors import NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import activities, cases, prefill
from lawtrail.services import media as media_svc
from lawtrail.services.activities import ActivityInput
from lawtrail.services.case_input import CaseDetails
from tests.unit.factories import T0, World, make_user, refused
from tests.unit.test_services_media import complete, put_media

COMPANY = PartyInput(kind="legal_person", name="江门市蓬江区某某食品有限公司", id_number="91440300708461136T",
                     legal_rep="张伟", address="江门市蓬江区建设路1号", phone="0750-3221234")
OTHER = PartyInput(kind="citizen", name="李四", id_number="11010519491231002X", phone="13800138000")


def with_second_officer(world: World) -> World:
    """The seeded world with a second officer in unit A (a case needs two handlers)."""
    second = make_user(world.unit_a, Role.OFFICER, username="officer.a2", display_name="第二执法员")
    world.put(second)
    world.second = second  # type: ignore[attr-defined]
    return world


@pytest.fixture
def world2(world: World) -> World:
    return with_second_officer(world)


def open_case(w: World, *, name: str = "某食品公司销售过期食品案", action_type: str = "penalty",
              party: PartyInput = COMPANY, at: Any = T0 - timedelta(days=3)) -> Case:
    details = CaseDetails(action_type=action_type, procedure="general", origin="inspection",  # type: ignore[arg-type]
                          name=name, cause="涉嫌销售超过保质期的食品")
    return cases.open_case(w.uow(), w.ctx(w.officer_a, now=at), unit_id=w.unit_a.id, details=details,
                           parties=[party], handler_ids=[w.officer_a.id, w.second.id])  # type: ignore[attr-defined]


def activity(w: World, **over: Any) -> Any:
    values: dict[str, Any] = dict(
        kind="coercive_measure", title="查封某食品厂仓库", place="蓬江区某路1号", arrived_at=T0 - timedelta(minutes=10),
        departed_at=T0 + timedelta(minutes=30), officer_ids=[w.officer_a.id], device_ids=[w.devices["a"].id],
        party=COMPANY.name, uninterrupted_required=True)
    values.update(over)
    return activities.create_activity(w.uow(), w.ctx(w.officer_a, now=T0 + timedelta(hours=3)), unit_id=w.unit_a.id,
                                      data=ActivityInput(**values))


def test_the_seven_categories_are_one_definition() -> None:
    assert EnforcementCategory is ActionType and CATEGORY_LABELS is ACTION_TYPE_LABELS


def test_an_activity_at_the_clip_comes_first_then_the_officers_cases_then_neighbours(world2: World) -> None:
    w = world2
    case = open_case(w)
    act = activity(w)
    put_media(w, device="a", at=T0 - timedelta(minutes=30), **complete(case_name="邻近文件的案由", party="邻近当事人"))
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id)
    s = prefill.suggest_registration(w.uow(), w.ctx(w.archivist), target.id)
    assert [c.source.via for c in s.candidates] == ["activity", "case", "device"]
    assert (s.case_name, s.party, s.category) == ("查封某食品厂仓库", COMPANY.name, "coercion")
    assert s.sources["case_name"].subject_id == act.id and s.sources["category"].via == "activity"
    assert s.case_id is None  # the case name came from the activity, not a case: nothing to link
    assert s.candidates[1].case_id == case.id and s.candidates[1].category == "penalty"


def test_without_an_activity_the_officers_open_case_prefills_category_party_and_name(world2: World) -> None:
    w = world2
    case = open_case(w)
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id)
    before = len(w.events())
    s = prefill.suggest_registration(w.uow(), w.ctx(w.archivist), target.id)
    assert (s.case_name, s.party, s.category, s.case_id) == (case.name, COMPANY.name, "penalty", case.id)
    assert s.sources["case_name"].via == "case" and case.number in s.sources["case_name"].name
    assert len(w.events()) == before  # suggesting records nothing


def test_activities_of_another_device_or_time_and_cases_closed_by_then_are_not_suggested(world2: World) -> None:
    w = world2
    activity(w, device_ids=[w.devices["b"].id], officer_ids=[w.officer_b.id])
    activity(w, arrived_at=T0 + timedelta(hours=1), departed_at=T0 + timedelta(hours=2))
    case = open_case(w, at=T0 + timedelta(minutes=5))  # opened after the clip was made
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id)
    s = prefill.suggest_registration(w.uow(), w.ctx(w.archivist), target.id)
    assert s.candidates == () and s.case_name == "" and case.id != s.case_id


def test_the_clock_offset_puts_the_clip_on_the_stations_clock(world2: World) -> None:
    w = world2
    act = activity(w, arrived_at=T0 - timedelta(hours=2), departed_at=T0 - timedelta(hours=1))
    target = put_media(w, device="a", at=T0)  # the device clock runs 90 minutes fast
    w.db.state.media[target.id] = replace(target, clock_offset_s=5400.0)
    s = prefill.suggest_registration(w.uow(), w.ctx(w.archivist), target.id)
    assert [c.source.subject_id for c in s.candidates] == [act.id]


def test_a_case_whose_party_is_the_activitys_party_is_ranked_before_newer_ones(world2: World) -> None:
    w = world2
    matching = open_case(w, name="匹配当事人的案件", at=T0 - timedelta(days=5))
    newer = open_case(w, name="较新的案件", party=OTHER, at=T0 - timedelta(days=1))
    activity(w)
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id)
    s = prefill.suggest_registration(w.uow(), w.ctx(w.archivist), target.id)
    assert [c.case_id for c in s.candidates if c.source.via == "case"] == [matching.id, newer.id]


def test_the_party_goes_with_the_case_name() -> None:
    a = Candidate(SuggestionSource("device", uuid.uuid4(), "a.mp4", T0, 10), "", "甲", "")
    b = Candidate(SuggestionSource("device", uuid.uuid4(), "b.mp4", T0, 20), "", "乙", "乙的案件")
    assert best_items([a, b])["party"] is b and best_items([a])["party"] is a


def test_picking_a_case_and_saving_registers_and_links_in_one_transaction(world2: World) -> None:
    w = world2
    case = open_case(w)
    act = activity(w)
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id)
    s = prefill.suggest_registration(w.uow(), w.ctx(w.archivist), target.id)
    picked = prefill.with_candidate(s, case.id)
    assert picked is not None and (picked.case_name, picked.case_id, picked.category) == (case.name, case.id, "penalty")
    assert prefill.with_candidate(s, act.id).case_id is None  # type: ignore[union-attr]
    before = len(w.events())
    reg = media_svc.correct_registration(
        w.uow(), w.ctx(w.archivist), target.id, unit_name=picked.unit_name, category=picked.category,
        device_number=picked.device_number, officer_id=picked.officer_id, used_from=picked.used_from,
        used_to=picked.used_to, party=picked.party, case_name=picked.case_name, reason="采用案件建议", case_id=case.id)
    new = w.events()[before:]
    assert [e.action for e in new] == [Action.CASE_MEDIA_LINK, Action.MEDIA_REGISTRATION]
    assert new[1].after and new[1].after["case_id"] == str(case.id) and reg.version == 2
    assert new[0].subject_id == str(case.id) and new[0].after["media_id"] == str(target.id)  # type: ignore[index]
    assert target.id in [m.id for m in cases.get_case(w.uow(), w.ctx(w.archivist), case.id).media]


def test_a_link_that_cannot_be_made_writes_nothing(world2: World) -> None:
    w = world2
    case = open_case(w)
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id)
    args: dict[str, Any] = dict(unit_name="一科", category="penalty", device_number="ZFJLY-A001", officer_id=None,
                                used_from=None, used_to=None, party="甲", case_name="案", reason="登记")
    refused(w, NotFound, lambda: media_svc.correct_registration(w.uow(), w.ctx(w.archivist), target.id,
                                                                case_id=uuid.uuid4(), **args))
    cases.close_case(w.uow(), w.ctx(w.officer_a), case.id, reason="不予立案")
    snap = w.snapshot()
    with pytest.raises(ValidationFailed) as err:
        media_svc.correct_registration(w.uow(), w.ctx(w.archivist), target.id, case_id=case.id, **args)
    assert err.value.code == "case.archived" and w.snapshot() == snap
    assert cases.get_case(w.uow(), w.ctx(w.archivist), case.id).case.stage is Stage.ARCHIVE


def test_only_the_link_when_the_items_are_already_registered(world2: World) -> None:
    w = world2
    case = open_case(w)
    target = put_media(w, device="a", at=T0, officer_id=w.officer_a.id,
                       **complete(case_name=case.name, officer_name=w.officer_a.display_name))
    current = w.state.registrations[-1]
    before = len(w.events())
    reg = media_svc.correct_registration(
        w.uow(), w.ctx(w.archivist), target.id, unit_name=current.unit_name, category=current.category,
        device_number=current.device_number, officer_id=current.officer_id, used_from=current.used_from,
        used_to=current.used_to, party=current.party, case_name=current.case_name, reason="关联案件", case_id=case.id)
    assert reg.version == 1 and [e.action for e in w.events()[before:]] == [Action.CASE_MEDIA_LINK]


def test_suggestions_need_media_register(world2: World) -> None:
    target = put_media(world2, device="a", at=T0)
    refused(world2, PermissionDenied,
            lambda: prefill.suggest_registration(world2.uow(), world2.ctx(world2.leader), target.id))


def test_party_names_is_empty_without_parties() -> None:
    assert party_names([]) == ""
