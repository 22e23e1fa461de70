"""A bureau with people, a device, real originals ingested through the vault service and a
concluded case linking them: the world of the archive tests (retention, disposal, case files)."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import Ed25519Signer, load_signer
from lawtrail.domain.cases import Case
from lawtrail.domain.devices import Device
from lawtrail.domain.media import MediaType
from lawtrail.domain.org import User
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.services import cases, devices, users, vault
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.context import Ctx
from lawtrail.services.users import actor_for
from tests.integration.support import Seed
from tests.unit.factories import PASSWORD, T0

ORIGIN = "test.lawtrail/ledger"
DETAILS = CaseDetails(action_type="inspection", procedure="general", origin="inspection",
                      name="某超市食品安全检查", cause="例行检查")


def make_media_files(folder: Path) -> tuple[Path, Path]:
    """A one-second H.264 MP4 and a JPEG photo (real media, small)."""
    folder.mkdir(parents=True, exist_ok=True)
    video, photo = folder / "现场检查.mp4", folder / "现场照片.jpg"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=10:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(video)], check=True, timeout=60)
    Image.new("RGB", (32, 24), (200, 30, 30)).save(photo, "JPEG")
    return video, photo


@dataclass
class World:
    seed: Seed
    officer: User
    officer2: User
    archivist: User
    archivist2: User
    leader: User
    device: Device
    signer: Ed25519Signer
    case: Case
    media: list[MediaRecord]

    def ctx(self, user: User, now: datetime | None = None) -> Ctx:
        c = self.seed.container
        ctx = c.ctx(actor_for(user), "req-archive")
        return Ctx(actor=ctx.actor, now=now or ctx.now, request_id=ctx.request_id)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.seed.container.engine)

    def put_old(self, months_ago: int, name: str = "旧录像.mp4", data: bytes | None = None) -> MediaRecord:
        """An original captured ``months_ago`` months before T0, stored with its ingest event."""
        c = self.seed.container
        blob = c.blobs.put_stream([data or uuid.uuid4().bytes * 64])
        at = T0 - timedelta(days=31 * months_ago)
        media = MediaRecord(id=uuid.uuid4(), sha256=blob.sha256, size=blob.size, media_type=MediaType.VIDEO,
                            original_name=name, facts={}, probe_ok=False, device_id=self.device.id,
                            officer_id=self.officer.id, unit_id=self.device.unit_id, bureau_id=self.device.bureau_id,
                            captured_at=at, captured_end=at + timedelta(seconds=5), handed_in_at=at, stored_at=at,
                            clock_offset_s=None, ingested_by="采集站", created_at=at)
        with c.uow() as uow:
            uow.media.add(media)
            uow.media.add_registration(Registration(
                media_id=media.id, version=1, unit_name="执法稽查一科", category="", device_number=self.device.number,
                officer_id=self.officer.id, officer_name=self.officer.display_name, used_from=at,
                used_to=media.captured_end, party="", case_name="", actor_id=None, actor_name="采集站", at=at))
            uow.commit()
        return media


def build_world(seed: Seed, files: tuple[Path, Path], key_dir: Path) -> World:
    c, system = seed.container, seed.container.system_ctx("init")

    def person(username: str, name: str, *roles: str) -> User:
        cert = {"cert_number": "12345678", "cert_valid_from": T0.date() - timedelta(days=30),
                "cert_valid_to": T0.date() + timedelta(days=700)} if "officer" in roles else {}
        return users.create_user(c.uow(), system, c.deps, unit_id=seed.unit.id, username=username, display_name=name,
                                 roles=list(roles), password=PASSWORD, **cert)

    officer, officer2 = person("chen", "陈志强", "officer"), person("zhou", "周敏", "officer")
    archivist, archivist2 = person("wulh", "吴丽华", "archivist"), person("sunq", "孙琴", "archivist")
    leader = person("huang", "黄建国", "leader")
    device = devices.create_device(c.uow(), system, number="ZFJLY-A001", type="body_camera", unit_id=seed.unit.id)
    ctx = c.ctx(actor_for(officer), "req-archive")
    media = []
    for path in files:
        result = vault.ingest_file(c.uow(), ctx, c.blobs, c.probe, path=path, device_number=device.number,
                                   officer_id=officer.id)
        assert result.status == "stored" and result.media_id is not None
        with c.uow() as uow:
            found = uow.media.get(result.media_id)
        assert found is not None
        media.append(found)
    case = cases.open_case(c.uow(), ctx, unit_id=seed.unit.id, details=DETAILS, handler_ids=[officer.id, officer2.id])
    for m in media:
        cases.link_media(c.uow(), ctx, case.id, m.id, reason="现场检查")
    case = cases.close_case(c.uow(), ctx, case.id, reason="检查未发现违法行为，不予立案")
    signer = load_signer(key_dir, ORIGIN)
    return World(seed, officer, officer2, archivist, archivist2, leader, device, signer, case, media)
