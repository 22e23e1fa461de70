"""Prefill of a clip's Art. 42 registration from what the bureau already knows (issue 4 item 4).

Where a clip's category, party and case name can come from, best first (docs/decisions/0019):

1. the on-site activity whose recording devices include the clip's device and whose span
   (arrival → departure) contains the capture time (on the station's clock);
2. the cases the capturing officer handles that were open at that time (a case whose party is
   the activity's party first, then the most recently opened);
3. the latest registrations of neighbouring clips (same device or officer, nearest in time).

Each item of the prefill is taken from the best candidate that has it, and says where it came
from. A case's action type is the clip's enforcement category: the seven categories of Art. 42
and the seven action types of a case are one list (``domain.cases.ActionType``).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from lawtrail.domain.activities import Activity, ActivityKind
from lawtrail.domain.cases import ActionType, Case
from lawtrail.domain.parties import Party

Via = Literal["activity", "case", "device", "officer"]
#: The items a candidate may supply (the others come from the original and its device).
ITEMS = ("category", "party", "case_name")
VIA_LABELS: dict[str, str] = {"activity": "现场执法活动", "case": "承办案件", "device": "同一设备的相邻文件",
                              "officer": "同一执法人员的相邻文件"}

#: The kinds of on-site activity whose enforcement category is plain from the kind alone.
ACTIVITY_CATEGORY: dict[ActivityKind, ActionType] = {
    ActivityKind.ONSITE_INSPECTION: ActionType.INSPECTION,
    ActivityKind.RANDOM_INSPECTION: ActionType.INSPECTION,
    ActivityKind.COERCIVE_MEASURE: ActionType.COERCION,
}


@dataclass(frozen=True)
class SuggestionSource:
    """Where a suggested item came from: an activity, a case, or a neighbouring clip (``via``
    device or officer). ``name`` is what a person recognises it by (the activity's title, the
    case's number and name, the clip's file name); ``seconds_apart`` is set for clips only."""

    via: Via
    subject_id: UUID
    name: str
    at: datetime | None
    seconds_apart: float | None = None

    @property
    def label(self) -> str:
        return VIA_LABELS[self.via]


@dataclass(frozen=True)
class Candidate:
    """One place the items could come from, with the items it offers (empty: it has none).
    ``case_id`` is set for a case: accepting it links the original to that case."""

    source: SuggestionSource
    category: str
    party: str
    case_name: str
    case_id: UUID | None = None
    case_number: str = ""

    def item(self, name: str) -> str:
        value: str = getattr(self, name)
        return value


def party_names(parties: Sequence[Party]) -> str:
    """The parties of a case as one registration item: their names joined by 、 (in the order
    they were added), at most 200 characters."""
    return "、".join(p.name for p in sorted(parties, key=lambda p: p.added_at))[:200]


def activity_candidate(activity: Activity) -> Candidate:
    category = ACTIVITY_CATEGORY.get(activity.kind)
    return Candidate(SuggestionSource("activity", activity.id, activity.title, activity.arrived_at),
                     category=category.value if category else "", party=activity.party, case_name=activity.title)


def case_candidate(case: Case, parties: Sequence[Party]) -> Candidate:
    return Candidate(SuggestionSource("case", case.id, f"{case.number} {case.name}", case.opened_at),
                     category=case.action_type.value, party=party_names(parties), case_name=case.name,
                     case_id=case.id, case_number=case.number)


def contains(activity: Activity, at: datetime) -> bool:
    """True when ``at`` (station clock) lies within the activity, both ends included."""
    return activity.arrived_at <= at <= activity.departed_at


def rank_cases(cases: Iterable[tuple[Case, Sequence[Party]]], activity_parties: Iterable[str]
               ) -> list[Candidate]:
    """Case candidates: a case one of whose parties is an activity's party first, then the most
    recently opened (an officer handles several cases at once; the newest is the likelier)."""
    wanted = {p.strip() for p in activity_parties if p.strip()}
    rows = [(case, parties, any(p.name in wanted for p in parties)) for case, parties in cases]
    rows.sort(key=lambda r: (not r[2], -r[0].opened_at.timestamp(), r[0].number))
    return [case_candidate(case, parties) for case, parties, _ in rows]


def best_items(candidates: Sequence[Candidate]) -> dict[str, Candidate]:
    """For each of category, party, case name: the first candidate (best first) that has it.

    The party and the case name go together: when the best candidate with a case name also has
    a party, the party is taken from it too, so a clip is never registered with one case's name
    and another's party."""
    out: dict[str, Candidate] = {}
    for name in ITEMS:
        found = next((c for c in candidates if c.item(name).strip()), None)
        if found is not None:
            out[name] = found
    named = out.get("case_name")
    if named is not None and named.party.strip():
        out["party"] = named
    return out


@dataclass(frozen=True)
class CasePrefill:
    """The case every original of one ingest belongs to (``lawtrail ingest --case``): version 1
    of each registration takes its name, parties, action type (the category) and unit; each
    new original is linked to it in the transaction that records it."""

    case: Case
    unit_name: str
    party: str
