"""Pure parts of the media views: Art. 42 items, correction checks, content types, read tickets."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from lawtrail.domain import media_ticket
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import (
    CATEGORY_LABELS,
    EnforcementCategory,
    Registration,
    RegistrationItem,
    check_registration,
    content_type,
    missing_items,
)
from lawtrail.errors import ValidationFailed
from tests.unit.factories import T0

COMPLETE = Registration(
    media_id=uuid.uuid4(), version=2, unit_name="执法稽查一科", category="inspection", device_number="ZFJLY-A001",
    officer_id=uuid.uuid4(), officer_name="陈志强", used_from=T0, used_to=T0 + timedelta(minutes=5),
    party="江门市某食品有限公司", case_name="涉嫌销售过期食品案", actor_id=None, actor_name="吴丽华", at=T0)


def test_the_seven_categories_of_article_2() -> None:
    assert [CATEGORY_LABELS[c] for c in EnforcementCategory] == [
        "行政处罚", "行政许可", "行政强制", "行政检查", "行政确认", "行政登记", "行政裁决"]


def test_a_complete_registration_misses_nothing() -> None:
    assert missing_items(COMPLETE) == []


def test_no_registration_misses_all_seven_in_article_order() -> None:
    assert missing_items(None) == ["unit_name", "category", "device_number", "officer", "time_of_use", "party",
                                   "case_name"]
    assert [i.value for i in RegistrationItem] == missing_items(None)


@pytest.mark.parametrize(("change", "missing"), [
    ({"unit_name": ""}, ["unit_name"]),
    ({"unit_name": "  \t"}, ["unit_name"]),
    ({"category": ""}, ["category"]),
    ({"device_number": " "}, ["device_number"]),
    ({"officer_id": None, "officer_name": ""}, ["officer"]),
    ({"used_from": None}, ["time_of_use"]),
    ({"used_to": None}, ["time_of_use"]),
    ({"party": ""}, ["party"]),
    ({"case_name": ""}, ["case_name"]),
    ({"party": "", "unit_name": "", "used_to": None}, ["unit_name", "time_of_use", "party"]),
])
def test_each_empty_item_is_named(change: dict[str, object], missing: list[str]) -> None:
    assert missing_items(replace(COMPLETE, **change)) == missing  # type: ignore[arg-type]


def test_the_officer_counts_as_given_by_id_or_by_name() -> None:
    assert missing_items(replace(COMPLETE, officer_id=None)) == []
    assert missing_items(replace(COMPLETE, officer_name="")) == []


def check(**over: object) -> object:
    values: dict[str, object] = {"unit_name": " 执法稽查一科 ", "category": "penalty", "device_number": "ZFJLY-A001",
                                 "officer_id": None, "used_from": T0, "used_to": T0 + timedelta(minutes=1),
                                 "party": "某公司", "case_name": "某案", "reason": "补登案由"}
    values.update(over)
    return check_registration(**values)  # type: ignore[arg-type]


def test_a_correction_is_cleaned() -> None:
    given = check()
    assert given.unit_name == "执法稽查一科" and given.reason == "补登案由"  # type: ignore[attr-defined]


def test_items_may_be_left_empty_but_the_reason_may_not() -> None:
    check(unit_name="", category="", device_number="", party="", case_name="", used_from=None, used_to=None)
    with pytest.raises(ValidationFailed) as err:
        check(reason="  ")
    assert [p.field for p in err.value.problems] == ["reason"]


@pytest.mark.parametrize(("over", "field"), [
    ({"category": "fine"}, "category"),
    ({"unit_name": "科" * 101}, "unit_name"),
    ({"device_number": "D" * 41}, "device_number"),
    ({"party": "人" * 201}, "party"),
    ({"case_name": "案" * 201}, "case_name"),
    ({"reason": "因" * 501}, "reason"),
    ({"party": "a\x00b"}, "party"),
    ({"used_to": T0 - timedelta(seconds=1)}, "used_to"),
    ({"used_to": None}, "used_to"),
    ({"used_from": None}, "used_from"),
    ({"used_from": T0.replace(tzinfo=None)}, "used_from"),
])
def test_bad_corrections_name_the_field(over: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        check(**over)
    assert field in [p.field for p in err.value.problems]
    assert all(p.message_zh and p.message_en for p in err.value.problems)


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as err:
        check(category="x", reason="", party="人" * 201)
    assert {p.field for p in err.value.problems} == {"category", "reason", "party"}


@pytest.mark.parametrize(("kind", "name", "expected"), [
    (MediaType.VIDEO, "clip.MP4", "video/mp4"),
    (MediaType.VIDEO, "clip.mov", "video/quicktime"),
    (MediaType.VIDEO, "clip.webm", "video/webm"),
    (MediaType.VIDEO, "clip.mkv", "video/x-matroska"),
    (MediaType.VIDEO, "noext", "video/mp4"),
    (MediaType.AUDIO, "talk.wav", "audio/wav"),
    (MediaType.AUDIO, "talk.m4a", "audio/mp4"),
    (MediaType.AUDIO, "talk.mp4", "audio/mp4"),  # an audio-only MP4
    (MediaType.PHOTO, "p.JPG", "image/jpeg"),
    (MediaType.PHOTO, "p.png", "image/png"),
    (MediaType.PHOTO, "p.svg", "image/jpeg"),  # never served as SVG (script)
    (MediaType.VIDEO, "x.html", "video/mp4"),
    (MediaType.UNKNOWN, "page.html", "application/octet-stream"),
    (MediaType.UNKNOWN, "clip.mp4", "application/octet-stream"),
])
def test_content_type(kind: MediaType, name: str, expected: str) -> None:
    assert content_type(kind, name) == expected


KEY = media_ticket.ticket_key("a-secret-of-the-server-0123456789")
USER, MEDIA = uuid.uuid4(), uuid.uuid4()


def test_a_ticket_is_bound_to_user_media_and_time() -> None:
    ticket = media_ticket.issue(KEY, user_id=USER, media_id=MEDIA, purpose="view", now=T0)
    ok = media_ticket.check(KEY, ticket, user_id=USER, media_id=MEDIA, now=T0 + timedelta(minutes=5))
    assert ok is not None and ok.purpose == "view" and ok.expires_at == T0 + media_ticket.TICKET_TTL
    assert media_ticket.check(KEY, ticket, user_id=uuid.uuid4(), media_id=MEDIA, now=T0) is None
    assert media_ticket.check(KEY, ticket, user_id=USER, media_id=uuid.uuid4(), now=T0) is None
    assert media_ticket.check(KEY, ticket, user_id=USER, media_id=MEDIA, now=T0 + media_ticket.TICKET_TTL) is None
    other_key = media_ticket.ticket_key("another-secret-0123456789abcdef")
    assert media_ticket.check(other_key, ticket, user_id=USER, media_id=MEDIA, now=T0) is None


@pytest.mark.parametrize("tamper", [
    lambda t: t.replace(".view.", ".download."),
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: ".".join([*t.split(".")[:3], str(int(t.split(".")[3]) + 3600), *t.split(".")[4:]]),
    lambda t: "",
    lambda t: "a.b.c",
    lambda t: t + ".x",
])
def test_a_tampered_ticket_is_refused(tamper: object) -> None:
    ticket = media_ticket.issue(KEY, user_id=USER, media_id=MEDIA, purpose="view", now=T0)
    assert media_ticket.check(KEY, tamper(ticket), user_id=USER, media_id=MEDIA, now=T0) is None  # type: ignore[operator]


def test_ticket_times_are_zone_independent() -> None:
    east = T0.astimezone(timezone(timedelta(hours=8)))
    ticket = media_ticket.issue(KEY, user_id=USER, media_id=MEDIA, purpose="download", now=east)
    found = media_ticket.check(KEY, ticket, user_id=USER, media_id=MEDIA, now=T0)
    assert found is not None and found.purpose == "download"
