"""Seeding helpers for Art. 45 tests: a case with handlers and linked originals, and a grant
asked for and approved through the services (so its events are real)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from lawtrail.domain.cases import ActionType, Case, Handler, MediaLink, Origin, Procedure, Stage
from lawtrail.domain.grants import Grant
from lawtrail.domain.org import Unit, User
from lawtrail.services import grants
from tests.unit.factories import T0, World

_serial = itertools.count(1)


def seed_case(world: World, unit: Unit, *, handlers: Sequence[User] = (), media_ids: Sequence[uuid.UUID] = (),
              ended: bool = False, secrecy: str = "ordinary") -> Case:
    """Commit a case of ``unit`` (open, in investigation, unless ``ended``) with its handlers and
    links to ``media_ids``, straight into the store (no events)."""
    n = next(_serial)
    case = Case(
        id=uuid.uuid4(), bureau_id=unit.bureau_id, unit_id=unit.id, number=f"穗市监案〔2026〕{n}号", year=2026,
        serial=n, action_type=ActionType.PENALTY, procedure=Procedure.GENERAL, origin=Origin.INSPECTION,
        origin_detail="", complainant_real_name=None, complainant_name="", complainant_contact="",
        name="涉嫌销售过期食品案", cause="销售过期食品", stage=Stage.ARCHIVE if ended else Stage.INVESTIGATION,
        opened_at=T0 - timedelta(days=3), opened_by="测试", updated_at=T0 - timedelta(days=3),
        ended_at=T0 - timedelta(days=1) if ended else None, secrecy=secrecy)
    with world.uow() as uow:
        uow.cases.add(case)
        uow.cases.set_handlers(case.id, [Handler(case.id, h.id, i == 0, case.opened_at)
                                         for i, h in enumerate(handlers)])
        for media_id in media_ids:
            uow.cases.add_media_link(MediaLink(uuid.uuid4(), case.id, media_id, True, case.opened_at, None, "测试",
                                               ""))
        uow.commit()
    return case


def grant_for(world: World, who: User, *, media_ids: Sequence[uuid.UUID] = (), case_id: uuid.UUID | None = None,
              approver: User | None = None, now: datetime = T0, days: int = 7) -> Grant:
    """``who`` asks (now, for ``days``) and ``approver`` (the leader) approves; return the grant."""
    asked = grants.request_access(world.uow(), world.ctx(who, now=now), purpose="复核案件证据",
                                  media_ids=media_ids, case_id=case_id, ends_at=now + timedelta(days=days))
    return grants.approve(world.uow(), world.ctx(approver or world.leader, now=now), asked.request.id)
