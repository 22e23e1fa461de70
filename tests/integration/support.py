"""Helpers for the integration layer: seeding through the real services, counting rows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select

from lawtrail.adapters.db.statements import counting as counting  # (re-exported: the tests import it from here)
from lawtrail.adapters.db.tables import metadata
from lawtrail.bootstrap import Container
from lawtrail.domain.org import Bureau, Unit, User
from lawtrail.services import org, users
from lawtrail.services.context import Ctx
from lawtrail.services.users import actor_for
from tests.unit.factories import PASSWORD

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
#: Narrow a test to one engine (overrides the ``db_url`` fixture's params; no database is
#: created for the other engine).
only_sqlite = pytest.mark.parametrize("db_url", [ENGINES[0]], indirect=True)
only_postgresql = pytest.mark.parametrize("db_url", [ENGINES[1]], indirect=True)


@dataclass
class Seed:
    container: Container
    bureau: Bureau
    unit: Unit
    admin: User

    def ctx(self, user: User | None = None, request_id: str | None = "req-it") -> Ctx:
        return self.container.ctx(actor_for(user or self.admin), request_id)


def seed_bureau(container: Container) -> Seed:
    system = container.system_ctx("init")
    bureau = org.create_bureau(container.uow(), system, code="GZSCJ", name="广州市市场监督管理局")
    unit = org.create_unit(container.uow(), system, bureau_id=bureau.id, code="JC1", name="执法稽查一科",
                           kind="business_section")
    admin = users.create_user(container.uow(), system, container.deps, unit_id=unit.id, username="admin",
                              display_name="系统管理员", roles=["admin"], password=PASSWORD)
    return Seed(container, bureau, unit, admin)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema (plus the ledger size), to prove nothing was written."""
    with engine.connect() as conn:
        counts = {name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                  for name, table in metadata.tables.items()}
        counts["ledger_head.size"] = int(conn.execute(select(metadata.tables["ledger_head"].c.size)).scalar_one())
    return counts


