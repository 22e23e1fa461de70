"""Parties to a case (当事人): citizens, legal persons and other organisations, with the check
characters of their national identifiers.

- A citizen is identified by the 18-character resident identity card number of GB 11643-1999:
  6 digits of region, 8 of birth date, 3 of sequence and a check character computed as ISO 7064
  MOD 11-2 (``X`` stands for 10).
- A legal person or other organisation is identified by its unified social credit code of
  GB 32100-2015: 18 characters from ``0-9 A-H J-N P-R T U W-Y`` (no I, O, Z, S, V), the last one a
  check character computed MOD 31 with weights 3^i mod 31.

Pure: no I/O. Validation collects every problem (``Problems``) so a form shows all at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.org import Problems, clean_text


class PartyKind(StrEnum):
    CITIZEN = "citizen"
    LEGAL_PERSON = "legal_person"
    OTHER_ORG = "other_org"


PARTY_KIND_LABELS: dict[PartyKind, str] = {
    PartyKind.CITIZEN: "公民",
    PartyKind.LEGAL_PERSON: "法人",
    PartyKind.OTHER_ORG: "其他组织",
}

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of 17 digits (ISO 7064 MOD 11-2)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def resident_id_problem(number: str) -> tuple[str, str] | None:
    """Why ``number`` is not a valid resident ID (zh, en), or None when it is valid."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return "身份证号码应为18位（17位数字加1位数字或X）", "an ID card number has 17 digits and a digit or X"
    if number[0] == "0":
        return "身份证号码的地区码无效", "the region code of the ID card number is invalid"
    try:
        born = datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return "身份证号码中的出生日期无效", "the birth date in the ID card number is invalid"
    if born.year < 1900:  # a future date is the service's question (the domain has no clock)
        return "身份证号码中的出生日期无效", "the birth date in the ID card number is invalid"
    if id_check_char(number[:17]) != number[17]:
        return "身份证号码校验位不正确（GB 11643）", "the ID card number's check character is wrong (GB 11643)"
    return None


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> tuple[str, str] | None:
    """Why ``code`` is not a valid unified social credit code (zh, en), or None when it is."""
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        return ("统一社会信用代码应为18位数字或大写字母（不含 I、O、Z、S、V）",
                "a unified social credit code has 18 digits or capitals (not I, O, Z, S, V)")
    if not code[8:17].replace("-", "").isalnum():  # the embedded organisation code
        return "统一社会信用代码格式不正确", "malformed unified social credit code"
    if uscc_check_char(code[:17]) != code[17]:
        return ("统一社会信用代码校验位不正确（GB 32100）",
                "the unified social credit code's check character is wrong (GB 32100)")
    return None


@dataclass(frozen=True)
class Party:
    """One party of a case. ``id_number`` is the ID card number of a citizen or the credit code
    of an organisation; ``legal_rep`` is the legal representative (or principal) of an organisation."""

    id: UUID
    case_id: UUID
    kind: PartyKind
    name: str
    id_number: str
    legal_rep: str
    address: str
    phone: str
    added_at: datetime
    added_by: str


@dataclass(frozen=True)
class PartyInput:
    """A party as typed, before validation."""

    kind: str
    name: str
    id_number: str = ""
    legal_rep: str = ""
    address: str = ""
    phone: str = ""


def _norm(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")


def check_party(data: PartyInput, problems: Problems, prefix: str = "") -> PartyInput:
    """Validate one party; field names get ``prefix`` (``parties.0.``) for forms listing several.

    Return the cleaned values (kind as its enum value)."""
    try:
        kind = PartyKind(data.kind)
    except ValueError:
        problems.add(f"{prefix}kind", "当事人类型须为公民、法人或其他组织",
                     "party kind must be citizen, legal_person or other_org")
        kind = PartyKind.CITIZEN
    name = clean_text(data.name, f"{prefix}name", "当事人名称", problems, max_len=100)
    number = _norm(data.id_number)
    if kind is PartyKind.CITIZEN:
        reason = resident_id_problem(number) if number else ("须填写公民身份号码", "a citizen needs an ID card number")
        legal_rep = ""
    else:
        reason = uscc_problem(number) if number else ("须填写统一社会信用代码",
                                                      "an organisation needs its unified social credit code")
        label = "法定代表人" if kind is PartyKind.LEGAL_PERSON else "负责人"
        legal_rep = clean_text(data.legal_rep, f"{prefix}legal_rep", label, problems, max_len=50)
    if reason:
        problems.add(f"{prefix}id_number", *reason)
    address = clean_text(data.address, f"{prefix}address", "地址", problems, max_len=200, required=False)
    phone = _norm(data.phone)
    if phone and not PHONE_RE.match(phone):
        problems.add(f"{prefix}phone", "联系电话格式不正确（手机号11位，或区号-号码）",
                     "malformed phone number (11-digit mobile, or area code-number)")
    return PartyInput(kind=kind.value, name=name, id_number=number, legal_rep=legal_rep, address=address,
                      phone=phone)


def masked_id(number: str) -> str:
    """An ID card number with the birth date and sequence hidden (for lists): ``440703********123X``."""
    if len(number) == 18 and number[:17].isdigit():
        return number[:6] + "*" * 8 + number[14:]
    return number
