"""Retention, holds and disposal services against the fakes: the two-person path to a signed
certificate with the bytes gone, and every refusal leaving the store exactly as it was."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lawtrail.adapters.signer import Ed25519Signer
from lawtrail.domain.archive import DisposalStatus
from lawtrail.domain.evidence import RetentionPolicy
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import InvalidTransition, PermissionDenied, RuleViolation
from lawtrail.services import disposal, retention, vault_verify
from tests.unit.factories import T0, World, refused, seeded_world
from tests.unit.fakes import FakeBlobStore

POLICY = RetentionPolicy(6)


def stored(world: World, blobs: FakeBlobStore, months_ago: int) -> MediaRecord:
    blob = blobs.put_stream(_Once(uuid.uuid4().bytes * 8))
    at = T0 - timedelta(days=31 * months_ago)
    device = world.devices["a"]
    media = MediaRecord(id=uuid.uuid4(), sha256=blob.sha256, size=blob.size, media_type=MediaType.VIDEO,
                        original_name="x.mp4", facts={}, probe_ok=True, device_id=device.id, officer_id=None,
                        unit_id=device.unit_id, bureau_id=device.bureau_id, captured_at=at, captured_end=at,
                        handed_in_at=at, stored_at=at, clock_offset_s=None, ingested_by="t", created_at=at)
    with world.uow() as uow:
        uow.media.add(media)
        uow.commit()
    return media


class _Once:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1, /) -> bytes:
        data, self.data = self.data, b""
        return data


def signer() -> Ed25519Signer:
    return Ed25519Signer(Ed25519PrivateKey.generate(), "test/ledger")


def test_two_people_dispose_of_an_expired_original_and_the_certificate_verifies() -> None:
    world, blobs, key = seeded_world(), FakeBlobStore(), signer()
    media = stored(world, blobs, 7)
    proposal = disposal.propose_disposal(world.uow(), world.ctx(world.archivist), policy=POLICY,
                                         media_ids=[media.id], reason="期满")
    outcome = disposal.approve_disposal(world.uow(), world.ctx(world.leader), blobs, key, policy=POLICY,
                                        disposal_id=proposal.id, note="同意")
    assert outcome.disposal.status is DisposalStatus.DISPOSED and not blobs.exists(media.sha256)
    assert media.id in world.state.media  # the row stays
    cert = outcome.disposal.decisions[-1].certificate
    assert cert is not None
    Ed25519PublicKey.from_public_bytes(key.public_key).verify(base64.b64decode(cert["signature"]["value"]),
                                                               canonical_json(cert["body"]))
    assert [e.action for e in world.events()][-3:] == ["archive:disposal:propose", "archive:disposal:approve",
                                                       "archive:disposal:execute"]
    assert cert["body"]["ledger"]["index"] == world.events()[-1].seq
    report = vault_verify.verify_vault(world.uow(), world.ctx(world.supervisor), blobs)
    assert report.disposed == [media.sha256] and report.clean


def test_refusals_leave_everything_as_it_was() -> None:
    world, blobs, key = seeded_world(), FakeBlobStore(), signer()
    fresh, old = stored(world, blobs, 3), stored(world, blobs, 8)
    err = refused(world, RuleViolation, lambda: disposal.propose_disposal(
        world.uow(), world.ctx(world.archivist), policy=POLICY, media_ids=[fresh.id], reason="x"))
    assert err.code == "archive.unexpired"
    refused(world, PermissionDenied, lambda: disposal.propose_disposal(
        world.uow(), world.ctx(world.leader), policy=POLICY, media_ids=[old.id], reason="x"))
    proposal = disposal.propose_disposal(world.uow(), world.ctx(world.archivist), policy=POLICY,
                                         media_ids=[old.id], reason="期满")
    refused(world, PermissionDenied, lambda: disposal.approve_disposal(
        world.uow(), world.ctx(world.archivist), blobs, key, policy=POLICY, disposal_id=proposal.id))
    retention.place_hold(world.uow(), world.ctx(world.archivist), target="media", target_id=old.id, reason="诉讼")
    err = refused(world, RuleViolation, lambda: disposal.approve_disposal(
        world.uow(), world.ctx(world.leader), blobs, key, policy=POLICY, disposal_id=proposal.id))
    assert err.code == "archive.held" and blobs.exists(old.sha256)
    refused(world, InvalidTransition, lambda: disposal.execute_disposal(
        world.uow(), world.ctx(world.archivist), blobs, key, policy=POLICY, disposal_id=proposal.id))
