"""Cases on the real databases (SQLite and PostgreSQL): the services' round trip through the SQL
repository, the filters as SQL, append-only history and links (triggers), gapless numbers under
parallel openings, and a refusal that leaves no row behind."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.cases import ActionType, CaseFilter, Stage
from lawtrail.domain.media import MediaType
from lawtrail.domain.org import User
from lawtrail.domain.parties import PartyInput
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import RuleViolation
from lawtrail.services import approvals, devices, users
from lawtrail.services import cases as svc
from lawtrail.services.case_input import CaseDetails
from tests.integration.support import Seed, row_counts
from tests.unit.factories import PASSWORD, T0

DETAILS = CaseDetails(action_type="penalty", procedure="general", origin="inspection",
                      name="某药店销售假药案", cause="涉嫌销售假药")
PARTY = PartyInput(kind="legal_person", name="江门市某某大药房有限公司", id_number="91440300708461136T",
                   legal_rep="周大福", address="江门市江海区", phone="13800138000")


def officer(seed: Seed, name: str, *, valid_to: date = date(2028, 12, 31)) -> User:
    c = seed.container
    return users.create_user(c.uow(), c.system_ctx("test"), c.deps, unit_id=seed.unit.id, username=name,
                             display_name=f"{name}同志", roles=["officer"], password=PASSWORD,
                             cert_number="粤0720261234", cert_valid_from=date(2024, 1, 1), cert_valid_to=valid_to)


@pytest.fixture
def people(seed: Seed) -> tuple[User, User, User]:
    return officer(seed, "zhang"), officer(seed, "wang"), officer(seed, "liu", valid_to=date(2026, 1, 1))


def approve_initiation(seed: Seed, handler: User, case_id: uuid.UUID) -> None:
    """The initiation approval the move to investigation needs (Art. 9): the handler submits, a
    unit head and a leader approve."""
    c = seed.container
    request = approvals.submit(c.uow(), seed.ctx(handler), case_id, step="initiation", opinion="建议立案").request
    for name, role in (("head", "unit_head"), ("leader", "leader")):
        who = users.create_user(c.uow(), c.system_ctx("test"), c.deps, unit_id=seed.unit.id, username=name,
                                display_name=name, roles=[role], password=PASSWORD)
        approvals.act(c.uow(), seed.ctx(who), request.id, decision="approve", opinion="同意")


def test_round_trip_filters_and_open_cases(seed: Seed, people: tuple[User, User, User]) -> None:
    c, (zhang, wang, _) = seed.container, people
    ctx = seed.ctx(zhang)
    case = svc.open_case(c.uow(), ctx, unit_id=seed.unit.id, details=DETAILS, parties=[PARTY],
                         handler_ids=[zhang.id, wang.id], lead_id=wang.id)
    assert case.number == "广市监JC1〔2026〕1号"
    detail = svc.get_case(c.uow(), ctx, case.id)
    assert detail.case == case and detail.parties[0].id_number == PARTY.id_number
    assert [(h.user_id, h.lead) for h, _ in detail.handlers] == [(wang.id, True), (zhang.id, False)]
    approve_initiation(seed, zhang, case.id)
    svc.advance_stage(c.uow(), ctx, case.id, to="investigation")
    second = svc.open_case(c.uow(), ctx, unit_id=seed.unit.id, details=DETAILS, handler_ids=[zhang.id])
    assert second.serial == 2
    with SqlUnitOfWork(c.engine) as uow:
        stored = uow.cases.get(case.id)
        assert stored is not None and stored.stage is Stage.INVESTIGATION and stored.opened_at == T0
        assert [s.to_stage for s in uow.cases.stage_changes(case.id)] == [Stage.INITIATION, Stage.INVESTIGATION]

    def ids(**flt: object) -> list[uuid.UUID]:
        return [x.id for x in svc.list_cases(c.uow(), ctx, CaseFilter(**flt)).items]  # type: ignore[arg-type]

    assert ids() == [second.id, case.id]
    assert ids(stage=Stage.INVESTIGATION) == [case.id]
    assert ids(handler_id=wang.id) == [case.id]
    assert ids(party="大药房") == [case.id]
    assert ids(party="%") == []  # wildcards are taken literally
    assert ids(number="〔2026〕2号") == [second.id]
    assert ids(action_type=ActionType.LICENSING) == []
    assert ids(unit_id=seed.unit.id) == [second.id, case.id]
    page = svc.list_cases(c.uow(), ctx, page=2, page_size=1)
    assert [x.id for x in page.items] == [case.id] and page.total == 2
    assert [x.id for x in svc.open_cases_of(c.uow(), ctx, zhang.id, T0)] == [second.id, case.id]
    assert svc.open_cases_of(c.uow(), ctx, zhang.id, T0 - timedelta(seconds=1)) == []


def _media(seed: Seed, officer_id: uuid.UUID) -> MediaRecord:
    c = seed.container
    device = devices.create_device(c.uow(), c.system_ctx("test"), number=f"D-{uuid.uuid4().hex[:6]}",
                                   type="body_camera", unit_id=seed.unit.id)
    media = MediaRecord(id=uuid.uuid4(), sha256=uuid.uuid4().hex * 2, size=1, media_type=MediaType.VIDEO,
                        original_name="检查.mp4", facts={}, probe_ok=True, device_id=device.id,
                        officer_id=officer_id, unit_id=seed.unit.id, bureau_id=seed.bureau.id, captured_at=T0,
                        captured_end=T0, handed_in_at=T0, stored_at=T0, clock_offset_s=None, ingested_by="t",
                        created_at=T0)
    with SqlUnitOfWork(c.engine) as uow:
        uow.media.add(media)
        uow.commit()
    return media


def test_stage_history_and_media_links_are_append_only(seed: Seed, people: tuple[User, User, User]) -> None:
    c, (zhang, wang, _) = seed.container, people
    ctx = seed.ctx(zhang)
    case = svc.open_case(c.uow(), ctx, unit_id=seed.unit.id, details=DETAILS, handler_ids=[zhang.id, wang.id])
    media = _media(seed, zhang.id)
    svc.link_media(c.uow(), ctx, case.id, media.id, reason="现场检查")
    svc.unlink_media(c.uow(), ctx, case.id, media.id, reason="关联错误")
    assert svc.get_case(c.uow(), ctx, case.id).media == []
    svc.link_media(c.uow(), ctx, case.id, media.id)
    assert [m.id for m in svc.get_case(c.uow(), ctx, case.id).media] == [media.id]
    for statement in ("UPDATE case_stage_changes SET reason = 'x'", "DELETE FROM case_stage_changes",
                      "UPDATE case_media SET linked = false", "DELETE FROM case_media"):
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    if c.engine.dialect.name == "sqlite":
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="REPLACE refused"):
            conn.execute(text("INSERT OR REPLACE INTO case_media SELECT * FROM case_media LIMIT 1"))


def test_a_refused_opening_leaves_no_row_and_no_number(seed: Seed, people: tuple[User, User, User]) -> None:
    c, (zhang, _, expired) = seed.container, people
    before = row_counts(c.engine)
    with pytest.raises(RuleViolation):
        svc.open_case(c.uow(), seed.ctx(zhang), unit_id=seed.unit.id, details=DETAILS,
                      handler_ids=[zhang.id, expired.id])
    assert row_counts(c.engine) == before
    assert svc.open_case(c.uow(), seed.ctx(zhang), unit_id=seed.unit.id, details=DETAILS).serial == 1


def test_parallel_openings_get_distinct_gapless_numbers(seed: Seed, people: tuple[User, User, User]) -> None:
    c, (zhang, _, _) = seed.container, people
    ctx = seed.ctx(zhang)
    opened: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work() -> None:
        try:
            start.wait()
            for _ in range(3):
                opened.append(svc.open_case(c.uow(), ctx, unit_id=seed.unit.id, details=DETAILS).serial)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert sorted(opened) == list(range(1, 25))
    with c.engine.connect() as conn:
        assert conn.execute(text("SELECT last_serial FROM case_numbers")).scalar_one() == 24
