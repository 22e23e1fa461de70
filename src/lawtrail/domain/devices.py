"""Field recording devices and their append-only maintenance log (Art. 7, 40).

A device's holder over time is the sequence of HOLDER entries in its log, so the officer who
held a camera at any capture time can be found later (the evidence vault relies on this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.org import Problems

DEVICE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")


class DeviceType(StrEnum):
    BODY_CAMERA = "body_camera"
    AUDIO_RECORDER = "audio_recorder"
    CAMERA = "camera"
    COUNTER_VIDEO = "counter_video"


DEVICE_TYPE_LABELS: dict[DeviceType, str] = {
    DeviceType.BODY_CAMERA: "执法记录仪",
    DeviceType.AUDIO_RECORDER: "录音设备",
    DeviceType.CAMERA: "照相机/摄像机",
    DeviceType.COUNTER_VIDEO: "受理窗口固定视频",
}


class DeviceStatus(StrEnum):
    IN_SERVICE = "in_service"
    UNDER_REPAIR = "under_repair"
    LOST = "lost"
    RETIRED = "retired"


DEVICE_STATUS_LABELS: dict[DeviceStatus, str] = {
    DeviceStatus.IN_SERVICE: "在用",
    DeviceStatus.UNDER_REPAIR: "维修中",
    DeviceStatus.LOST: "遗失",
    DeviceStatus.RETIRED: "已停用",
}


class LogKind(StrEnum):
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    FAULT = "fault"
    INSPECTION = "inspection"
    HOLDER = "holder"
    STATUS = "status"
    NOTE = "note"


LOG_KIND_LABELS: dict[LogKind, str] = {
    LogKind.MAINTENANCE: "保养",
    LogKind.REPAIR: "维修",
    LogKind.FAULT: "故障报告",
    LogKind.INSPECTION: "检查",
    LogKind.HOLDER: "领用/归还",
    LogKind.STATUS: "状态变更",
    LogKind.NOTE: "备注",
}

#: Log kinds a person may write by hand; HOLDER and STATUS are written by the services.
MANUAL_LOG_KINDS = frozenset({LogKind.MAINTENANCE, LogKind.REPAIR, LogKind.FAULT, LogKind.INSPECTION,
                              LogKind.NOTE})


@dataclass(frozen=True)
class Device:
    id: UUID
    bureau_id: UUID
    unit_id: UUID
    number: str
    type: DeviceType
    status: DeviceStatus
    holder_id: UUID | None
    make: str
    model: str
    serial: str
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status is not DeviceStatus.RETIRED


@dataclass(frozen=True)
class DeviceLogEntry:
    id: UUID
    device_id: UUID
    at: datetime
    kind: LogKind
    note: str
    actor_id: UUID | None
    actor_name: str
    holder_id: UUID | None = None
    status: DeviceStatus | None = None


def check_device_number(value: str, problems: Problems) -> str:
    number = (value or "").strip()
    if not DEVICE_NUMBER_RE.match(number):
        problems.add("number", "设备编号须为2–40位字母、数字或 _ . -",
                     "device number must be 2-40 letters, digits, '_', '.' or '-'")
    return number


def holder_at(log: list[DeviceLogEntry], when: datetime) -> UUID | None:
    """Who held the device at ``when``: the last HOLDER entry at or before it, unless a later
    STATUS entry took the device out of service (which takes it back from its holder)."""
    holder: UUID | None = None
    for entry in sorted(log, key=lambda e: e.at):
        if entry.at > when:
            break
        if entry.kind is LogKind.HOLDER:
            holder = entry.holder_id
        elif entry.kind is LogKind.STATUS and entry.status is not DeviceStatus.IN_SERVICE:
            holder = None
    return holder
