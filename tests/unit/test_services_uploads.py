"""The upload use cases against fakes: create, append, finalise, terminate (decision 0011)."""

from __future__ import annotations

import hashlib

import pytest

from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Action
from lawtrail.domain.uploads import encode_metadata
from lawtrail.errors import Conflict, NotFound, PayloadTooLarge, PermissionDenied, ValidationFailed
from lawtrail.services import uploads
from lawtrail.services.uploads import UploadInfo
from tests.unit.factories import World, only_new_event
from tests.unit.fakes import FakeBlobStore, FakeProbe, FakeUploadStaging

OCTETS = "application/offset+octet-stream"


@pytest.fixture
def staging() -> FakeUploadStaging:
    return FakeUploadStaging()


@pytest.fixture
def blobs(staging: FakeUploadStaging) -> FakeBlobStore:
    store = FakeBlobStore()
    store.files = staging.parts
    return store


def create(world: World, staging: FakeUploadStaging, size: int, who: object = None, **meta: str) -> UploadInfo:
    values = {"filename": "clip.mp4", "device": "ZFJLY-A001", **meta}
    return uploads.create_upload(world.uow(), world.ctx(who or world.officer_a), staging,  # type: ignore[arg-type]
                                 length=str(size), metadata=encode_metadata(values), max_bytes=1 << 20)


def send(world: World, staging: FakeUploadStaging, upload_id: str, offset: int, data: bytes,
         who: object = None) -> int:
    _, appender = uploads.begin_append(world.ctx(who or world.officer_a), staging, upload_id,  # type: ignore[arg-type]
                                       offset=str(offset), content_type=OCTETS, content_length=len(data))
    appender.write(data)
    return appender.close()


def finalise(world: World, staging: FakeUploadStaging, blobs: FakeBlobStore, upload_id: str) -> uploads.IngestResult:
    return uploads.finalise(world.uow(), world.ctx(world.officer_a), staging, blobs, FakeProbe(), upload_id)


def test_an_upload_in_two_appends_is_stored_with_one_event(world: World, staging: FakeUploadStaging,
                                                          blobs: FakeBlobStore) -> None:
    data = b"video bytes " * 100
    info = create(world, staging, len(data), sha256=hashlib.sha256(data).hexdigest())
    assert (info.offset, info.length, info.meta.filename, info.complete) == (0, len(data), "clip.mp4", False)
    assert send(world, staging, info.id, 0, data[:500]) == 500
    assert uploads.upload_status(world.ctx(world.officer_a), staging, info.id).offset == 500
    assert send(world, staging, info.id, 500, data[500:]) == len(data)
    before = len(world.events())
    result = finalise(world, staging, blobs, info.id)
    digest = hashlib.sha256(data).hexdigest()
    assert (result.status, result.sha256, result.size) == ("stored", digest, len(data))
    assert blobs.objects[digest] == data and blobs.adopted == 1 and blobs.puts == 0
    event = only_new_event(world, before)
    assert (event.action, event.subject_id) == (Action.MEDIA_INGEST, str(result.media_id))
    assert finalise(world, staging, blobs, info.id) == result  # repeatable, nothing new
    assert len(world.events()) == before + 1
    done = uploads.upload_status(world.ctx(world.officer_a), staging, info.id)
    assert (done.complete, done.offset, done.result) == (True, len(data), result)


def test_a_digest_mismatch_stores_nothing_and_drops_the_upload(world: World, staging: FakeUploadStaging,
                                                               blobs: FakeBlobStore) -> None:
    info = create(world, staging, 5, sha256=hashlib.sha256(b"other").hexdigest())
    send(world, staging, info.id, 0, b"12345")
    before = world.snapshot()
    with pytest.raises(ValidationFailed) as err:
        finalise(world, staging, blobs, info.id)
    assert err.value.code == "upload.digest_mismatch"
    assert world.state == before and blobs.objects == {} and staging.infos == {}


def test_the_same_bytes_twice_answer_with_the_first_record(world: World, staging: FakeUploadStaging,
                                                           blobs: FakeBlobStore) -> None:
    first = create(world, staging, 4)
    send(world, staging, first.id, 0, b"abcd")
    stored = finalise(world, staging, blobs, first.id)
    second = create(world, staging, 4, filename="copy.mp4")
    send(world, staging, second.id, 0, b"abcd")
    before = world.snapshot()
    again = finalise(world, staging, blobs, second.id)
    assert (again.status, again.media_id) == ("duplicate", stored.media_id)
    assert world.state == before and blobs.adopted == 1


def test_offsets_lengths_and_incomplete_uploads(world: World, staging: FakeUploadStaging,
                                                blobs: FakeBlobStore) -> None:
    info = create(world, staging, 10)
    send(world, staging, info.id, 0, b"01234")
    with pytest.raises(Conflict) as wrong:
        send(world, staging, info.id, 0, b"01234")
    assert wrong.value.code == "upload.offset_mismatch"
    with pytest.raises(PayloadTooLarge):
        send(world, staging, info.id, 5, b"0123456789")
    with pytest.raises(Conflict) as early:
        finalise(world, staging, blobs, info.id)
    assert early.value.code == "upload.incomplete"
    with pytest.raises(ValidationFailed):
        uploads.begin_append(world.ctx(world.officer_a), staging, info.id, offset="5", content_type="text/plain",
                             content_length=1)


def test_creation_refusals_write_nothing(world: World, staging: FakeUploadStaging) -> None:
    cases: list[tuple[type[Exception], str, dict[str, object]]] = [
        (ValidationFailed, "upload.empty", {"size": 0}),
        (PayloadTooLarge, "upload.too_large", {"size": (1 << 20) + 1}),
        (NotFound, "device.not_found", {"size": 5, "device": "NO-SUCH"}),
        (NotFound, "device.not_found", {"size": 5, "device": "SZ-0001"}),  # another bureau's camera
        (NotFound, "user.not_found", {"size": 5, "officer": "00000000-0000-0000-0000-000000000001"}),
        (PermissionDenied, "permission_denied", {"size": 5, "who": world.legal_reviewer}),
        (PermissionDenied, "permission_denied", {"size": 5, "who": world.officer_b}),  # unit A's camera
    ]
    for exc, code, kw in cases:
        size = int(kw.pop("size"))  # type: ignore[call-overload]
        who = kw.pop("who", None)
        with pytest.raises(exc) as err:  # type: ignore[var-annotated]
            create(world, staging, size, who, **{k: str(v) for k, v in kw.items()})
        assert err.value.code == code
    assert staging.infos == {} and world.events() == []


def test_only_the_devices_unit_and_bureau_may_continue_or_terminate(world: World, staging: FakeUploadStaging) -> None:
    info = create(world, staging, 10)
    with pytest.raises(PermissionDenied):
        send(world, staging, info.id, 0, b"x", who=world.officer_b)
    with pytest.raises(NotFound):
        uploads.upload_status(world.ctx(world.other_admin), staging, info.id)
    send(world, staging, info.id, 0, b"x", who=world.unit_head_a)
    uploads.terminate(world.ctx(world.archivist), staging, info.id)  # bureau-wide media:ingest
    with pytest.raises(NotFound):
        uploads.upload_status(world.ctx(world.officer_a), staging, info.id)


def test_anyone_with_media_ingest_may_ask_the_server_about_uploads(world: World) -> None:
    uploads.allowed(world.ctx(world.officer_a))
    uploads.allowed(world.ctx(system_actor()))
    with pytest.raises(PermissionDenied):
        uploads.allowed(world.ctx(world.supervisor))
