"""The home page by role and the unit dashboard on SQLite and PostgreSQL: the summary's counts
per unit, rule and status against the findings of the real engine (and known numbers), what an
officer, a unit head and a leader find on their home page, a fixed number of statements for 10
or 100 cases, the JSON summary over HTTP, and the page refused without finding:view."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.org import Unit, User
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.services import approvals, auth, cases, devices, findings, org, oversight, users, workbench
from lawtrail.services.context import Ctx
from lawtrail.web.app import create_app
from tests.integration.support import Seed, counting, only_sqlite
from tests.integration.test_approvals_db import DETAILS, People
from tests.integration.test_case_rules_db import open_application
from tests.unit.factories import PASSWORD, T0
from tests.unit.test_rules_vault import media as make_media

H = timedelta(hours=1)
RULES = RuleSettings()
AT = T0 + 20 * H  # the originals' registrations (due T0 + 23 h) and the emergency start's approval are due soon
LATE, SOON, OPEN = FindingStatus.OVERDUE, FindingStatus.DUE_SOON, FindingStatus.OPEN


class World:
    """Unit A (the seed's) with the approval people, unit B with one officer; a camera in each."""

    def __init__(self, seed: Seed) -> None:
        c, sys = seed.container, seed.container.system_ctx("test")
        self.seed, self.p = seed, People(seed)
        self.unit_a = seed.unit
        self.unit_b: Unit = org.create_unit(c.uow(), sys, bureau_id=seed.bureau.id, code="JC2", name="执法稽查二科",
                                            kind="business_section")
        self.li: User = users.create_user(c.uow(), sys, c.deps, unit_id=self.unit_b.id, username="liming",
                                          display_name="李明", roles=["officer"], password=PASSWORD)
        self.admin = seed.admin
        self.cameras = {u.id: devices.create_device(c.uow(), sys, number=f"ZFJLY-{u.code}", type="body_camera",
                                                    unit_id=u.id).id for u in (self.unit_a, self.unit_b)}

    def ctx(self, who: User, now: Any = AT) -> Ctx:
        return replace(self.seed.ctx(who), now=now)

    def media(self, unit: Unit, n: int = 1) -> list[MediaRecord]:
        """``n`` originals of the unit's camera, registered without party, case or category (ART42)."""
        out = []
        with SqlUnitOfWork(self.seed.container.engine) as uow:
            for _ in range(n):
                m = make_media(device_id=self.cameras[unit.id], unit_id=unit.id, bureau_id=self.seed.bureau.id,
                               handed_in_at=T0 - 2 * H, stored_at=T0 - H, captured_at=T0 - 5 * H, created_at=T0)
                uow.media.add(m)
                uow.media.add_registration(Registration(
                    media_id=m.id, version=1, unit_name=unit.name, category="", device_number="D", officer_id=None,
                    officer_name="", used_from=None, used_to=None, party="", case_name="", actor_id=None,
                    actor_name="x", at=T0))
                out.append(m)
            uow.commit()
        return out

    def emergency_case(self) -> uuid.UUID:
        """A case of unit A handled by zhang and wang, started in an emergency: its approval is due
        24 hours later (Art. 9), waiting for the unit head."""
        c, p = self.seed.container, self.p
        case = cases.open_case(c.uow(), self.seed.ctx(p.zhang), unit_id=self.unit_a.id, details=DETAILS,
                               handler_ids=[p.zhang.id, p.wang.id])
        approvals.submit(c.uow(), self.seed.ctx(p.zhang), case.id, step="initiation", opinion="先行启动",
                         emergency=True, emergency_reason="证据可能灭失")
        return case.id


@pytest.fixture
def world(seed: Seed) -> World:
    return World(seed)


def tally(found: Any) -> Counter[tuple[str | None, str, FindingStatus]]:
    return Counter((f.unit_id, f.rule.id, f.status) for f in found)


def test_the_summary_counts_the_engine_s_findings_per_unit_rule_and_status(world: World) -> None:
    c = world.seed.container
    world.media(world.unit_a, 3)
    world.media(world.unit_b, 2)
    world.emergency_case()
    summary = workbench.unit_summary(c.uow(), world.ctx(world.p.leader), settings=RULES, catalogue=c.catalogue)
    assert sorted(u.name for u in summary.units) == ["执法稽查一科", "执法稽查二科"]
    rows = {r.unit_id: r for r in summary.rows}
    a, b = rows[str(world.unit_a.id)], rows[str(world.unit_b.id)]
    by_rule = {(r.unit_id, rc.rule.id): rc.counts for r in summary.rows for rc in r.rules}
    # Known numbers: three and two unregistered originals, one emergency start, all due soon at AT.
    assert by_rule[(a.unit_id, "ART42-REGISTRATION-COMPLETE")].due_soon == 3
    assert by_rule[(b.unit_id, "ART42-REGISTRATION-COMPLETE")].due_soon == 2
    assert by_rule[(a.unit_id, "ART09-EMERGENCY-APPROVAL-24H")].due_soon == 1
    assert b.counts.total == 2 and summary.rows[0] is a  # unit A has more due soon
    # Every finding of the engine is counted once, in its unit, rule and status.
    engine = tally(findings.evaluate(c.uow(), world.ctx(world.p.leader), AT, settings=RULES, catalogue=c.catalogue))
    counted = Counter({(r.unit_id, rc.rule.id, st): rc.counts.get(st) for r in summary.rows for rc in r.rules
                       for st in (LATE, SOON, OPEN) if rc.counts.get(st)})
    assert counted == engine
    assert sum(r.counts.total for r in summary.rows) == sum(engine.values())
    # A unit head counts only their unit; the filters narrow.
    mine = workbench.unit_summary(c.uow(), world.ctx(world.p.head), settings=RULES, catalogue=c.catalogue)
    assert [r.unit_id for r in mine.rows] == [a.unit_id] and mine.rows[0].counts == a.counts
    only = workbench.unit_summary(c.uow(), world.ctx(world.p.leader), settings=RULES, catalogue=c.catalogue,
                                  unit=world.unit_b.id, rule="ART42-REGISTRATION-COMPLETE")
    assert [(r.unit_id, r.counts.due_soon, r.counts.total) for r in only.rows] == [(b.unit_id, 2, 2)]
    assert len(only.units) == 2  # the form still offers every unit of the scope


def test_the_oversight_figures_count_the_same_findings_as_the_engine(world: World) -> None:
    """The supervision dashboard's headline (逾期问题) and the home pages count the same findings:
    the record rules of Art. 8–15 included, which need the record catalogue."""
    c = world.seed.container
    world.media(world.unit_a, 2)
    world.emergency_case()
    open_application(world.seed, world.p, receipt=False)  # no receipt: ART08, a record rule
    later = AT + 48 * H  # everything due is overdue by now
    engine = tally(findings.evaluate(c.uow(), world.ctx(world.p.leader, later), later, settings=RULES,
                                     catalogue=c.catalogue))
    assert any(rule == "ART08-APPLICATION-RECEIPT" for _, rule, _ in engine)
    with c.uow() as uow:
        _, found, _ = oversight.compute(uow, world.seed.bureau.id, None, later, RULES, c.catalogue)
    assert tally(found) == engine


def test_home_of_an_officer_a_unit_head_and_a_leader(world: World) -> None:
    c, p = world.seed.container, world.p
    case_id = world.emergency_case()
    linked, loose = world.media(world.unit_a, 2)
    cases.link_media(c.uow(), c.system_ctx("test"), case_id, linked.id)
    zhang = workbench.workbench(c.uow(), world.ctx(p.zhang), settings=RULES, catalogue=c.catalogue)
    [line] = zhang.my_cases
    # Due soon: the emergency start's approval (Art. 9) and the linked original's registration (Art. 42).
    assert line.case.id == case_id and line.counts == {LATE: 0, SOON: 2, OPEN: 0} and line.worst is SOON
    mine = {(f.subject.type, f.subject.id) for g in zhang.my_findings for f in g.items}
    assert ("media", str(linked.id)) in mine and ("media", str(loose.id)) not in mine
    assert ("case", str(case_id)) in mine
    assert [g.status for g in zhang.my_findings] == [SOON] and zhang.my_findings_total == 2
    assert [a.request.case_id for a in zhang.submitted] == [case_id] and zhang.inbox == []
    assert zhang.archive is None and zhang.system is None
    head = workbench.workbench(c.uow(), world.ctx(p.head), settings=RULES, catalogue=c.catalogue)
    assert [i.case.id for i in head.inbox] == [case_id] and head.my_cases == [] and head.submitted == []
    soon = next(g for g in head.attention if g.status is SOON)
    assert {f.rule.id for f in soon.items} >= {"ART09-EMERGENCY-APPROVAL-24H", "ART42-REGISTRATION-COMPLETE"}
    assert all(g.status in (LATE, SOON) for g in head.attention)
    assert [r.unit_id for r in head.units] == [str(world.unit_a.id)]
    assert head.counts[SOON] == soon.total
    leader = workbench.workbench(c.uow(), world.ctx(p.leader), settings=RULES, catalogue=c.catalogue)
    assert leader.inbox == [] and leader.my_cases == []  # the unit head's opinion comes first
    assert leader.archive is not None and leader.archive.disposals == []
    assert {r.unit_id for r in leader.units} == {str(world.unit_a.id), str(world.unit_b.id)}
    admin = workbench.workbench(c.uow(), world.ctx(world.admin), settings=RULES, catalogue=c.catalogue)
    assert not admin.findings_visible and admin.system is not None and admin.system.units == 2
    assert admin.system.users == 7 and admin.system.devices == 2


def test_the_home_reads_a_fixed_number_of_statements(world: World) -> None:
    c, p = world.seed.container, world.p
    counts: dict[str, list[int]] = {"zhang": [], "head": [], "leader": []}
    for n in (10, 90):  # 10 cases and originals, then 100
        for _ in range(n):
            world.emergency_case()
        world.media(world.unit_a, n)
        for name, who in (("zhang", p.zhang), ("head", p.head), ("leader", p.leader)):
            with counting(c.engine) as statements:
                wb = workbench.workbench(c.uow(), world.ctx(who), settings=RULES, catalogue=c.catalogue)
            counts[name].append(len(statements))
        assert len(wb.units) == 2
        head = workbench.workbench(c.uow(), world.ctx(p.head), settings=RULES, catalogue=c.catalogue)
        assert len(head.inbox) == workbench.SHOWN and head.inbox_total == (10 if n == 10 else 100)
        assert sum(line.counts[SOON] for line in workbench.workbench(
            c.uow(), world.ctx(p.zhang), settings=RULES, catalogue=c.catalogue).my_cases) == (10 if n == 10 else 100)
    assert all(first == second for first, second in counts.values()), counts


def bearer(world: World, user: User) -> dict[str, str]:
    _, raw = auth.create_token(world.seed.container.uow(), world.seed.container.system_ctx("test"), owner_id=user.id,
                               name="summary")
    return {"Authorization": f"Bearer {raw}"}


def test_the_summary_as_json(world: World) -> None:
    world.media(world.unit_b, 2)
    c = world.seed.container
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        body = client.get("/api/v1/findings/summary", headers=bearer(world, world.p.leader)).json()
        assert body["generated_at"].endswith("Z")
        first = body["units"][0]
        assert (first["name"], first["due_soon"], first["open"], first["overdue"], first["total"]) == (
            "执法稽查二科", 0, 2, 0, 2)  # now (T0) they are open, not yet due soon
        assert first["rules"] == [{"rule": "ART42-REGISTRATION-COMPLETE", "article": "第四十二条", "open": 2,
                                   "due_soon": 0, "overdue": 0, "total": 2}]
        assert [u["name"] for u in body["units"]] == ["执法稽查二科", "执法稽查一科"]
        li = client.get("/api/v1/findings/summary", headers=bearer(world, world.li)).json()
        assert [u["name"] for u in li["units"]] == ["执法稽查二科"]
        refused = client.get("/api/v1/findings/summary", headers=bearer(world, world.admin))
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
        bad = client.get("/api/v1/findings/summary?rule=ART99-X", headers=bearer(world, world.p.leader))
        assert bad.status_code == 422


def login(client: TestClient, username: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1)})


@only_sqlite
def test_the_pages_by_role(world: World) -> None:
    world.media(world.unit_b, 2)
    c = world.seed.container
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        login(client, "admin")
        assert client.get("/findings/units").status_code == 403
        home = client.get("/")
        assert home.status_code == 200 and 'id="home-system"' in home.text and 'id="home-units"' not in home.text
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        login(client, "leader")
        page = client.get("/findings/units")
        assert page.status_code == 200 and "单位合规看板" in page.text
        unit_b = str(world.unit_b.id)
        assert f'href="/findings?unit={unit_b}&amp;rule=ART42-REGISTRATION-COMPLETE&amp;status=open"' in page.text
        assert client.get("/findings/units?unit=nope").status_code == 422
        home = client.get("/").text
        assert 'href="/findings/units"' in home and 'id="home-deadlines"' in home
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        login(client, "liming")
        home = client.get("/").text
        assert 'id="home-my-cases"' in home and "您目前没有在办的案件" in home
        units = client.get("/findings/units").text
        assert "执法稽查二科" in units and "执法稽查一科" not in units
