"""The prefill of an original's Art. 42 registration (issue 4 item 4): from the original and its
device (unit, device number, officer, time of use) and, for category, party and case name, from
the on-site activity it was recorded at, the officer's open cases, then neighbouring clips, best
first (``domain.prefill``, docs/decisions/0019). Suggesting records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from lawtrail.domain.access import Permission, allows
from lawtrail.domain.activities import Activity
from lawtrail.domain.devices import holder_at
from lawtrail.domain.prefill import (
    Candidate,
    SuggestionSource,
    activity_candidate,
    best_items,
    contains,
    rank_cases,
)
from lawtrail.domain.vault import MediaRecord, MediaRow
from lawtrail.errors import NotFound
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork

#: How far around a clip's capture time the registrations of neighbouring clips are looked at.
SUGGEST_WINDOW = timedelta(hours=4)

__all__ = ["SUGGEST_WINDOW", "Candidate", "Suggestion", "SuggestionSource", "activities_of", "station_time",
           "suggest_registration", "with_candidate"]


@dataclass(frozen=True)
class Suggestion:
    """A prefill of the seven items for the archivist to confirm. ``sources`` says, per item taken
    from a candidate (category, party, case name), where it came from; ``candidates`` lists every
    place found, best first; ``case_id`` is the case the case name came from, if it came from a
    case (accepting the prefill then links the original to it)."""

    unit_name: str
    category: str
    device_number: str
    officer_id: UUID | None
    officer_name: str
    used_from: datetime | None
    used_to: datetime | None
    party: str
    case_name: str
    sources: dict[str, SuggestionSource] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    case_id: UUID | None = None


def station_time(media: MediaRecord) -> datetime | None:
    """The capture start on the station's clock: the device's time minus the offset measured at
    hand-in (device − station), when it was measured."""
    if media.captured_at is None:
        return None
    return media.captured_at - timedelta(seconds=media.clock_offset_s or 0.0)


def activities_of(uow: UnitOfWork, ctx: Ctx, media: MediaRecord) -> list[Activity]:
    """The activities (latest versions, visible to the actor with activity:view) whose devices
    include the original's device and whose span contains its capture time; call inside ``uow``."""
    at = station_time(media)
    if at is None:
        return []
    found = uow.activities.for_device(media.device_id, at)
    return [a for a in found if a.bureau_id == media.bureau_id and contains(a, at)
            and allows(ctx.actor, Permission.ACTIVITY_VIEW, bureau_id=a.bureau_id, unit_id=a.unit_id)]


def suggest_registration(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> Suggestion:
    """Prefill (needs media:register on the original's unit; records nothing): the unit, device
    and capture times from the original; the officer from the original (the device's holder at
    capture time, as ingest found it) or else from the device log; category, party and case name
    from, best first, the activity the clip was recorded at, the officer's cases open then
    (case:view), and the latest registrations of clips of the same device or officer captured
    within ``SUGGEST_WINDOW`` (among those the actor may see), nearest in time first.

    Raise NotFound for an unknown original (or another bureau's), PermissionDenied without
    media:register."""
    with uow:
        media = uow.media.get(media_id)
        if media is None or (ctx.actor.bureau_id and media.bureau_id != ctx.actor.bureau_id):
            raise NotFound("音像资料不存在", "no such media", code="media.not_found")
        require(ctx.actor, Permission.MEDIA_REGISTER, bureau_id=media.bureau_id, unit_id=media.unit_id)
        unit, device = uow.units.get(media.unit_id), uow.devices.get(media.device_id)
        officer_id = media.officer_id
        if officer_id is None and media.captured_at is not None:
            officer_id = holder_at(uow.device_log.for_device(media.device_id), media.captured_at)
        officer = uow.users.get(officer_id) if officer_id else None
        candidates = _candidates(uow, ctx, media, officer_id)
    best = best_items(candidates)
    named = best.get("case_name")
    return Suggestion(
        unit_name=unit.name if unit else "", device_number=device.number if device else "",
        officer_id=officer_id, officer_name=officer.display_name if officer else "",
        used_from=media.captured_at, used_to=media.captured_end,
        category=best["category"].category if "category" in best else "",
        party=best["party"].party if "party" in best else "",
        case_name=named.case_name if named else "",
        sources={name: c.source for name, c in best.items()}, candidates=tuple(candidates),
        case_id=named.case_id if named else None)


def _candidates(uow: UnitOfWork, ctx: Ctx, media: MediaRecord, officer_id: UUID | None) -> list[Candidate]:
    at = station_time(media)
    if at is None:
        return []
    activities = activities_of(uow, ctx, media)
    out = [activity_candidate(a) for a in activities]
    if officer_id is not None:
        scope = visible_units(ctx.actor, Permission.CASE_VIEW)
        cases = [c for c in uow.cases.open_for_officer(officer_id, at)
                 if c.bureau_id == media.bureau_id and (scope is None or c.unit_id in scope)]
        out += rank_cases([(c, uow.cases.parties(c.id)) for c in cases], [a.party for a in activities])
    assert media.captured_at is not None
    near = uow.media.neighbours(
        media.bureau_id, visible_units(ctx.actor, Permission.MEDIA_VIEW), exclude=media.id,
        device_id=media.device_id, officer_id=officer_id,
        start=media.captured_at - SUGGEST_WINDOW, end=media.captured_at + SUGGEST_WINDOW)
    return out + _from_neighbours(media, near)


def _from_neighbours(media: MediaRecord, near: list[MediaRow]) -> list[Candidate]:
    """The neighbouring clips with a registration, nearest in time first (same device first)."""
    anchor = media.captured_at
    assert anchor is not None

    def apart(row: MediaRow) -> float:
        assert row.media.captured_at is not None
        return abs((row.media.captured_at - anchor).total_seconds())

    out: list[Candidate] = []
    for row in sorted(near, key=lambda r: (apart(r), r.media.device_id != media.device_id, str(r.media.id))):
        reg = row.registration
        if reg is None or row.media.captured_at is None or not any(
                getattr(reg, name).strip() for name in ("category", "party", "case_name")):
            continue
        via: Literal["device", "officer"] = "device" if row.media.device_id == media.device_id else "officer"
        source = SuggestionSource(via, row.media.id, row.media.original_name, row.media.captured_at, apart(row))
        out.append(Candidate(source, category=reg.category, party=reg.party, case_name=reg.case_name))
    return out


def with_candidate(suggestion: Suggestion, subject_id: UUID) -> Suggestion | None:
    """The suggestion with category, party and case name taken from the candidate
    ``subject_id`` (the items it has; the others stay), as when the archivist picks it; None
    when no candidate has that id. Picking a case sets ``case_id`` (saving links the original)."""
    picked = next((c for c in suggestion.candidates if c.source.subject_id == subject_id), None)
    if picked is None:
        return None
    items = {name for name in ("category", "party", "case_name") if picked.item(name).strip()}

    def value(name: str) -> str:
        return picked.item(name) if name in items else str(getattr(suggestion, name))

    sources = {**suggestion.sources, **{name: picked.source for name in items}}
    return replace(suggestion, category=value("category"), party=value("party"), case_name=value("case_name"),
                   sources=sources, case_id=picked.case_id if "case_name" in items else suggestion.case_id)
