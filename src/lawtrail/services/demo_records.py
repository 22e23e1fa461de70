"""How one demo record is made, through the record services (each step in the trail): the
record, its signatures and witnessed refusals, a scan attached (service proofs), a correction,
and a small generated photo (taken with one of the bureau's cameras) stored in the vault as an
original, registered from and linked to the case, as the record's simultaneous AV record
(Art. 14, 32, 42).

The photos are tiny JPEGs made here with Pillow (a coloured card with EXIF: camera, serial,
the time taken), so the demo needs no sample files and each photo's bytes are its own."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from PIL import Image

from lawtrail.domain.cases import Case
from lawtrail.domain.devices import Device, DeviceStatus, DeviceType
from lawtrail.domain.org import BUREAU_TZ, User
from lawtrail.domain.records import RecordVersion
from lawtrail.services import ingest, records
from lawtrail.services.context import Ctx
from lawtrail.services.ports import BlobStore, CatalogueSource, MediaProbe, UnitOfWork

NOW = "{now}"  # replaced by the time the record is made (bureau clock, minutes)
TODAY = "{today}"  # replaced by the bureau's date that day
YESTERDAY = "{yesterday}"  # replaced by the day before
IN_15_DAYS = "{in15}"  # replaced by the date fifteen days later


@dataclass(frozen=True)
class DemoRecord:
    """One record of a demo case, made at ``stage`` while the case is there.

    ``signers``: (capacity, username or name); an officer signs as the user of that username,
    anyone else by name (a username of a demo person gives that person's name).
    ``refusals``: (capacity, name, reason, witness). ``not_shown``: officers present whose
    certificate was not recorded as shown (Art. 11). ``photo``: a generated photo is stored and
    linked as the simultaneous AV record. ``scan``: a scan is attached (service proofs).
    ``made_at``: the case's stage when the record is made, if later than the record's own.
    ``correction``: values changed by a later correction, made after the case's other records,
    with ``correction_reason``; the corrected version is sealed again by the same signers."""

    kind_id: str
    stage: str
    values: Mapping[str, Any]
    officers: tuple[str, ...] = ()
    not_shown: tuple[str, ...] = ()
    rights_method: str = ""
    av_waiver: str = ""
    photo: bool = False
    scan: bool = False
    signers: tuple[tuple[str, str], ...] = ()
    refusals: tuple[tuple[str, str, str, str], ...] = ()
    correction: Mapping[str, Any] = field(default_factory=dict)
    correction_reason: str = ""
    made_at: str = ""  # the stage the case is at when the record is made (default: ``stage``)

    @property
    def events(self) -> int:
        """The trail events making this record writes (a photo: its ingest and its link)."""
        n = 1 + len(self.signers) + len(self.refusals) + self.scan + 2 * self.photo
        return n + (1 + len(self.signers)) * bool(self.correction)


def _fill(values: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    local = now.astimezone(BUREAU_TZ)
    day = local.date()
    words = {NOW: local.strftime("%Y-%m-%dT%H:%M"), TODAY: day.isoformat(),
             YESTERDAY: (day - timedelta(days=1)).isoformat(), IN_15_DAYS: (day + timedelta(days=15)).isoformat()}
    return {k: words.get(v, v) if isinstance(v, str) else v for k, v in values.items()}


@dataclass
class RecordMaker:
    """Makes the records of the demo cases (a fresh unit of work and context per step)."""

    uow: Callable[[], UnitOfWork]
    ctx: Callable[[], Ctx]
    source: CatalogueSource
    blobs: BlobStore
    probe: MediaProbe
    people: dict[str, User]
    folder: Path
    photos: int = 0

    def make(self, case: Case, demo: DemoRecord, handlers: tuple[str, ...]) -> RecordVersion:
        """Make ``demo`` on ``case`` (its photo first, if any) with its signatures, refusals and scan."""
        media = (self.photo(case, handlers[0]),) if demo.photo else ()
        data = records.RecordInput(
            values=_fill(demo.values, self.ctx().now), rights_method=demo.rights_method, av_waiver=demo.av_waiver,
            officers=[records.OfficerInput(self.people[o].id, o not in demo.not_shown) for o in demo.officers],
            av_media_ids=media)
        made = records.create_record(self.uow(), self.ctx(), self.source, case.id, kind_id=demo.kind_id, data=data,
                                     stage=demo.stage)
        self.sign(made.record_id, demo)
        for capacity, name, reason, witness in demo.refusals:
            records.refuse_signature(self.uow(), self.ctx(), self.blobs, made.record_id, records.RefusalInput(
                capacity=capacity, signer_name=name, reason=reason, witness_name=witness))
        if demo.scan:
            records.add_attachment(self.uow(), self.ctx(), self.blobs, made.record_id, records.Upload(
                "回执扫描件.png", "image/png", io.BytesIO(_scan_png())))
        return made

    def sign(self, record_id: UUID, demo: DemoRecord) -> None:
        for capacity, who in demo.signers:
            person = self.people.get(who)
            officer = capacity == "officer" and person is not None
            records.sign_record(self.uow(), self.ctx(), self.blobs, record_id, records.SignatureInput(
                capacity=capacity, signer_user_id=person.id if officer and person else None,
                signer_name="" if officer else (person.display_name if person else who), method="electronic"))

    def correct(self, made: RecordVersion, demo: DemoRecord) -> None:
        """Correct ``made`` with ``demo.correction`` and have the same signers seal the new version."""
        latest = made
        data = records.RecordInput(
            values={**latest.values, **_fill(demo.correction, self.ctx().now)}, rights_method=demo.rights_method,
            av_waiver=latest.av_waiver, av_media_ids=latest.av_media_ids,
            officers=[records.OfficerInput(o.user_id, o.cert_shown) for o in latest.officers])
        records.correct_record(self.uow(), self.ctx(), self.source, made.record_id, data=data,
                               reason=demo.correction_reason)
        self.sign(made.record_id, demo)

    def photo(self, case: Case, username: str) -> UUID:
        """Store a generated photo taken by ``username`` with a camera of the bureau (their unit's,
        if it has one) as an original, registered from and linked to ``case``; return its id."""
        self.photos += 1
        ctx = self.ctx()
        officer = self.people[username]
        camera = self.camera_for(officer)
        path = self.folder / f"IMG_{self.photos:04d}.jpg"
        path.write_bytes(_photo_jpeg(ctx.now, self.photos, camera.make, camera.model, camera.serial))
        prefill = ingest.case_for_ingest(self.uow(), ctx, case.number)
        (result,) = ingest.ingest_paths(self.uow(), ctx, self.blobs, self.probe, [path], device_number=camera.number,
                                        officer_id=officer.id, case=prefill, workers=1)
        assert result.media_id is not None, result
        return result.media_id

    def camera_for(self, officer: User) -> Device:
        """A camera in service (not a body camera: the browser tests hand those in), the officer's
        unit's first."""
        with self.uow() as u:
            devices = u.devices.list(officer.bureau_id, None)
        cameras = [d for d in devices if d.type is DeviceType.CAMERA and d.status is DeviceStatus.IN_SERVICE]
        return min(cameras, key=lambda d: (d.unit_id != officer.unit_id, d.number))


def _photo_jpeg(taken: datetime, index: int, make: str, model: str, serial: str) -> bytes:
    """A small JPEG unique to ``index``, with the EXIF of a camera's photo taken at ``taken``."""
    colour = ((index * 53) % 200 + 30, (index * 97) % 200 + 30, (index * 151) % 200 + 30)
    image = Image.new("RGB", (96, 64), colour)
    image.putpixel((index % 96, index % 64), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model
    local = taken.astimezone(BUREAU_TZ).strftime("%Y:%m:%d %H:%M:%S")
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0x9011], sub[0xA431] = local, "+08:00", serial  # taken at, its offset, BodySerialNumber
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, exif=exif)
    return out.getvalue()


def _scan_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (60, 80), 235).save(out, "PNG")
    return out.getvalue()


def photo_folder() -> tempfile.TemporaryDirectory[str]:
    """Where the generated photos are written before they are stored (removed afterwards)."""
    return tempfile.TemporaryDirectory(prefix="lawtrail-demo-")
