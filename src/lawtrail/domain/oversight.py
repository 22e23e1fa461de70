"""Accountability (Art. 48): which failures fall under which of the five kinds, who is directly
responsible, and the supervisor's report by unit, officer and period. Pure functions.

The five kinds of Art. 48 (未按照本办法进行行政执法全过程记录 … 有下列情形之一):

1. ``not_recorded``     — 未进行行政执法全过程记录 (the recording rules of Art. 8–36 broken);
2. ``device_neglect``   — 未按照规定维护现场执法记录设备，致使音像记录损毁或者丢失 (a device reported
   lost or faulty while footage of its activity is missing);
3. ``not_stored``       — 未按照规定储存音像记录信息 (Art. 39, 41–43 overdue);
4. ``original_altered`` — 故意毁损或者剪接、删改原始音像记录 (the vault's fixity check found an original
   changed or gone; an attempt to alter or delete an original, refused and recorded);
5. ``unauthorised_disclosure`` — 未经批准，擅自对外提供或者发布音像记录 (ART37-DISCLOSURE-APPROVED).

``category_of_rule`` and ``EVENT_CATEGORIES`` are THE mapping (docs/decisions/0020): a rule of
another stage is placed by its article number, so a new rule needs no edit here unless its
article is an exception. Only an *overdue* finding is a failure; one still open is not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Art48(StrEnum):
    NOT_RECORDED = "not_recorded"
    DEVICE_NEGLECT = "device_neglect"
    NOT_STORED = "not_stored"
    ORIGINAL_ALTERED = "original_altered"
    UNAUTHORISED_DISCLOSURE = "unauthorised_disclosure"


#: Item number of Art. 48, Chinese and English name.
ART48_LABELS: dict[Art48, tuple[str, str, str]] = {
    Art48.NOT_RECORDED: ("（一）", "未按规定记录", "not recorded"),
    Art48.DEVICE_NEGLECT: ("（二）", "设备保管不善致记录灭失", "device neglect lost records"),
    Art48.NOT_STORED: ("（三）", "未按规定储存", "not stored as required"),
    Art48.ORIGINAL_ALTERED: ("（四）", "原始记录被剪接、删改或毁损", "originals destroyed or edited"),
    Art48.UNAUTHORISED_DISCLOSURE: ("（五）", "擅自对外提供", "unauthorised disclosure"),
}
CATEGORIES: tuple[Art48, ...] = tuple(Art48)

#: Rules placed by their exact id (before the article ranges below are consulted).
RULE_CATEGORIES: dict[str, Art48] = {
    "ART37-ORIGINAL-INTACT": Art48.ORIGINAL_ALTERED,
    "ART37-DISCLOSURE-APPROVED": Art48.UNAUTHORISED_DISCLOSURE,
}
#: Articles whose rules are about making the record (Art. 8–36) or storing it (Art. 39, 41–43).
RECORDING_ARTICLES = range(8, 37)
STORAGE_ARTICLES = frozenset({39, 41, 42, 43})

#: Event-derived items: ``action`` or ``action:kind`` → category.
EVENT_CATEGORIES: dict[str, Art48] = {
    "media:original:alter-refused": Art48.ORIGINAL_ALTERED,
    "media:vault:verify:changed": Art48.ORIGINAL_ALTERED,
    # The bytes of a stored original are gone: destroyed in the store, not lost by a device.
    "media:vault:verify:missing": Art48.ORIGINAL_ALTERED,
    "org:device:lost": Art48.DEVICE_NEGLECT,
    "org:device:fault": Art48.DEVICE_NEGLECT,
}

_ARTICLE = re.compile(r"^ART(\d{2,3})-")


def category_of_rule(rule_id: str) -> Art48 | None:
    """The Art. 48 kind an overdue finding of ``rule_id`` is, or None when the rule is not about
    recording, storing or disclosing (e.g. ART05 certified handlers, ART45 access)."""
    if rule_id in RULE_CATEGORIES:
        return RULE_CATEGORIES[rule_id]
    match = _ARTICLE.match(rule_id)
    if match is None:
        return None
    article = int(match.group(1))
    if article in RECORDING_ARTICLES:
        return Art48.NOT_RECORDED
    if article in STORAGE_ARTICLES:
        return Art48.NOT_STORED
    return None


def category_of_event(key: str) -> Art48 | None:
    """The kind of an event-derived item (``EVENT_CATEGORIES``), or None."""
    return EVENT_CATEGORIES.get(key)


@dataclass(frozen=True)
class Item:
    """One failure under Art. 48: what (``source`` is a rule id or event key), when (the due
    time of a finding, the time of an event), about what, in which unit, and the user ids of
    the people directly responsible (empty: still to be established)."""

    category: Art48
    source: str
    article: str
    at: datetime
    subject_type: str
    subject_id: str
    subject_name: str
    message_zh: str
    message_en: str
    unit_id: str | None
    people: tuple[str, ...] = ()

    @property
    def label_zh(self) -> str:
        number, zh, _ = ART48_LABELS[self.category]
        return f"{number}{zh}"


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; None on either side leaves it open."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value is not None and value.utcoffset() is None:
                raise ValueError("a period needs timezone-aware datetimes")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("a period ends after it starts")

    def contains(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


def select_items(items: Iterable[Item], *, period: Period = Period(), unit_id: str | None = None,
                 officer_id: str | None = None) -> list[Item]:
    """The items in ``period`` (by their time), of ``unit_id`` and naming ``officer_id`` when
    given; newest first."""
    kept = [i for i in items if period.contains(i.at) and (unit_id is None or i.unit_id == unit_id)
            and (officer_id is None or officer_id in i.people)]
    return sorted(kept, key=lambda i: (i.at, i.source, i.subject_id), reverse=True)


@dataclass(frozen=True)
class Row:
    """One line of a summary table: a unit or a person, the count per kind and in all."""

    key: str
    name: str
    unit_name: str = ""
    counts: Mapping[Art48, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


UNKNOWN = ""  # the key of items whose unit or people are still to be established


def by_unit(items: Iterable[Item], unit_names: Mapping[str, str]) -> list[Row]:
    """Counts per unit and kind, most items first (items without a unit: ``待查明``)."""
    counts: dict[str, Counter[Art48]] = {}
    for item in items:
        counts.setdefault(item.unit_id or UNKNOWN, Counter())[item.category] += 1
    rows = [Row(key, unit_names.get(key, "待查明") if key else "待查明", counts=dict(c)) for key, c in counts.items()]
    return sorted(rows, key=lambda r: (-r.total, r.key == UNKNOWN, r.name))


def by_officer(items: Iterable[Item], people: Mapping[str, tuple[str, str]]) -> list[Row]:
    """Counts per person directly responsible and kind (an item naming two people counts for
    each); ``people`` maps a user id to (name, unit name). Items naming nobody: ``待查明``."""
    counts: dict[str, Counter[Art48]] = {}
    for item in items:
        for person in item.people or (UNKNOWN,):
            counts.setdefault(person, Counter())[item.category] += 1
    rows = []
    for key, c in counts.items():
        name, unit = people.get(key, ("待查明" if not key else "（已不在册）", ""))
        rows.append(Row(key, name, unit, dict(c)))
    return sorted(rows, key=lambda r: (-r.total, r.key == UNKNOWN, r.name))


def totals(items: Iterable[Item]) -> dict[Art48, int]:
    """Items per kind, every kind present (zero when none)."""
    found = Counter(i.category for i in items)
    return {c: found.get(c, 0) for c in CATEGORIES}
