"""Ingest with a case (``lawtrail ingest --case``) and the media list filtered by finding, against
the fakes (issue 4 items 2 and 9; decision 0019)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from lawtrail.domain.events import Action
from lawtrail.domain.rules import RuleSettings
from lawtrail.errors import NotFound, ValidationFailed
from lawtrail.services import cases, ingest, media_findings
from tests.unit.factories import T0, World, refused
from tests.unit.fakes import FakeBlobStore, FakeProbe
from tests.unit.test_services_media import complete, put_media
from tests.unit.test_services_prefill import COMPANY, open_case, with_second_officer


@pytest.fixture
def world2(world: World) -> World:
    return with_second_officer(world)


def test_ingest_with_a_case_prefills_version_1_and_links_every_stored_original(world2: World, tmp_path: Path) -> None:
    w, blobs = world2, FakeBlobStore()
    case = open_case(w)
    paths = []
    for n, data in enumerate((b"one", b"two", b"one")):
        paths.append(tmp_path / f"f{n}.mp4")
        paths[-1].write_bytes(data)
    prefill = ingest.case_for_ingest(w.uow(), w.ctx(w.archivist), case.number)
    results = ingest.ingest_paths(w.uow(), w.ctx(w.archivist), blobs, FakeProbe(), paths,
                                  device_number="ZFJLY-A001", case=prefill)
    assert [r.status for r in results] == ["stored", "stored", "duplicate"]
    regs = w.state.registrations
    assert {(r.case_name, r.party, r.category, r.unit_name, r.version) for r in regs} == {
        (case.name, COMPANY.name, "penalty", w.unit_a.name, 1)}
    linked = cases.get_case(w.uow(), w.ctx(w.archivist), case.id).media
    assert {m.id for m in linked} == {r.media_id for r in results[:2]}
    actions = [e.action for e in w.events()]
    assert actions.count(Action.CASE_MEDIA_LINK) == 2 and actions.count(Action.MEDIA_INGEST) == 2


def test_an_unknown_or_archived_case_is_refused_before_anything_is_read(world2: World) -> None:
    w = world2
    refused(w, NotFound, lambda: ingest.case_for_ingest(w.uow(), w.ctx(w.archivist), "不存在〔2026〕9号"))
    case = open_case(w)
    cases.close_case(w.uow(), w.ctx(w.officer_a), case.id, reason="不予立案")
    with pytest.raises(ValidationFailed) as err:
        ingest.case_for_ingest(w.uow(), w.ctx(w.archivist), case.number)
    assert err.value.code == "case.archived"


def listing(w: World, **kw: object) -> media_findings.MediaListing:
    return media_findings.list_with_findings(w.uow(), w.ctx(w.archivist, now=T0 + timedelta(days=3)),
                                             rules=RuleSettings(), **kw)  # type: ignore[arg-type]


def test_the_list_filtered_by_art42_keeps_only_incomplete_registrations_with_badges(world: World) -> None:
    bare = put_media(world, device="a", at=T0)
    done = put_media(world, device="a", at=T0 + timedelta(minutes=5), **complete(officer_id=world.officer_a.id))
    everything = listing(world)
    assert {r.media.id for r in everything.page.rows} == {bare.id, done.id}
    assert [f.rule.id for f in everything.findings[bare.id]] == ["ART42-REGISTRATION-COMPLETE"]
    only = listing(world, rule="ART42-REGISTRATION-COMPLETE")
    assert [r.media.id for r in only.page.rows] == [bare.id] and only.page.total == 1
    overdue = listing(world, status="overdue")
    assert {r.media.id for r in overdue.page.rows} <= {bare.id}
    assert listing(world, rule="ART41-STORED-24H", status="open").page.total == 0


def test_a_bad_finding_filter_is_a_validation_error(world: World) -> None:
    with pytest.raises(ValidationFailed) as err:
        listing(world, rule="NO-SUCH-RULE", status="whatever")
    assert {p.field for p in err.value.problems} == {"rule", "status"}
