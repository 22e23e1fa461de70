"""Activities, interruptions and the continuity evaluator on SQLite and PostgreSQL, with real media
made by ffmpeg and ingested through the vault (Art. 32, 35, 36)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from lawtrail.domain.org import User
from lawtrail.domain.rules.continuity import ContinuityPolicy
from lawtrail.errors import Conflict
from lawtrail.services import activities as svc
from lawtrail.services import devices, users, vault
from lawtrail.services.activities import ActivityInput
from tests.integration.clip_fixtures import make_clip
from tests.integration.support import Seed, only_sqlite
from tests.unit.factories import PASSWORD, T0

ARRIVED = T0 - timedelta(hours=3)
DEPARTED = ARRIVED + timedelta(minutes=20)
POLICY = ContinuityPolicy()
CAMERAS = ("JM-ZFJLY-101", "JM-ZFJLY-102")


@dataclass
class Scene:
    seed: Seed
    officer: User
    cameras: list[Any]

    def ctx(self) -> Any:
        return self.seed.ctx(self.officer)

    def data(self, **over: Any) -> ActivityInput:
        values: dict[str, Any] = dict(kind="coercive_measure", title="查封某食品厂仓库", place="蓬江区某路1号",
                                      arrived_at=ARRIVED, departed_at=DEPARTED, officer_ids=[self.officer.id],
                                      device_ids=[self.cameras[0].id], uninterrupted_required=True)
        values.update(over)
        return ActivityInput(**values)

    def create(self, **over: Any) -> Any:
        c = self.seed.container
        return svc.create_activity(c.uow(), self.ctx(), unit_id=self.seed.unit.id, data=self.data(**over))

    def ingest(self, path: Path, camera: int = 0) -> None:
        c = self.seed.container
        result = vault.ingest_file(c.uow(), self.seed.ctx(), c.blobs, c.probe, path=path,
                                   device_number=CAMERAS[camera])
        assert result.status == "stored", result


@pytest.fixture
def scene(seed: Seed) -> Scene:
    c = seed.container
    officer = users.create_user(c.uow(), seed.ctx(), c.deps, unit_id=seed.unit.id, username="chenzq",
                                display_name="陈志强", roles=["officer"], password=PASSWORD)
    cams = [devices.create_device(c.uow(), seed.ctx(), number=n, type="body_camera", unit_id=seed.unit.id)
            for n in CAMERAS]
    return Scene(seed, officer, cams)


def test_versions_round_trip_and_correction_keeps_the_old(scene: Scene) -> None:
    c = scene.seed.container
    act = scene.create(device_ids=[scene.cameras[1].id, scene.cameras[0].id], party="某公司")
    got = svc.get_activity(c.uow(), scene.ctx(), act.id)
    assert got == act  # devices keep their order, times come back aware
    fixed = svc.correct_activity(c.uow(), scene.ctx(), act.id, expected_version=1,
                                 data=scene.data(place="蓬江区某路2号"), note="地点笔误")
    assert [v.place for v in svc.activity_versions(c.uow(), scene.ctx(), act.id)] == ["蓬江区某路1号", "蓬江区某路2号"]
    assert svc.get_activity(c.uow(), scene.ctx(), act.id) == fixed
    assert [a.version for a in svc.list_activities(c.uow(), scene.ctx())] == [2]


def test_a_racing_correction_is_a_conflict(scene: Scene) -> None:
    c = scene.seed.container
    act = scene.create()
    with c.uow() as uow, pytest.raises(Conflict) as info:
        uow.activities.add(replace(act, place="别处"))  # the same (id, version) again
    assert info.value.code == "activity.version_taken"


def test_the_four_tables_are_append_only(scene: Scene) -> None:
    c = scene.seed.container
    act = scene.create()
    svc.record_interruption(c.uow(), scene.ctx(), act.id, device_id=scene.cameras[0].id,
                            started_at=ARRIVED + timedelta(minutes=1), ended_at=ARRIVED + timedelta(minutes=2),
                            resumed=True, reason="battery")
    for statement in ("UPDATE activities SET title = 'x'", "DELETE FROM activities",
                      "UPDATE activity_devices SET position = 5", "DELETE FROM activity_devices",
                      "UPDATE activity_officers SET position = 5", "DELETE FROM activity_officers",
                      "UPDATE interruptions SET reason = 'weather'", "DELETE FROM interruptions"):
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))


@only_sqlite
def test_sqlite_replace_over_a_version_is_refused(scene: Scene) -> None:
    act = scene.create()
    with scene.seed.container.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("INSERT OR REPLACE INTO activities SELECT * FROM activities WHERE id = :id"),
                     {"id": act.id.hex})


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {"early": make_clip(folder / "early.mp4", ARRIVED - timedelta(seconds=10), 8 * 60 + 10),
            "late": make_clip(folder / "late.mp4", ARRIVED + timedelta(minutes=13), 7 * 60 + 5),
            "cam2": make_clip(folder / "cam2.mp4", ARRIVED, 20 * 60 + 5),
            "elsewhen": make_clip(folder / "elsewhen.mp4", ARRIVED + timedelta(days=3), 60)}


def test_clips_query_returns_the_overlapping_av_of_the_given_devices(scene: Scene, clips: dict[str, Path]) -> None:
    for name in ("early", "late", "elsewhen"):
        scene.ingest(clips[name])
    scene.ingest(clips["cam2"], camera=1)
    with scene.seed.container.uow() as uow:
        found = uow.media.clips([scene.cameras[0].id], ARRIVED, DEPARTED)
        both = uow.media.clips([scene.cameras[0].id, scene.cameras[1].id], ARRIVED, DEPARTED)
        none = uow.media.clips([], ARRIVED, DEPARTED)
    assert [c.original_name for c in found] == ["early.mp4", "late.mp4"]
    assert found[0].captured_at == ARRIVED - timedelta(seconds=10)
    assert found[0].captured_end is not None and abs(found[0].captured_end - (ARRIVED + timedelta(minutes=8))) \
        < timedelta(seconds=2)
    assert sorted(c.original_name for c in both) == ["cam2.mp4", "early.mp4", "late.mp4"]
    assert none == []


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def test_the_evaluator_on_real_media(scene: Scene, clips: dict[str, Path]) -> None:
    c = scene.seed.container
    scene.ingest(clips["early"])
    scene.ingest(clips["late"])
    act = scene.create()
    found = svc.activity_findings(c.uow(), scene.ctx(), T0, POLICY)
    assert [f.rule.id for f in found] == ["ART35-CONTINUITY"]
    assert "JM-ZFJLY-101" in found[0].message_zh and "5分" in found[0].message_zh
    stop = svc.record_interruption(c.uow(), scene.ctx(), act.id, device_id=scene.cameras[0].id,
                                   started_at=ARRIVED + timedelta(minutes=8), ended_at=ARRIVED + timedelta(minutes=13),
                                   resumed=True, reason=None)
    assert [f.rule.id for f in svc.activity_findings(c.uow(), scene.ctx(), T0, POLICY)] == [
        "ART36-INTERRUPTION-EXPLAINED"]
    svc.complete_interruption(c.uow(), scene.ctx(), stop.id, expected_version=1, reason="storage_full")
    assert svc.activity_findings(c.uow(), scene.ctx(), T0, POLICY) == []
    timeline = svc.continuity(c.uow(), scene.ctx(), act.id, POLICY)
    assert [p.clip.original_name for p in timeline.timelines[0].clips] == ["early.mp4", "late.mp4"]
    assert timeline.interruptions[0].version == 2


def test_the_evaluator_uses_the_same_queries_for_1_or_12_activities(scene: Scene, clips: dict[str, Path]) -> None:
    c = scene.seed.container
    scene.ingest(clips["early"])

    def selects() -> int:
        with counting(c.engine) as statements:
            svc.activity_findings(c.uow(), scene.ctx(), T0, POLICY)
        return len(statements)

    scene.create()
    one = selects()
    for i in range(11):
        act = scene.create(arrived_at=ARRIVED - timedelta(days=i + 1), departed_at=DEPARTED - timedelta(days=i + 1))
        svc.record_interruption(c.uow(), scene.ctx(), act.id, device_id=scene.cameras[0].id,
                                started_at=act.arrived_at, ended_at=None, resumed=False, reason="weather")
    assert selects() == one
    found = sorted(f.rule.id for f in svc.activity_findings(c.uow(), scene.ctx(), T0, POLICY))
    # the first: its gap; each older one: no clip at all, and its interruption lacks report and explanation
    assert found == ["ART32-AV-REQUIRED"] * 11 + ["ART35-CONTINUITY"] + ["ART36-INTERRUPTION-EXPLAINED"] * 11


def test_an_activity_linked_to_a_case_round_trips_and_its_findings_reach_the_case(scene: Scene) -> None:
    """Decision 0042: the link is a column of the version; ``for_case`` follows the version in
    force; the engine's ``case=`` filter includes the activity's findings."""
    from lawtrail.services import cases, findings
    from lawtrail.services.case_input import CaseDetails
    c = scene.seed.container
    case = cases.open_case(c.uow(), scene.ctx(), unit_id=scene.seed.unit.id, details=CaseDetails(
        action_type="coercion", procedure="general", origin="inspection", name="某食品厂查封案",
        cause="涉嫌生产过期食品"),
        handler_ids=[])
    act = scene.create(case_id=case.id)
    assert svc.get_activity(c.uow(), scene.ctx(), act.id).case_id == case.id
    [(linked, found)] = svc.case_activities(c.uow(), scene.ctx(), case.id, POLICY)
    assert linked == act and found  # no footage at all: Art. 35 on it
    on_case = findings.evaluate(c.uow(), scene.ctx(), c.clock.now(), case=case.id, catalogue=c.catalogue)
    assert {f.subject.id for f in on_case if f.subject.type == "activity"} == {str(act.id)}
    svc.correct_activity(c.uow(), scene.ctx(), act.id, expected_version=1, data=scene.data(), note="不属于该案")
    assert svc.case_activities(c.uow(), scene.ctx(), case.id, POLICY) == []
    assert [v.case_id for v in svc.activity_versions(c.uow(), scene.ctx(), act.id)] == [case.id, None]
