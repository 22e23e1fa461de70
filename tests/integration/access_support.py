"""Access grants on a real database: a leader, and a grant asked for and approved through the
services (Art. 45), for the integration and HTTP tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from lawtrail.domain.grants import Grant
from lawtrail.domain.org import Unit, User
from lawtrail.services import grants, users
from lawtrail.services.users import actor_for
from tests.integration.support import Seed
from tests.unit.factories import PASSWORD


def make_leader(seed: Seed, unit: Unit, username: str = "zhangjz", name: str = "张局长") -> User:
    c = seed.container
    return users.create_user(c.uow(), c.system_ctx("init"), c.deps, unit_id=unit.id, username=username,
                             display_name=name, roles=["leader"], password=PASSWORD)


def approved_grant(seed: Seed, who: User, leader: User, *, media_ids: Sequence[uuid.UUID] = (),
                   case_id: uuid.UUID | None = None, days: int = 7) -> Grant:
    c = seed.container
    asking = c.ctx(actor_for(who), "req-ask")
    asked = grants.request_access(c.uow(), asking, purpose="复核证据", media_ids=media_ids, case_id=case_id,
                                  ends_at=asking.now + timedelta(days=days))
    return grants.approve(c.uow(), c.ctx(actor_for(leader), "req-approve"), asked.request.id)
