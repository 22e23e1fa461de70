"""Seeding the evidence vault of a real database for the media-view tests: units, people,
devices through the services; originals written as ingest writes them (bytes in the blob store,
row + registration version 1)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lawtrail.domain.devices import Device
from lawtrail.domain.media import MediaType
from lawtrail.domain.org import Unit, User
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.services import devices, org, users
from lawtrail.services.context import Ctx
from lawtrail.services.users import actor_for
from tests.integration.support import Seed
from tests.unit.factories import PASSWORD, T0


@dataclass
class Vault:
    seed: Seed
    unit_b: Unit
    officer_a: User
    officer_b: User
    archivist: User
    device_a: Device
    device_b: Device

    def ctx(self, user: User) -> Ctx:
        return self.seed.container.ctx(actor_for(user), "req-media")

    def put(self, *, device: Device | None = None, at: datetime | None = T0, kind: MediaType = MediaType.VIDEO,
            name: str = "clip.mp4", data: bytes | None = None, officer: User | None = None, **reg: Any) -> MediaRecord:
        c = self.seed.container
        dev = device or self.device_a
        blob = c.blobs.put_stream([data or uuid.uuid4().bytes * 256])
        media = MediaRecord(
            id=uuid.uuid4(), sha256=blob.sha256, size=blob.size, media_type=kind, original_name=name,
            facts={"duration_s": 2.0}, probe_ok=True, device_id=dev.id, officer_id=officer.id if officer else None,
            unit_id=dev.unit_id, bureau_id=dev.bureau_id, captured_at=at,
            captured_end=at + timedelta(seconds=2) if at else None, handed_in_at=T0, stored_at=T0,
            clock_offset_s=None, ingested_by="采集站", created_at=T0)
        values: dict[str, Any] = {"unit_name": "执法稽查一科", "category": "", "device_number": dev.number,
                                  "officer_id": media.officer_id,
                                  "officer_name": officer.display_name if officer else "",
                                  "used_from": at, "used_to": media.captured_end, "party": "", "case_name": ""}
        values.update(reg)
        with c.uow() as uow:
            uow.media.add(media)
            uow.media.add_registration(Registration(media_id=media.id, version=1, actor_id=None,
                                                    actor_name="采集站", at=T0, **values))
            uow.commit()
        return media


def seed_vault(seed: Seed) -> Vault:
    c, system = seed.container, seed.container.system_ctx("init")
    unit_b = org.create_unit(c.uow(), system, bureau_id=seed.bureau.id, code="JC2", name="执法稽查二科",
                             kind="business_section")

    def person(username: str, name: str, unit: Unit, *roles: str) -> User:
        cert = {"cert_number": "12345678", "cert_valid_from": T0.date() - timedelta(days=30),
                "cert_valid_to": T0.date() + timedelta(days=700)} if "officer" in roles else {}
        return users.create_user(c.uow(), system, c.deps, unit_id=unit.id, username=username, display_name=name,
                                 roles=list(roles), password=PASSWORD, **cert)

    officer_a = person("chen", "陈志强", seed.unit, "officer")
    officer_b = person("lixt", "李晓婷", unit_b, "officer")
    archivist = person("wulh", "吴丽华", unit_b, "archivist")
    device_a = devices.create_device(c.uow(), system, number="ZFJLY-A001", type="body_camera", unit_id=seed.unit.id)
    device_b = devices.create_device(c.uow(), system, number="ZFJLY-B001", type="body_camera", unit_id=unit_b.id)
    return Vault(seed, unit_b, officer_a, officer_b, archivist, device_a, device_b)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
