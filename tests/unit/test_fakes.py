"""The fakes keep the contracts the service tests rely on; if they lied, those tests would too."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lawtrail.errors import NotFound
from tests.unit.factories import T0, World, make_event, make_unit, refused
from tests.unit.fakes import FakeHasher, FakeIntegrityError, FakeTotp, FakeUnitOfWork


def test_leaving_without_commit_discards_the_changes(world: World) -> None:
    unit = make_unit(world.bureau)
    with world.uow() as uow:
        uow.units.add(unit)
        uow.events.append(make_event())
        assert uow.units.get(unit.id) == unit  # visible inside the transaction
    assert unit.id not in world.state.units
    assert world.events() == []


def test_an_exception_discards_the_changes(world: World) -> None:
    unit = make_unit(world.bureau)
    with pytest.raises(RuntimeError), world.uow() as uow:
        uow.units.add(unit)
        uow.commit()
        uow.events.append(make_event())
        raise RuntimeError("boom")
    assert world.state.units[unit.id] == unit  # committed before the failure
    assert world.events() == []  # appended after the commit: gone


def test_rollback_returns_to_the_last_commit(world: World) -> None:
    with world.uow() as uow:
        uow.events.append(make_event())
        uow.rollback()
        assert uow.events.count() == 0
        uow.events.append(make_event())
        uow.commit()
    assert [e.seq for e in world.events()] == [0]


def test_repositories_refuse_use_outside_the_block(world: World) -> None:
    uow = world.uow()
    with pytest.raises(RuntimeError):
        uow.units.get(world.unit_a.id)


def test_events_get_gapless_seq_and_are_listed_newest_first() -> None:
    uow = FakeUnitOfWork()
    with uow:
        stored = [uow.events.append(make_event(subject_id=str(i % 2))) for i in range(5)]
        uow.commit()
    assert [e.seq for e in stored] == [0, 1, 2, 3, 4]
    with uow:
        assert [e.seq for e in uow.events.list()] == [4, 3, 2, 1, 0]
        assert [e.seq for e in uow.events.list(subject_id="1", limit=1)] == [3]
        assert [e.seq for e in uow.events.list(before_seq=2)] == [1, 0]


def test_stored_events_cannot_be_changed_through_what_is_returned() -> None:
    uow = FakeUnitOfWork()
    with uow:
        event = uow.events.append(make_event())
        assert event.after is not None
        event.after["name"] = "篡改"
        assert uow.events.list()[0].after == {"name": "新名称：执法稽查科"}


def test_constraints_and_naive_times_are_refused(world: World) -> None:
    with world.uow() as uow:
        with pytest.raises(FakeIntegrityError):
            uow.units.add(make_unit(world.bureau, code=world.unit_a.code))
        with pytest.raises(FakeIntegrityError):
            uow.units.add(make_unit(world.bureau, created_at=datetime(2026, 1, 1)))
        with pytest.raises(FakeIntegrityError):
            uow.events.append(make_event(occurred_at=datetime(2026, 1, 1)))


def test_refused_notices_a_write(world: World) -> None:
    def writes_then_fails() -> None:
        with world.uow() as uow:
            uow.events.append(make_event())
            uow.commit()
        raise NotFound("无", "none")

    with pytest.raises(AssertionError, match="changed the stored state"):
        refused(world, NotFound, writes_then_fails)


def test_hasher_really_compares() -> None:
    hasher = FakeHasher()
    hashed = hasher.hash("密码-correct-1")
    assert hashed != hasher.hash("密码-correct-1")  # salted
    assert hasher.verify(hashed, "密码-correct-1")
    assert not hasher.verify(hashed, "密码-correct-2")
    assert not hasher.verify("garbage", "密码-correct-1")


def test_totp_accepts_one_step_of_drift_only() -> None:
    totp = FakeTotp()
    secret = totp.new_secret()
    code = totp.code_at(secret, T0)
    assert totp.verify(secret, code, T0 + timedelta(seconds=30))
    assert not totp.verify(secret, code, T0 + timedelta(seconds=90))
    assert totp.code_at("FAKESECRETAAAAAAAA", T0) != totp.code_at("FAKESECRETBBBBBBBB", T0)


def test_attachment_counts_agree_with_the_service_read(world: World) -> None:
    """``attachment_counts`` (decision 0044) counts what ``service_facts`` counts: attachments of
    purpose ``attachment`` of the records of the kinds asked for, of cases in scope at the stages."""
    import uuid
    from dataclasses import replace

    from lawtrail.domain.cases import Stage
    from lawtrail.domain.records import Attachment
    from tests.unit.test_records_domain import case, version

    state = world.db.state
    at_service = case(bureau_id=world.bureau.id, stage=Stage.SERVICE)
    early = replace(at_service, id=uuid.uuid4(), stage=Stage.INVESTIGATION)
    state.cases.update({at_service.id: at_service, early.id: early})
    served = version(at_service, "service_postal", Stage.SERVICE)
    other = version(at_service, "inquiry_record", Stage.INVESTIGATION)
    too_early = version(early, "service_postal", Stage.SERVICE)
    state.record_versions += [served, replace(served, id=uuid.uuid4(), version=2), other, too_early]
    for record, purpose in ((served, "attachment"), (served, "attachment"), (served, "signature"),
                            (other, "attachment"), (too_early, "attachment")):
        state.record_attachments.append(Attachment(uuid.uuid4(), record.record_id, "0" * 64, 1, "a.pdf",
                                                   "application/pdf", purpose, T0, None, "x"))
    kinds, stages = ("service_postal",), (Stage.SERVICE,)
    with world.uow() as uow:
        counts = uow.records.attachment_counts(world.bureau.id, None, kinds, stages)
        read = uow.records.service_facts(world.bureau.id, None, kinds, stages)
    assert counts == read.attachments == {served.record_id: 2}
