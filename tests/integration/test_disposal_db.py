"""Retention, legal holds and two-person disposal on the real databases (SQLite and PostgreSQL):
the whole path from proposal to certificate with the bytes gone, every forbidden disposal
refused writing nothing, ``vault verify`` telling disposed from missing, append-only tables."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.domain.archive import Disposal, DisposalStatus
from lawtrail.domain.evidence import RetentionPolicy
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import parse_vkey
from lawtrail.errors import Conflict, InvalidTransition, LawtrailError, PermissionDenied, RuleViolation
from lawtrail.services import disposal, evidence, retention, vault_verify
from tests.integration.archive_support import World, build_world, make_media_files
from tests.integration.support import Seed, row_counts

POLICY = RetentionPolicy(6)


@pytest.fixture(scope="module")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_media_files(tmp_path_factory.mktemp("media"))


@pytest.fixture
def world(seed: Seed, media_files: tuple[Path, Path], tmp_path: Path) -> World:
    return build_world(seed, media_files, tmp_path / "keys")


def propose(world: World, *media_ids: object) -> Disposal:
    return disposal.propose_disposal(world.uow(), world.ctx(world.archivist), policy=POLICY,
                                     media_ids=list(media_ids), reason="保存期限届满，无保存价值")  # type: ignore[arg-type]


def approve(world: World, d_id: object, who: object = None) -> disposal.Outcome:
    c = world.seed.container
    return disposal.approve_disposal(world.uow(), world.ctx(who or world.leader), c.blobs,  # type: ignore[arg-type]
                                     world.signer, policy=POLICY, disposal_id=d_id, note="同意销毁")  # type: ignore[arg-type]


def test_an_expired_original_is_disposed_of_by_two_people_with_a_signed_certificate(world: World) -> None:
    c = world.seed.container
    old = world.put_old(8)
    proposal = propose(world, old.id)
    assert proposal.status is DisposalStatus.PROPOSED and c.blobs.exists(old.sha256)
    outcome = approve(world, proposal.id)
    done = outcome.disposal
    assert outcome.locked is None and done.status is DisposalStatus.DISPOSED
    assert not c.blobs.exists(old.sha256)
    with world.uow() as uow:  # the row, its digest and its ledger entries stay
        assert uow.media.get(old.id) is not None
        trail = uow.events.list(subject_type="disposal", subject_id=str(done.id), limit=10)
    assert [e.action for e in reversed(trail)] == ["archive:disposal:propose", "archive:disposal:approve",
                                                   "archive:disposal:execute"]
    execute = done.decisions[-1]
    cert = execute.certificate
    assert cert is not None and execute.ledger_index == trail[0].seq
    body = cert["body"]
    assert body["ledger"]["index"] == trail[0].seq  # type: ignore[index]
    assert [i["sha256"] for i in body["items"]] == [old.sha256]  # type: ignore[index]
    assert body["proposed"]["by"] == "吴丽华" and body["approved"]["by"] == "黄建国"  # type: ignore[index]
    key = parse_vkey(cert["signature"]["vkey"])  # type: ignore[index]
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(
        base64.b64decode(cert["signature"]["value"]), canonical_json(body))  # type: ignore[index]
    report = vault_verify.verify_vault(c.uow(), c.system_ctx("t"), c.blobs)
    assert report.clean and report.disposed == [old.sha256]


def test_verify_reports_a_disposed_original_as_disposed_and_a_lost_one_as_missing(world: World) -> None:
    c = world.seed.container
    gone, lost = world.put_old(9, "a.mp4"), world.put_old(9, "b.mp4")
    approve(world, propose(world, gone.id).id)
    c.blobs.dispose(lost.sha256)  # bytes lost without any disposal
    report = vault_verify.verify_vault(c.uow(), c.system_ctx("t"), c.blobs)
    assert report.disposed == [gone.sha256]
    assert [(p.sha256, p.kind) for p in report.problems] == [(lost.sha256, "missing")]


def _refused(world: World, exc: type[LawtrailError], call: object) -> LawtrailError:
    c = world.seed.container
    before, stored = row_counts(c.engine), sorted(c.blobs.iter_digests())
    with pytest.raises(exc) as info:
        call()  # type: ignore[operator]
    assert row_counts(c.engine) == before and sorted(c.blobs.iter_digests()) == stored
    return info.value


def test_each_forbidden_disposal_is_refused_and_writes_nothing(world: World) -> None:
    c = world.seed.container
    archivist = world.ctx(world.archivist)
    fresh = world.put_old(2, "fresh.mp4")
    err = _refused(world, RuleViolation, lambda: propose(world, fresh.id))
    assert err.code == "archive.unexpired" and err.article == "第四十三条"
    filed = world.media[0]  # in the concluded case's file: archival, 30 years
    err = _refused(world, RuleViolation, lambda: propose(world, filed.id))
    assert err.code == "archive.unexpired" and err.article == "第三十九条"
    proof = world.put_old(8, "evidence.mp4")
    evidence.mark_media(c.uow(), world.ctx(world.officer), proof.id, policy=POLICY, evidence=True, collector="陈志强",
                        place="某超市")
    err = _refused(world, RuleViolation, lambda: propose(world, proof.id))
    assert err.code == "archive.evidence" and "第四十三条" in (err.article or "")
    assert "作为行政执法证据" in err.message_zh and "evidence" in err.message_en
    incident = world.put_old(8, "incident.mp4")
    evidence.mark_media(c.uow(), world.ctx(world.officer), incident.id, policy=POLICY, evidence=False,
                        situations=["obstruction"])
    err = _refused(world, RuleViolation, lambda: propose(world, incident.id))
    assert err.code == "archive.long_term" and err.article == "第四十四条"
    held = world.put_old(8, "held.mp4")
    retention.place_hold(c.uow(), archivist, target="media", target_id=held.id, reason="行政复议中")
    err = _refused(world, RuleViolation, lambda: propose(world, held.id))
    assert err.code == "archive.held"
    _refused(world, PermissionDenied, lambda: disposal.propose_disposal(
        world.uow(), world.ctx(world.officer), policy=POLICY, media_ids=[held.id], reason="x"))


def test_approval_needs_a_second_person_with_the_right_and_rechecks_the_items(world: World) -> None:
    c = world.seed.container
    old, other = world.put_old(8), world.put_old(8, "other.mp4")
    proposal = propose(world, old.id)
    _refused(world, PermissionDenied, lambda: approve(world, proposal.id, world.archivist2))  # no archive:approve
    _refused(world, PermissionDenied, lambda: approve(world, proposal.id, world.officer))
    with pytest.raises(Conflict) as pending:
        propose(world, old.id)
    assert pending.value.code == "archive.pending"
    # a hold placed after the proposal stops the approval, and nothing is written
    hold = retention.place_hold(c.uow(), world.ctx(world.archivist2), target="case", target_id=world.case.id,
                                reason="诉讼保全")
    second = propose(world, other.id)
    retention.place_hold(c.uow(), world.ctx(world.archivist2), target="media", target_id=other.id, reason="投诉处理中")
    err = _refused(world, RuleViolation, lambda: approve(world, second.id))
    assert err.code == "archive.held"
    retention.release_hold(c.uow(), world.ctx(world.archivist2), hold.id, reason="诉讼终结")
    with pytest.raises(Conflict):
        retention.release_hold(c.uow(), world.ctx(world.archivist2), hold.id, reason="again")
    rejected = disposal.reject_disposal(world.uow(), world.ctx(world.leader), policy=POLICY, disposal_id=proposal.id,
                                        note="仍有保存价值")
    assert rejected.status is DisposalStatus.REJECTED and c.blobs.exists(old.sha256)
    again = propose(world, old.id)  # a rejected proposal frees its originals
    assert approve(world, again.id).disposal.status is DisposalStatus.DISPOSED


def test_the_proposer_cannot_approve_even_holding_both_rights(world: World) -> None:
    from lawtrail.services import users
    c = world.seed.container
    both = users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=world.seed.unit.id, username="both",
                             display_name="兼任者", roles=["archivist", "leader"], password="Passw0rd!Passw0rd")
    old = world.put_old(8)
    proposal = disposal.propose_disposal(world.uow(), world.ctx(both), policy=POLICY, media_ids=[old.id],
                                         reason="期满")
    err = _refused(world, InvalidTransition, lambda: approve(world, proposal.id, both))
    assert err.code == "archive.same_person"


def test_retention_is_raised_only_upwards_and_the_preview_is_set_based(world: World) -> None:
    c = world.seed.container
    old = world.put_old(8)
    ctx = world.ctx(world.archivist)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    retention.raise_retention(c.uow(), ctx, old.id, policy=POLICY, retention="standard", until=later,
                              reason="可能涉及行政诉讼")
    err = _refused(world, RuleViolation, lambda: retention.raise_retention(
        c.uow(), ctx, old.id, policy=POLICY, retention="standard", until=later - timedelta(days=1), reason="缩短"))
    assert err.code == "archive.override_down"
    rows = {r.facts.media.id: r for r in retention.retention_list(c.uow(), ctx, POLICY)}
    assert rows[old.id].retention.until == later and not rows[old.id].disposable
    seven = world.put_old(7, "seven.mp4")
    found = retention.preview_policy(c.uow(), ctx, RetentionPolicy(12), POLICY)
    assert [f.media.id for f, _ in found] == [seven.id]  # not the raised one, not the case file's


def test_the_archive_tables_are_append_only(world: World) -> None:
    old = world.put_old(8)
    approve(world, propose(world, old.id).id)
    retention.place_hold(world.seed.container.uow(), world.ctx(world.archivist), target="media",
                         target_id=old.id, reason="x")
    engine = world.seed.container.engine
    for statement in ("UPDATE disposal_decisions SET note = 'x'", "DELETE FROM disposal_items",
                      "DELETE FROM disposals", "UPDATE legal_holds SET reason = 'x'"):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
