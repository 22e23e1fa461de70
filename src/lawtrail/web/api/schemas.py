"""JSON shapes of the API (Pydantic v2): inputs are strict, outputs are plain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from lawtrail.domain.auth import ApiToken
from lawtrail.domain.devices import Device, DeviceLogEntry
from lawtrail.domain.events import Event
from lawtrail.domain.org import Unit, User, cert_status


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


class UnitIn(In):
    code: str
    name: str
    kind: str = "business_section"


class UnitPatch(In):
    name: str | None = None
    kind: str | None = None
    active: bool | None = None


class UnitOut(BaseModel):
    id: UUID
    code: str
    name: str
    kind: str
    active: bool

    @classmethod
    def of(cls, u: Unit) -> UnitOut:
        return cls(id=u.id, code=u.code, name=u.name, kind=u.kind.value, active=u.active)


class CertificateIn(In):
    number: str
    valid_from: date
    valid_to: date


class UserIn(In):
    unit_id: UUID
    username: str
    display_name: str
    roles: list[str]
    password: str = Field(min_length=1, max_length=256)
    certificate: CertificateIn | None = None
    phone: str = ""


class UserPatch(In):
    display_name: str | None = None
    unit_id: UUID | None = None
    roles: list[str] | None = None
    phone: str | None = None
    certificate: CertificateIn | None = None
    remove_certificate: bool = False
    totp_required: bool | None = None
    active: bool | None = None


class PasswordIn(In):
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    unit_id: UUID
    roles: list[str]
    active: bool
    phone: str
    certificate: dict[str, Any] | None
    cert_status: str
    totp_enabled: bool
    totp_required: bool

    @classmethod
    def of(cls, u: User, today: date) -> UserOut:
        cert = u.certificate
        return cls(
            id=u.id, username=u.username, display_name=u.display_name, unit_id=u.unit_id,
            roles=sorted(r.value for r in u.roles), active=u.active, phone=u.phone,
            certificate={"number": cert.number, "valid_from": cert.valid_from.isoformat(),
                         "valid_to": cert.valid_to.isoformat()} if cert else None,
            cert_status=cert_status(cert, today).value, totp_enabled=u.totp_enabled,
            totp_required=u.totp_required,
        )


class DeviceIn(In):
    number: str
    type: str
    unit_id: UUID
    make: str = ""
    model: str = ""
    serial: str = ""


class DevicePatch(In):
    type: str | None = None
    unit_id: UUID | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None


class AssignIn(In):
    holder_id: UUID | None
    note: str = ""


class StatusIn(In):
    status: str
    note: str


class LogIn(In):
    kind: str
    note: str


class DeviceOut(BaseModel):
    id: UUID
    number: str
    type: str
    status: str
    unit_id: UUID
    holder_id: UUID | None
    make: str
    model: str
    serial: str

    @classmethod
    def of(cls, d: Device) -> DeviceOut:
        return cls(id=d.id, number=d.number, type=d.type.value, status=d.status.value, unit_id=d.unit_id,
                   holder_id=d.holder_id, make=d.make, model=d.model, serial=d.serial)


class DeviceLogOut(BaseModel):
    id: UUID
    at: datetime
    kind: str
    note: str
    actor_name: str
    holder_id: UUID | None
    status: str | None

    @classmethod
    def of(cls, e: DeviceLogEntry) -> DeviceLogOut:
        return cls(id=e.id, at=e.at, kind=e.kind.value, note=e.note, actor_name=e.actor_name,
                   holder_id=e.holder_id, status=e.status.value if e.status else None)


class DeviceDetail(DeviceOut):
    log: list[DeviceLogOut]


class TokenIn(In):
    name: str
    days: int | None = 365


class TokenOut(BaseModel):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at, expires_at=t.expires_at,
                   revoked_at=t.revoked_at, last_used_at=t.last_used_at)


class TokenCreated(TokenOut):
    token: str = Field(description="the secret, shown once")


class EventOut(BaseModel):
    seq: int
    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor_name: str
    action: str
    subject_type: str
    subject_id: str
    subject_name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None

    @classmethod
    def of(cls, e: Event) -> EventOut:
        return cls(**vars(e))


class MeOut(BaseModel):
    user: UserOut
    permissions: list[str]
