"""The descriptive details of a case as typed, and their validation (shared by open and update)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lawtrail.domain.cases import (
    ACTION_TYPE_LABELS,
    ORIGIN_LABELS,
    PROCEDURE_LABELS,
    ActionType,
    Origin,
    Procedure,
)
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.parties import PHONE_RE

#: Action types started only ex officio (依职权), and those only on application (依申请).
EX_OFFICIO_ONLY = frozenset({ActionType.PENALTY, ActionType.COERCION, ActionType.INSPECTION})
APPLICATION_ONLY = frozenset({ActionType.LICENSING, ActionType.REGISTRATION})


@dataclass(frozen=True)
class CaseDetails:
    """What a person types about a case. ``complainant_real_name`` is None unless the origin
    is a complaint or report (True: real-name, False: anonymous)."""

    action_type: str
    procedure: str
    origin: str
    name: str
    cause: str
    origin_detail: str = ""
    complainant_real_name: bool | None = None
    complainant_name: str = ""
    complainant_contact: str = ""


def _enum(kind: Any, value: str, field: str, labels: dict[Any, str], problems: Problems) -> Any:
    try:
        return kind(value)
    except ValueError:
        problems.add(field, "须为：" + "、".join(labels.values()),
                     f"{field} must be one of " + ", ".join(k.value for k in kind))
        return next(iter(kind))


def check_details(d: CaseDetails, problems: Problems) -> dict[str, Any]:
    """Validate ``d``; return the Case fields it sets (enums, cleaned text)."""
    action = _enum(ActionType, d.action_type, "action_type", ACTION_TYPE_LABELS, problems)
    procedure = _enum(Procedure, d.procedure, "procedure", PROCEDURE_LABELS, problems)
    origin = _enum(Origin, d.origin, "origin", ORIGIN_LABELS, problems)
    name = clean_text(d.name, "name", "案件名称", problems, max_len=200)
    cause = clean_text(d.cause, "cause", "案由", problems, max_len=500)
    detail = clean_text(d.origin_detail, "origin_detail", "来源说明", problems, max_len=500,
                        required=origin in (Origin.REFERRAL, Origin.ASSIGNMENT))
    if origin is Origin.APPLICATION and action in EX_OFFICIO_ONLY:
        problems.add("origin", f"{ACTION_TYPE_LABELS[action]}依职权启动，不能依申请",
                     f"{action.value} is started ex officio, not on application")
    if action in APPLICATION_ONLY and origin is not Origin.APPLICATION:
        problems.add("origin", f"{ACTION_TYPE_LABELS[action]}依申请启动（第八条）",
                     f"{action.value} is started on application (Art. 8)")
    real, who, contact = _complainant(d, origin, problems)
    return {"action_type": action, "procedure": procedure, "origin": origin, "name": name, "cause": cause,
            "origin_detail": detail, "complainant_real_name": real, "complainant_name": who,
            "complainant_contact": contact}


def _complainant(d: CaseDetails, origin: Origin, problems: Problems) -> tuple[bool | None, str, str]:
    """A real-name complainant must be named with a contact (Art. 10: they must be told if the
    case is not taken up); an anonymous one, and any other origin, carries none."""
    who = clean_text(d.complainant_name, "complainant_name", "投诉举报人", problems, max_len=100, required=False)
    contact = clean_text(d.complainant_contact, "complainant_contact", "投诉举报人联系方式", problems,
                         max_len=100, required=False)
    if origin is not Origin.COMPLAINT:
        if d.complainant_real_name is not None or who or contact:
            problems.add("complainant_name", "只有投诉举报来源的案件才填写投诉举报人",
                         "only a complaint or report has a complainant")
        return None, "", ""
    if d.complainant_real_name is None:
        problems.add("complainant_real_name", "请选择实名或匿名投诉举报", "say whether the complaint is real-name")
        return None, who, contact
    if not d.complainant_real_name:
        if who or contact:
            problems.add("complainant_name", "匿名投诉举报不填写投诉举报人信息",
                         "an anonymous complaint has no complainant details")
        return False, "", ""
    if not who:
        problems.add("complainant_name", "实名投诉举报须填写投诉举报人（第十条）",
                     "a real-name complaint needs the complainant's name (Art. 10)")
    if not contact:
        problems.add("complainant_contact", "实名投诉举报须填写联系方式，以便告知处理结果（第十条）",
                     "a real-name complaint needs a contact to be told the outcome (Art. 10)")
    elif not (PHONE_RE.match(contact.replace(" ", "")) or "@" in contact or len(contact) >= 6):
        problems.add("complainant_contact", "联系方式格式不正确", "malformed contact")
    return True, who, contact
