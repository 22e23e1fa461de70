"""Organisation rules: input validation and the certificate's status on each edge day (Art. 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.org import (
    CERT_EXPIRING_DAYS,
    NAME_MAX,
    Certificate,
    CertStatus,
    Problems,
    can_act_as_officer,
    cert_status,
    check_certificate,
    check_code,
    check_roles,
    check_username,
    clean_text,
)
from lawtrail.errors import ValidationFailed
from tests.unit.factories import make_bureau, make_certificate, make_unit, make_user

PATTERN = r"(粤)?\d{8,14}"
FROM = date(2026, 1, 1)
TO = date(2026, 12, 31)
CERT = Certificate("粤0123456789", FROM, TO)


def fields(problems: Problems) -> list[str]:
    return [p.field for p in problems.items]


# ---- free text --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "\u3000", None])
def test_required_text_must_not_be_empty(value: str | None) -> None:
    problems = Problems()
    clean_text(value, "name", "名称", problems)
    assert fields(problems) == ["name"]
    assert "不能为空" in problems.items[0].message_zh


def test_optional_text_may_be_empty() -> None:
    problems = Problems()
    assert clean_text("", "phone", "电话", problems, required=False) == ""
    assert problems.items == []


def test_text_is_stripped_and_nfc_normalised() -> None:
    problems = Problems()
    assert clean_text("  Cafe\u0301 稽查科 ", "name", "名称", problems) == "Café 稽查科"
    assert problems.items == []


def test_length_limit_is_inclusive() -> None:
    problems = Problems()
    assert clean_text("科" * NAME_MAX, "name", "名称", problems) == "科" * NAME_MAX
    assert problems.items == []
    clean_text("科" * (NAME_MAX + 1), "name", "名称", problems)
    assert fields(problems) == ["name"]
    assert str(NAME_MAX) in problems.items[0].message_zh


def test_length_is_counted_after_normalisation() -> None:
    problems = Problems()
    clean_text("e\u0301" * NAME_MAX, "name", "名称", problems)  # 200 code points, 100 after NFC
    assert problems.items == []


@pytest.mark.parametrize("value", ["稽查\x00科", "稽查\n科", "稽查\t科", "\x1b[31m红", "稽查\x7f科", "a\u0085b"])
def test_control_characters_are_refused(value: str) -> None:
    problems = Problems()
    clean_text(value, "name", "名称", problems)
    assert fields(problems) == ["name"]
    assert "控制字符" in problems.items[0].message_zh


def test_problems_are_collected_then_raised_together() -> None:
    problems = Problems()
    clean_text("", "name", "名称", problems)
    check_code("坏 代码", "code", "代码", problems)
    with pytest.raises(ValidationFailed) as info:
        problems.raise_if_any()
    assert [p.field for p in info.value.problems] == ["name", "code"]
    assert info.value.code == "validation_failed"


def test_no_problems_raises_nothing() -> None:
    Problems().raise_if_any()


# ---- codes and usernames ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["JC1", "a", "A" * 32, "SCJ-01.2_b"])
def test_valid_codes(value: str) -> None:
    problems = Problems()
    assert check_code(f" {value} ", "code", "代码", problems) == value
    assert problems.items == []


@pytest.mark.parametrize("value", ["", "A" * 33, "-JC1", "稽查", "JC 1", "JC/1"])
def test_malformed_codes(value: str) -> None:
    problems = Problems()
    check_code(value, "code", "代码", problems)
    assert fields(problems) == ["code"]


@pytest.mark.parametrize(("value", "expected"), [("Zhang.San", "zhang.san"), (" li_si ", "li_si"),
                                                 ("abc", "abc"), ("a" * 32, "a" * 32)])
def test_valid_usernames_are_lowercased(value: str, expected: str) -> None:
    problems = Problems()
    assert check_username(value, problems) == expected
    assert problems.items == []


@pytest.mark.parametrize("value", ["ab", "a" * 33, "1abc", "_abc", "张三", "zhang san", ""])
def test_malformed_usernames(value: str) -> None:
    problems = Problems()
    check_username(value, problems)
    assert fields(problems) == ["username"]


# ---- roles ----------------------------------------------------------------------------


def test_roles_are_parsed() -> None:
    problems = Problems()
    assert check_roles(["officer", "archivist"], problems) == {Role.OFFICER, Role.ARCHIVIST}
    assert problems.items == []


@pytest.mark.parametrize("values", [[], ["superuser"], ["officer", "root"]])
def test_empty_or_unknown_roles_are_refused(values: list[str]) -> None:
    problems = Problems()
    check_roles(values, problems)
    assert fields(problems) == ["roles"]


# ---- certificates ------------------------------------------------------------------------


def test_no_certificate_at_all_is_fine() -> None:
    problems = Problems()
    assert check_certificate(None, None, None, PATTERN, problems) is None
    assert check_certificate("  ", None, None, PATTERN, problems) is None
    assert problems.items == []


@pytest.mark.parametrize("number", ["粤12345678", "12345678", "粤" + "1" * 14, " 粤0123456789 "])
def test_wellformed_certificate_numbers(number: str) -> None:
    problems = Problems()
    cert = check_certificate(number, FROM, TO, PATTERN, problems)
    assert problems.items == []
    assert cert == Certificate(number.strip(), FROM, TO)


@pytest.mark.parametrize("number", ["粤1234567", "1" * 15, "京12345678", "12345678X", "粤 12345678", "粤粤12345678"])
def test_malformed_certificate_numbers(number: str) -> None:
    problems = Problems()
    check_certificate(number, FROM, TO, PATTERN, problems)
    assert fields(problems) == ["cert_number"]


def test_dates_without_a_number_are_malformed() -> None:
    problems = Problems()
    check_certificate("", FROM, TO, PATTERN, problems)
    assert fields(problems) == ["cert_number"]


@pytest.mark.parametrize(("start", "end"), [(FROM, None), (None, TO)])
def test_both_validity_dates_are_required(start: date | None, end: date | None) -> None:
    problems = Problems()
    assert check_certificate("粤12345678", start, end, PATTERN, problems) is None
    assert fields(problems) == ["cert_valid_to"]


def test_validity_ending_before_it_starts_is_refused() -> None:
    problems = Problems()
    check_certificate("粤12345678", TO, FROM, PATTERN, problems)
    assert fields(problems) == ["cert_valid_to"]
    assert "早于" in problems.items[0].message_zh


def test_validity_of_a_single_day_is_allowed() -> None:
    problems = Problems()
    assert check_certificate("粤12345678", FROM, FROM, PATTERN, problems) == Certificate("粤12345678", FROM, FROM)
    assert problems.items == []


def test_certificate_number_with_non_ascii_digits_is_not_stored_as_typed() -> None:
    # BUG: ``\d`` matches full-width (what a Chinese IME types) and other Unicode digits, so
    # "粤１２３４５６７８" is accepted verbatim and never equals the same number in ASCII.
    problems = Problems()
    cert = check_certificate("粤１２３４５６７８", FROM, TO, PATTERN, problems)
    assert problems.items or (cert is not None and cert.number == "粤12345678")


# ---- certificate status on the edge days ---------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (FROM - timedelta(days=1), CertStatus.NOT_YET_VALID),
    (FROM, CertStatus.VALID),
    (TO - timedelta(days=CERT_EXPIRING_DAYS + 1), CertStatus.VALID),
    (TO - timedelta(days=CERT_EXPIRING_DAYS), CertStatus.EXPIRING),
    (TO, CertStatus.EXPIRING),
    (TO + timedelta(days=1), CertStatus.EXPIRED),
], ids=["day-before-from", "from", "day-before-window", "window-starts", "to", "day-after-to"])
def test_cert_status_at_the_edges(today: date, expected: CertStatus) -> None:
    assert cert_status(CERT, today) is expected


def test_missing_certificate() -> None:
    assert cert_status(None, FROM) is CertStatus.MISSING


def test_a_short_certificate_is_expiring_from_its_first_day() -> None:
    assert cert_status(Certificate("12345678", FROM, FROM + timedelta(days=10)), FROM) is CertStatus.EXPIRING


# ---- who may act as an officer (Art. 5) ----------------------------------------------------


@pytest.mark.parametrize(("today", "ok"), [
    (FROM - timedelta(days=1), False), (FROM, True), (TO, True), (TO + timedelta(days=1), False),
])
def test_officer_may_act_only_while_the_certificate_is_valid(today: date, ok: bool) -> None:
    user = make_user(make_unit(make_bureau()), Role.OFFICER, certificate=CERT)
    assert can_act_as_officer(user, today) is ok


def test_inactive_officer_or_missing_certificate_or_other_role_may_not_act() -> None:
    unit = make_unit(make_bureau())
    today = FROM + timedelta(days=100)
    assert not can_act_as_officer(make_user(unit, Role.OFFICER, certificate=CERT, active=False), today)
    assert not can_act_as_officer(make_user(unit, Role.OFFICER, certificate=None), today)
    assert not can_act_as_officer(make_user(unit, Role.ARCHIVIST, certificate=make_certificate()), today)
