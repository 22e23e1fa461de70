"""Disclosure (Art. 37): giving AV records outside the bureau, or publishing them, needs an
approval naming the recipient and the purpose; the copy that leaves carries a visible mark and
its own digest, and the export is recorded (docs/decisions/0025).

    requested ──approve──▶ approved ──(export, any number of times)
        │  └──refuse──▶ refused
        └──withdraw──▶ withdrawn

The request is a record, each decision a further record (both append-only): the status is the
latest decision. A leader (``disclosure:approve``), never the requester, approves or refuses;
only the requester withdraws. Items above the recipient-facing levels (trade secret, state
secret) need the requester's explicit confirmation, and are never published.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from uuid import UUID

from lawtrail.domain.access import Actor, Permission, allows
from lawtrail.domain.secrecy import LEVEL_LABELS, Level
from lawtrail.errors import InvalidTransition, PermissionDenied

ARTICLE = "第三十七条"
PURPOSE_MAX = 500
MARK_MAX = 60  # characters of recipient or purpose that go into the burnt-in mark
BEIJING = timezone(timedelta(hours=8))
#: Levels that may go to a recipient on the requester's word; above them an explicit
#: confirmation is needed, and publication is refused.
RECIPIENT_LEVELS = frozenset({Level.ORDINARY, Level.PERSONAL_PRIVACY})


class Status(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


STATUS_LABELS: dict[Status, str] = {Status.REQUESTED: "待审批", Status.APPROVED: "已批准",
                                    Status.REFUSED: "不予批准", Status.WITHDRAWN: "已撤回"}
#: THE table of moves.
MOVES: frozenset[tuple[Status, Status]] = frozenset({
    (Status.REQUESTED, Status.APPROVED), (Status.REQUESTED, Status.REFUSED), (Status.REQUESTED, Status.WITHDRAWN)})
DECIDER_MOVES = frozenset({Status.APPROVED, Status.REFUSED})


class ItemKind(StrEnum):
    """What is given: a media original, or a scan or photo attached to a case record."""

    MEDIA = "media"
    ATTACHMENT = "attachment"


class Method(StrEnum):
    """How a copy carries its mark: burnt into the video, drawn on the photo, or a notice file
    beside a document the bureau does not alter."""

    VIDEO = "video"
    IMAGE = "image"
    SIDECAR = "sidecar"


@dataclass(frozen=True)
class DisclosureRequest:
    """What was asked (never changed): the originals and record attachments, to whom, for what,
    published or not."""

    id: UUID
    bureau_id: UUID
    requester_id: UUID
    requester_name: str
    requester_unit_id: UUID
    recipient_name: str
    recipient_org: str
    purpose: str
    publish: bool
    secret_confirmed: bool
    media_ids: tuple[UUID, ...]
    created_at: datetime
    attachment_ids: tuple[UUID, ...] = ()

    @property
    def items(self) -> frozenset[tuple[ItemKind, UUID]]:
        return frozenset({*((ItemKind.MEDIA, m) for m in self.media_ids),
                          *((ItemKind.ATTACHMENT, a) for a in self.attachment_ids)})


@dataclass(frozen=True)
class DisclosureDecision:
    id: UUID
    request_id: UUID
    status: Status
    actor_id: UUID | None
    actor_name: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Disclosure:
    """A request with its decisions, oldest first."""

    request: DisclosureRequest
    decisions: tuple[DisclosureDecision, ...] = ()

    @property
    def status(self) -> Status:
        return self.decisions[-1].status if self.decisions else Status.REQUESTED

    @property
    def approved_at(self) -> datetime | None:
        return next((d.at for d in self.decisions if d.status == Status.APPROVED), None)


@dataclass(frozen=True)
class ExportedCopy:
    """One marked copy: which item (and its digest) became which copy (and its digest)."""

    export_id: UUID
    item_id: UUID
    name: str
    original_sha256: str
    copy_sha256: str
    copy_size: int
    method: Method
    kind: ItemKind = ItemKind.MEDIA

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "item_id": str(self.item_id), "name": self.name,
                "original_sha256": self.original_sha256, "copy_sha256": self.copy_sha256,
                "copy_size": self.copy_size, "method": self.method.value}


@dataclass(frozen=True)
class DisclosureExport:
    id: UUID
    request_id: UUID
    bureau_id: UUID
    actor_id: UUID | None
    actor_name: str
    at: datetime
    manifest_sha256: str
    copies: tuple[ExportedCopy, ...] = ()


def check_move(disclosure: Disclosure, to: Status, actor: Actor) -> None:
    """Return when ``actor`` may move ``disclosure`` to ``to``.

    Raise InvalidTransition ``disclosure.bad_transition`` for a move the table lacks;
    PermissionDenied ``permission_denied`` without disclosure:approve for a decision,
    ``disclosure.own_request`` when the requester would decide their own request,
    ``disclosure.not_requester`` when someone else would withdraw it."""
    current = disclosure.status
    if (current, to) not in MOVES:
        raise InvalidTransition(
            f"申请当前为“{STATUS_LABELS[current]}”，不能改为“{STATUS_LABELS[to]}”",
            f"a request that is {current.value} cannot become {to.value}", code="disclosure.bad_transition",
            details={"from": current.value, "to": to.value})
    if to in DECIDER_MOVES:
        if not allows(actor, Permission.DISCLOSURE_APPROVE, bureau_id=disclosure.request.bureau_id, unit_id=None):
            raise PermissionDenied("只有机关负责人可以批准对外提供（第三十七条）",
                                   "only the bureau head approves a disclosure (Art. 37)", code="permission_denied",
                                   article=ARTICLE,
                                   details={"permission": Permission.DISCLOSURE_APPROVE.value})
        if actor.user_id == disclosure.request.requester_id:
            raise PermissionDenied("不得审批本人提出的对外提供申请", "nobody approves their own request",
                                   code="disclosure.own_request")
    elif actor.user_id != disclosure.request.requester_id:
        raise PermissionDenied("只有申请人本人可以撤回申请", "only the requester withdraws a request",
                               code="disclosure.not_requester")


def level_problems(levels: Mapping[UUID, Level], *, publish: bool, confirmed: bool) -> list[tuple[str, str]]:
    """The (zh, en) objections to disclosing items of ``levels``: anything above the
    recipient-facing levels is never published and otherwise needs ``confirmed``."""
    high = {m: lv for m, lv in levels.items() if lv not in RECIPIENT_LEVELS}
    if not high:
        return []
    names = "、".join(sorted({LEVEL_LABELS[lv] for lv in high.values()}))
    if publish:
        return [(f"涉及{names}的音像记录不得公开发布（第三十七条、第四十七条）",
                 "trade or state secrets are never published (Art. 37, 47)")]
    if not confirmed:
        return [(f"所选材料涉及{names}，须明确确认对外提供",
                 "items above personal privacy need an explicit confirmation")]
    return []


def check_export(disclosure: Disclosure) -> None:
    """Return when ``disclosure`` may be exported (approved); raise PermissionDenied
    ``disclosure.not_approved`` citing Art. 37 otherwise."""
    if disclosure.status != Status.APPROVED:
        raise PermissionDenied("未经批准，不得对外提供或者发布音像记录（第三十七条）",
                               "AV records leave the bureau only with an approval (Art. 37)",
                               code="disclosure.not_approved", article=ARTICLE,
                               details={"status": disclosure.status.value})


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MARK_MAX else flat[:MARK_MAX - 1] + "…"


def mark_text(bureau_name: str, request: DisclosureRequest, at: datetime) -> str:
    """The visible mark of every copy: who gives it, to whom, for what, under which request, on
    which (Beijing) day."""
    who = _short(f"{request.recipient_org} {request.recipient_name}".strip())
    kind = "公开发布" if request.publish else "对外提供"
    day = at.astimezone(BEIJING).strftime("%Y-%m-%d")
    return f"{_short(bureau_name)} {kind} 给：{who} 用途：{_short(request.purpose)} 编号：{str(request.id)[:8]} {day}"


def method_for(media_type: str, name: str) -> Method:
    """Video is burnt in, photos drawn on; everything else gets a notice file beside it."""
    if media_type == "video":
        return Method.VIDEO
    if media_type in ("photo", "image") or name.lower().endswith((".jpg", ".jpeg", ".png")):
        return Method.IMAGE
    return Method.SIDECAR


def manifest(request: DisclosureRequest, export_id: UUID, at: datetime, mark: str,
             copies: tuple[ExportedCopy, ...]) -> dict[str, Any]:
    """The manifest that goes with the copies (original digest → copy digest)."""
    return {"format": "lawtrail-disclosure/1", "request_id": str(request.id), "export_id": str(export_id),
            "recipient": {"name": request.recipient_name, "org": request.recipient_org},
            "purpose": request.purpose, "publish": request.publish, "mark": mark,
            "exported_at": at.isoformat(), "items": [c.as_dict() for c in copies]}
