"""Collect the Art. 48 items of one bureau: overdue findings placed by ``category_of_rule``, device
troubles that lost footage, refused alterations and the vault's fixity problems.

Called inside an open unit of work; a fixed number of statements whatever the number of
originals, activities or events (the findings' evaluators, then five reads here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain.activities import Activity
from lawtrail.domain.devices import Device, DeviceLogEntry, LogKind, holder_at
from lawtrail.domain.events import Action, Event
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.oversight import Art48, Item, category_of_event, category_of_rule
from lawtrail.domain.rules.common import local
from lawtrail.domain.rules.continuity import ART32_AV_REQUIRED, ART35_CONTINUITY
from lawtrail.domain.vault import MediaRecord
from lawtrail.services.ports import UnitOfWork

#: Actions read from the ledger for the report.
EVENT_ACTIONS = (Action.MEDIA_ALTER_REFUSED.value, Action.VAULT_VERIFICATION.value)
FOOTAGE_LOST_RULES = frozenset({ART32_AV_REQUIRED.id, ART35_CONTINUITY.id})


@dataclass(frozen=True)
class Sources:
    """What the items are made from (already loaded)."""

    findings: list[Finding]
    activities: dict[str, Activity]
    troubles: list[DeviceLogEntry]
    logs: dict[UUID, list[DeviceLogEntry]]
    devices: dict[UUID, Device]
    events: list[Event]
    media: list[MediaRecord]
    user_units: dict[str, str]


def load_sources(uow: UnitOfWork, bureau_id: UUID, unit_ids: frozenset[UUID] | None, findings: list[Finding],
                 start: datetime | None, end: datetime | None) -> Sources:
    """Five set-based reads (plus the device logs of troubled devices, one more)."""
    activities = {str(a.id): a for a in uow.activities.list(bureau_id, unit_ids)}
    troubles = uow.oversight.device_troubles(bureau_id, None, end)
    logs = uow.oversight.device_logs({e.device_id for e in troubles})
    events = uow.oversight.events_between(EVENT_ACTIONS, start, end)
    ids, digests = set(), set()
    for event in events:
        if event.action == Action.MEDIA_ALTER_REFUSED.value:
            ids.add(UUID(event.subject_id))
        for problem in (event.after or {}).get("problems", []) if event.action == Action.VAULT_VERIFICATION else []:
            digests.add(str(problem.get("sha256", "")))
    media = [m for m in uow.oversight.media_for(ids, digests) if m.bureau_id == bureau_id]
    users = {str(u.id): str(u.unit_id) for u in uow.users.list(bureau_id, None)}
    devices = {d.id: d for d in uow.devices.list(bureau_id, None)}
    return Sources(findings, activities, troubles, logs, devices, events, media, users)


def collect(src: Sources, now: datetime, footage_due: timedelta) -> list[Item]:
    """Every Art. 48 item of the sources (unfiltered)."""
    neglect, lost = _device_neglect(src, footage_due)
    items = neglect + [i for f in src.findings if (i := _from_finding(f, now)) is not None
                       and (f.rule.id, f.subject.id) not in lost]
    return items + _alterations(src) + _fixity(src)


def _from_finding(f: Finding, now: datetime) -> Item | None:
    category = category_of_rule(f.rule.id)
    if category is None or f.status is not FindingStatus.OVERDUE:
        return None
    return Item(category, f.rule.id, f.rule.article, f.due_at or now, f.subject.type, f.subject.id, f.subject.name,
                f.message_zh, f.message_en, f.unit_id, f.people)


def _trouble_kind(entry: DeviceLogEntry) -> str:
    return "org:device:fault" if entry.kind is LogKind.FAULT else "org:device:lost"


def _device_neglect(src: Sources, footage_due: timedelta) -> tuple[list[Item], set[tuple[str, str]]]:
    """Items (2): a device's fault or loss reported between an activity's arrival and the time
    its footage was due, where the activity's footage is missing (an overdue ART32/ART35
    finding). The finding is then this item, not a "not recorded" one."""
    items: list[Item] = []
    lost: set[tuple[str, str]] = set()
    missing = [f for f in src.findings if f.rule.id in FOOTAGE_LOST_RULES and f.status is FindingStatus.OVERDUE]
    for entry in src.troubles:
        device = src.devices.get(entry.device_id)
        for f in missing:
            activity = src.activities.get(f.subject.id)
            if device is None or activity is None or entry.device_id not in activity.device_ids:
                continue
            if not activity.arrived_at <= entry.at <= activity.departed_at + footage_due:
                continue
            lost.add((f.rule.id, f.subject.id))
            key = _trouble_kind(entry)
            category = category_of_event(key)
            assert category is Art48.DEVICE_NEGLECT
            holder = holder_at(src.logs.get(entry.device_id, []), entry.at) or device.holder_id
            what = "故障" if entry.kind is LogKind.FAULT else "遗失"
            zh = (f"设备 {device.number} 于 {local(entry.at)} 报告{what}（{entry.note or '无说明'}），"
                  f"现场执法活动「{activity.title}」的音像记录缺失")
            en = (f"device {device.number} was reported {'faulty' if what == '故障' else 'lost'} at "
                  f"{local(entry.at)}; the footage of the activity '{activity.title}' is missing")
            people = (str(holder),) if holder else f.people
            items.append(Item(category, key, "第四十八条", entry.at, "activity", f.subject.id, f.subject.name,
                              zh, en, str(device.unit_id), people))
    return items, lost


def _alterations(src: Sources) -> list[Item]:
    """Items (4): each refused attempt to delete or replace an original, against its actor."""
    media = {str(m.id): m for m in src.media}
    out = []
    for event in src.events:
        if event.action != Action.MEDIA_ALTER_REFUSED.value or event.subject_id not in media:
            continue
        m = media[event.subject_id]
        actor = str(event.actor_id) if event.actor_id else None
        attempt = {"delete": "删除", "replace": "替换或修改"}.get(str((event.after or {}).get("attempt")), "修改")
        zh = f"{event.actor_name} 试图{attempt}原始文件 {event.subject_name}，已被拒绝并记录"
        en = f"{event.actor_name} tried to alter the original {event.subject_name}; refused and recorded"
        unit = src.user_units.get(actor, str(m.unit_id)) if actor else str(m.unit_id)
        category = category_of_event(event.action)
        assert category is not None
        out.append(Item(category, event.action, "第三十七条", event.occurred_at, "media", event.subject_id,
                        event.subject_name, zh, en, unit, (actor,) if actor else ()))
    return out


def _fixity(src: Sources) -> list[Item]:
    """Items (4): an original found changed or missing by the vault's check, at its first
    detection in the period; the people responsible are still to be established."""
    media = {m.sha256: m for m in src.media}
    seen: set[tuple[str, str]] = set()
    out = []
    for event in src.events:
        if event.action != Action.VAULT_VERIFICATION.value:
            continue
        for problem in (event.after or {}).get("problems", []):
            digest, kind = str(problem.get("sha256", "")), str(problem.get("kind", ""))
            category = category_of_event(f"{event.action}:{kind}")
            m = media.get(digest)
            if category is None or m is None or (digest, kind) in seen:
                continue
            seen.add((digest, kind))
            what_zh, what_en = ("内容已被改变", "has changed") if kind == "changed" else ("已丢失", "is missing")
            name = f"{m.original_name} ({m.sha256[:12]})"
            out.append(Item(category, f"{event.action}:{kind}", "第三十七条", event.occurred_at, "media", str(m.id),
                            name, f"原始文件核验发现 {name} {what_zh}", f"the vault check found {name} {what_en}",
                            str(m.unit_id), ()))
    return out


def in_units(items: Iterable[Item], unit_ids: frozenset[UUID] | None) -> list[Item]:
    """The items of ``unit_ids`` (all when None)."""
    if unit_ids is None:
        return list(items)
    allowed = {str(u) for u in unit_ids}
    return [i for i in items if i.unit_id in allowed]
