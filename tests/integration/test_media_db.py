"""The media repository and services on SQLite and PostgreSQL: the list's set-based filters agree
with the domain's ``missing_items``, neighbours, versions, recorded reads and refusals."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from lawtrail.domain.events import Action
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaFilter, Registration, missing_items
from lawtrail.errors import Conflict, PermissionDenied, RuleViolation
from lawtrail.services import media as svc
from tests.integration.media_support import Vault, seed_vault
from tests.integration.support import Seed
from tests.unit.factories import T0


@pytest.fixture
def vault(seed: Seed) -> Vault:
    return seed_vault(seed)


def found(vault: Vault, **kw: object) -> set[uuid.UUID]:
    page = svc.list_media(vault.seed.container.uow(), vault.ctx(vault.archivist), **kw)  # type: ignore[arg-type]
    return {r.media.id for r in page.rows}


def test_every_filter_on_the_database(vault: Vault) -> None:
    hit = vault.put(at=T0 - timedelta(hours=30), kind=MediaType.AUDIO, officer=vault.officer_a, category="penalty",
                    party="江门市蓬江区某超市", case_name="无照经营案")
    miss = vault.put(device=vault.device_b, officer=vault.officer_b, category="inspection", party="某食品公司",
                     case_name="涉嫌销售过期食品案_100%")
    bare = vault.put(device=vault.device_b, at=T0 - timedelta(hours=1))
    assert found(vault) == {hit.id, miss.id, bare.id}
    assert found(vault, unit_id=vault.seed.unit.id) == {hit.id}
    assert found(vault, category="penalty") == {hit.id}
    assert found(vault, device_number="a001") == {hit.id}
    assert found(vault, officer_id=vault.officer_b.id) == {miss.id}
    assert found(vault, used_from=T0 - timedelta(hours=31), used_to=T0 - timedelta(hours=29)) == {hit.id}
    assert found(vault, used_from=T0 - timedelta(minutes=30)) == {miss.id}
    assert found(vault, party="蓬江") == {hit.id}
    assert found(vault, case_name="过期") == {miss.id}
    assert found(vault, case_name="_100%") == {miss.id}
    assert found(vault, case_name="%") == {miss.id}  # a literal percent sign, not a wildcard
    assert found(vault, case_name="a_b") == set()
    assert found(vault, media_type="audio") == {hit.id}
    assert found(vault, incomplete=True) == {bare.id}
    assert found(vault, incomplete=False) == {hit.id, miss.id}
    # An officer of unit A sees unit A's originals only.
    page = svc.list_media(vault.seed.container.uow(), vault.ctx(vault.officer_a))
    assert {r.media.id for r in page.rows} == {hit.id}


def test_incomplete_in_sql_is_exactly_missing_items(vault: Vault) -> None:
    """Every combination of empty items: the SQL filter and the pure function agree."""
    blanks = {"unit_name": "", "category": "", "device_number": "", "officer": None, "used": None, "party": "",
              "case_name": ""}
    made = []
    for n, combo in enumerate(itertools.chain.from_iterable(
            itertools.combinations(blanks, k) for k in (0, 1, 2, 7))):
        values = {"unit_name": "一科", "category": "inspection", "device_number": "ZFJLY-A001", "party": "甲",
                  "case_name": "乙"}
        values |= {k: "" for k in combo if k in values}
        officer = None if "officer" in combo else vault.officer_a
        media = vault.put(at=None if "used" in combo else T0 - timedelta(minutes=n), officer=officer, **values)
        made.append(media.id)
    c = vault.seed.container
    with c.uow() as uow:
        rows, total = uow.media.search(MediaFilter(bureau_id=vault.seed.bureau.id, limit=500))
        flagged, _ = uow.media.search(MediaFilter(bureau_id=vault.seed.bureau.id, incomplete=True, limit=500))
    assert total == len(made)
    assert {r.media.id for r in flagged} == {r.media.id for r in rows if missing_items(r.registration)}
    assert len(flagged) == len(made) - 1  # only the first (no blank item) is complete


def test_the_latest_version_is_what_the_list_filters(vault: Vault) -> None:
    media = vault.put(case_name="旧案由")
    svc.correct_registration(vault.seed.container.uow(), vault.ctx(vault.archivist), media.id, unit_name="一科",
                             category="inspection", device_number="ZFJLY-A001", officer_id=vault.officer_a.id,
                             used_from=T0, used_to=T0 + timedelta(seconds=2), party="甲", case_name="新案由",
                             reason="案由有误")
    assert found(vault, case_name="旧案由") == set()
    assert found(vault, case_name="新案由") == {media.id}
    assert found(vault, incomplete=False) == {media.id}
    regs = svc.registrations(vault.seed.container.uow(), vault.ctx(vault.archivist), media.id)
    assert [(r.version, r.case_name) for r in regs] == [(1, "旧案由"), (2, "新案由")]


def test_pagination_and_order(vault: Vault) -> None:
    made = [vault.put(at=T0 - timedelta(minutes=i)) for i in range(5)]
    undated = vault.put(at=None)
    c = vault.seed.container
    pages = [svc.list_media(c.uow(), vault.ctx(vault.archivist), page=p, per_page=2) for p in (1, 2, 3)]
    assert [p.total for p in pages] == [6, 6, 6]
    order = [r.media.id for p in pages for r in p.rows]
    assert order[0] in (made[0].id, undated.id) and len(set(order)) == 6
    assert order.index(made[1].id) < order.index(made[4].id)


def test_neighbours(vault: Vault) -> None:
    target = vault.put(at=T0, officer=vault.officer_a)
    same_device = vault.put(at=T0 + timedelta(hours=1))
    same_officer = vault.put(device=vault.device_b, at=T0 - timedelta(hours=2), officer=vault.officer_a)
    vault.put(device=vault.device_b, at=T0)  # neither
    vault.put(at=T0 + timedelta(hours=9))  # too far
    with vault.seed.container.uow() as uow:
        rows = uow.media.neighbours(vault.seed.bureau.id, None, exclude=target.id, device_id=vault.device_a.id,
                                    officer_id=vault.officer_a.id, start=T0 - timedelta(hours=4),
                                    end=T0 + timedelta(hours=4))
        scoped = uow.media.neighbours(vault.seed.bureau.id, frozenset({vault.seed.unit.id}), exclude=target.id,
                                      device_id=vault.device_a.id, officer_id=vault.officer_a.id,
                                      start=T0 - timedelta(hours=4), end=T0 + timedelta(hours=4))
    assert {r.media.id for r in rows} == {same_device.id, same_officer.id}
    assert {r.media.id for r in scoped} == {same_device.id}


def test_a_taken_version_is_a_conflict_and_rows_stay_write_once(vault: Vault) -> None:
    media = vault.put()
    c = vault.seed.container
    with c.uow() as uow:
        first = uow.media.registrations(media.id)[0]
    with pytest.raises(Conflict) as err, c.uow() as uow:
        uow.media.add_registration(Registration(**{**vars(first), "party": "抢先"}))
    assert err.value.code == "media.registration_stale"
    with pytest.raises(Exception), c.engine.begin() as conn:  # noqa: B017  # the trigger's error differs per engine
        conn.execute(text("UPDATE media_registrations SET party = 'x'"))


def test_reads_and_refusals_are_recorded_on_the_database(vault: Vault) -> None:
    c = vault.seed.container
    media = vault.put(device=vault.device_b)
    with c.uow() as uow:
        before = uow.events.count()
    svc.open_original(c.uow(), vault.ctx(vault.archivist), c.blobs, media.id, purpose="view")
    with pytest.raises(PermissionDenied):
        svc.open_original(c.uow(), vault.ctx(vault.officer_a), c.blobs, media.id, purpose="download")
    with pytest.raises(RuleViolation):
        svc.refuse_alteration(c.uow(), vault.ctx(vault.archivist), media.id, attempt="delete")
    events = svc.media_trail(c.uow(), vault.ctx(vault.archivist), media.id)
    assert [e.action for e in events] == [Action.MEDIA_ALTER_REFUSED, Action.MEDIA_READ_REFUSED, Action.MEDIA_VIEW]
    with c.uow() as uow:
        assert uow.events.count() == before + 3
        assert uow.media.get(media.id) == media
