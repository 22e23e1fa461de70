"""The 留痕 pages: the event trail, newest first, with a compact before→after of each change.

``/trail`` lists the whole trail (or one subject's); ``/trail/fragment`` is the same list for
one unit, person or device, fetched by htmx at the bottom of their detail pages. The service
decides who may read what.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from lawtrail.domain.access import ROLE_LABELS
from lawtrail.domain.cases import (
    ACTION_TYPE_LABELS,
    CLOSED_KIND_LABELS,
    ORIGIN_LABELS,
    PROCEDURE_LABELS,
    STAGE_LABELS,
)
from lawtrail.domain.devices import DEVICE_STATUS_LABELS, DEVICE_TYPE_LABELS, LOG_KIND_LABELS
from lawtrail.domain.events import Action, Event
from lawtrail.domain.org import UNIT_KIND_LABELS
from lawtrail.domain.vault import CATEGORY_LABELS
from lawtrail.errors import LawtrailError, PermissionDenied
from lawtrail.services import events as ev_svc
from lawtrail.services import org as org_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.render import local_time, page

router = APIRouter()
Who = Depends(ui_principal)

PAGE_SIZE = 50
FRAGMENT_SIZE = 15
VALUE_MAX = 60
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")  # both ways UTC is written

ACTION_LABELS: dict[str, str] = {
    Action.SYSTEM_INIT: "系统初始化", Action.BUREAU_CREATE: "创建机关",
    Action.UNIT_CREATE: "创建执法机构", Action.UNIT_UPDATE: "修改执法机构",
    Action.UNIT_DEACTIVATE: "停用执法机构", Action.UNIT_REACTIVATE: "启用执法机构",
    Action.USER_CREATE: "创建人员", Action.USER_UPDATE: "修改人员信息",
    Action.USER_DEACTIVATE: "停用人员", Action.USER_REACTIVATE: "启用人员",
    Action.USER_PASSWORD_RESET: "重置密码", Action.USER_PASSWORD_CHANGE: "修改本人密码",
    Action.USER_TOTP_ENABLE: "开启动态验证码", Action.USER_TOTP_DISABLE: "关闭动态验证码",
    Action.DEVICE_CREATE: "登记设备", Action.DEVICE_UPDATE: "修改设备信息",
    Action.DEVICE_ASSIGN: "设备领用/归还", Action.DEVICE_STATUS: "设备状态变更",
    Action.DEVICE_LOG: "设备记录", Action.LOGIN: "登录", Action.LOGIN_REFUSED: "登录被拒绝",
    Action.LOGOUT: "退出登录", Action.TOKEN_CREATE: "签发API令牌", Action.TOKEN_REVOKE: "吊销API令牌",
    Action.LEDGER_CHECKPOINT: "签发检查点", Action.LEDGER_VERIFICATION: "核验账本",
    Action.MEDIA_INGEST: "音像资料入库", Action.VAULT_VERIFICATION: "核验原始文件存储",
    Action.MEDIA_VIEW: "查看原始音像", Action.MEDIA_DOWNLOAD: "下载原始音像",
    Action.MEDIA_READ_REFUSED: "查阅被拒绝", Action.MEDIA_REGISTRATION: "更正分类登记",
    Action.MEDIA_ALTER_REFUSED: "修改/删除原始文件被拒绝",
    Action.MEDIA_DERIVED_CREATE: "生成播放副本或缩略图",
}
ACTION_LABELS.update({
    Action.CASE_OPEN: "立案", Action.CASE_UPDATE: "修改案件信息", Action.CASE_PARTY_ADD: "添加当事人",
    Action.CASE_HANDLERS_SET: "变更承办人", Action.CASE_STAGE_ADVANCE: "环节变更", Action.CASE_CLOSE: "案件终结",
    Action.CASE_MEDIA_LINK: "关联音像资料", Action.CASE_MEDIA_UNLINK: "解除音像关联",
    Action.OVERSIGHT_REPORT_VIEW: "查阅问责报告", Action.OVERSIGHT_REPORT_EXPORT: "导出问责报告",
})
SUBJECT_LABELS = {"case": "案件", "bureau": "机关", "unit": "执法机构", "user": "人员", "device": "设备",
                  "token": "API令牌", "login": "登录", "deployment": "系统", "ledger": "账本",
                  "media": "音像资料", "vault": "原始文件存储"}
SUBJECT_LINKS = {"case": "/cases/{}", "unit": "/admin/units/{}", "user": "/admin/users/{}", "device": "/devices/{}",
                 "media": "/media/{}"}
FIELD_LABELS = {
    "case": "案件", "case_id": "关联案件", "tool": "生成方式", "content_type": "内容类型",
    "original_sha256": "原始文件 SHA-256",
    "code": "代码", "name": "名称", "kind": "类型", "active": "启用", "unit_id": "所属机构",
    "username": "用户名", "display_name": "姓名", "roles": "角色", "phone": "电话",
    "certificate": "执法证", "totp_enabled": "动态验证码", "totp_required": "强制动态验证码",
    "number": "编号", "type": "设备类型", "status": "状态", "holder_id": "领用人", "make": "品牌",
    "model": "型号", "serial": "序列号", "note": "内容", "ip": "IP", "reason": "原因",
    "totp_pending": "待验证码", "expires_at": "到期", "prefix": "前缀", "user_id": "所属用户",
    "revoked_at": "吊销时间", "at": "时间", "extra": "其他",
    "ok": "核验通过", "size": "树大小", "checkpoints": "检查点数", "latest_checkpoint": "最新检查点",
    "root": "根哈希", "problem": "问题", "timestamp": "可信时间戳", "token_sha256": "时间戳摘要",
    "version": "版本", "unit_name": "执法机构名称", "category": "执法类别", "device_number": "设备编号",
    "officer_name": "执法人员", "used_from": "使用开始", "used_to": "使用结束", "party": "当事人",
    "case_name": "案由名称", "purpose": "用途", "range": "字节范围", "attempt": "尝试的操作",
    "sha256": "SHA-256", "officer_id": "执法人员", "file_size": "文件大小（字节）", "media_type": "资料类型",
    "probe_ok": "可读取", "device": "设备", "captured_at": "拍摄时间", "handed_in_at": "移交时间",
    "stage": "环节", "action_type": "执法行为类别", "procedure": "程序", "origin": "来源", "cause": "案由",
    "parties": "当事人", "handlers": "承办人", "correction": "更正", "closed_kind": "终结方式",
    "closed_reason": "终结理由", "origin_detail": "来源说明", "complainant_name": "投诉举报人",
    "complainant_contact": "联系方式", "complainant_real_name": "实名", "opened_by": "立案人",
    "id_number": "证件号码", "legal_rep": "法定代表人", "address": "地址", "media_id": "音像资料",
    "year": "年度", "opened_at": "立案时间", "secrecy": "密级", "ended_at": "终结时间",
    "added_at": "登记时间", "added_by": "登记人",
}
#: Hashes are shown shortened (the full value is in the ledger and its proofs).
HASH_FIELDS = frozenset({"root", "token_sha256", "sha256"})
HASH_SHOWN = 16
#: Values a creation's summary leaves out (False too: "TOTP off" on a new person is noise).
EMPTY: tuple[Any, ...] = (None, "", [], {}, False)
#: Bookkeeping fields that change with everything: left out of the compact diff.
QUIET_FIELDS = frozenset({"id", "bureau_id", "created_at", "updated_at", "device_id", "actor_id",
                          "actor_name", "last_used_at"})
ENUM_LABELS: dict[str, dict[str, str]] = {
    "status": {k.value: v for k, v in DEVICE_STATUS_LABELS.items()},
    "type": {k.value: v for k, v in DEVICE_TYPE_LABELS.items()},
    "kind": {**{k.value: v for k, v in UNIT_KIND_LABELS.items()},
             **{k.value: v for k, v in LOG_KIND_LABELS.items()}},
    "roles": {k.value: v for k, v in ROLE_LABELS.items()},
    "category": {k.value: v for k, v in CATEGORY_LABELS.items()},
    "purpose": {"view": "查看", "download": "下载", "ticket": "播放"},
    "attempt": {"delete": "删除", "replace": "替换/修改"},
    "media_type": {"video": "视频", "audio": "录音", "photo": "照片", "unknown": "无法识别"},
    "stage": {k.value: v for k, v in STAGE_LABELS.items()},
    "action_type": {k.value: v for k, v in ACTION_TYPE_LABELS.items()},
    "procedure": {k.value: v for k, v in PROCEDURE_LABELS.items()},
    "origin": {k.value: v for k, v in ORIGIN_LABELS.items()},
    "closed_kind": {k.value: v for k, v in CLOSED_KIND_LABELS.items()},
    "secrecy": {"ordinary": "普通"},
}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str | None  # None: the event has no "before" (a creation)
    after: str | None   # None: the event has no "after"


@dataclass(frozen=True)
class Row:
    event: Event
    action_label: str
    subject_label: str
    link: str | None
    changes: list[Change]


def _show(key: str, value: Any, names: dict[str, str]) -> str:
    """One stored value as a short readable string (labels for enums, names for ids)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_show(key, v, names) for v in value)
    if isinstance(value, dict):
        if key == "certificate":
            return f"{value.get('number', '')}（{value.get('valid_from', '')} 至 {value.get('valid_to', '')}）"
        if key in ("parties", "handlers") and value.get("name"):  # a case's party or handler: its name
            return str(value["name"]) + ("（主办）" if value.get("lead") else "")
        if not value:
            return "—"
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, str) and key in HASH_FIELDS and len(value) > HASH_SHOWN:
        return value[:HASH_SHOWN] + "…"
    elif isinstance(value, str) and ISO_UTC.match(value):
        text = local_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    else:
        text = str(value)
        text = ENUM_LABELS.get(key, {}).get(text, names.get(text, text))
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None, names: dict[str, str]) -> list[Change]:
    """The fields that differ between the snapshots, bookkeeping fields left out."""
    old, new = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in QUIET_FIELDS]
    if before is None or after is None:  # a creation or a removal: what it held, empties left out
        return [Change(k, FIELD_LABELS.get(k, k), None if before is None else _show(k, old[k], names),
                       None if after is None else _show(k, new[k], names))
                for k in keys if (new if before is None else old).get(k) not in EMPTY]
    return [Change(k, FIELD_LABELS.get(k, k), _show(k, old.get(k), names), _show(k, new.get(k), names))
            for k in keys if old.get(k) != new.get(k)]


def _names(request: Request, who: Principal) -> dict[str, str]:
    """Unit and person names the actor may see, by id string (to show ids as names)."""
    c, ctx = container(request), who.ctx(request)
    names: dict[str, str] = {}
    with contextlib.suppress(LawtrailError):  # a reader may not see units: their ids stay ids
        names.update({str(u.id): u.name for u in org_svc.list_units(c.uow(), ctx)})
    with contextlib.suppress(LawtrailError):
        names.update({str(u.id): u.display_name for u in user_svc.list_users(c.uow(), ctx)})
    return names


def rows(events: list[Event], names: dict[str, str]) -> list[Row]:
    return [Row(event=e, action_label=ACTION_LABELS.get(e.action, e.action),
                subject_label=SUBJECT_LABELS.get(e.subject_type, e.subject_type),
                link=SUBJECT_LINKS[e.subject_type].format(e.subject_id)
                if e.subject_type in SUBJECT_LINKS else None,
                changes=diff(e.before, e.after, names)) for e in events]


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@router.get("/trail", response_class=HTMLResponse)
def trail(request: Request, who: Principal = Who) -> Response:
    q = request.query_params
    subject_type, subject_id = q.get("subject_type", "").strip(), q.get("subject_id", "").strip()
    before_seq = _int(q.get("before_seq"))
    c, notice = container(request), ""
    try:
        events = ev_svc.list_events(c.uow(), who.ctx(request), subject_type=subject_type or None,
                                    subject_id=subject_id or None, limit=PAGE_SIZE, before_seq=before_seq)
    except PermissionDenied:
        if subject_type or subject_id:
            raise
        # A unit-limited reader (a unit head) may not read the whole trail: show their unit's.
        subject_type, subject_id = "unit", str(who.user.unit_id)
        notice = "您的留痕查看权限限于本执法机构，以下为本机构的记录。"
        events = ev_svc.list_events(c.uow(), who.ctx(request), subject_type=subject_type,
                                    subject_id=subject_id, limit=PAGE_SIZE, before_seq=before_seq)
    older = events[-1].seq if len(events) == PAGE_SIZE and events[-1].seq > 0 else None
    return page(request, "trail.html", rows=rows(events, _names(request, who)), subject_type=subject_type,
                subject_id=subject_id, before_seq=before_seq, older=older, notice=notice,
                subject_types=SUBJECT_LABELS)


@router.get("/trail/fragment", response_class=HTMLResponse)
def trail_fragment(request: Request, subject_type: str, subject_id: UUID, who: Principal = Who) -> Response:
    """The trail of one unit, person or device, for the bottom of its page (htmx)."""
    try:
        events = ev_svc.list_events(container(request).uow(), who.ctx(request), subject_type=subject_type,
                                    subject_id=str(subject_id), limit=FRAGMENT_SIZE)
    except PermissionDenied:
        return page(request, "_trail_fragment.html", rows=[], denied=True, subject_type=subject_type,
                    subject_id=subject_id, more=False)
    return page(request, "_trail_fragment.html", rows=rows(events, _names(request, who)), denied=False,
                subject_type=subject_type, subject_id=subject_id, more=len(events) == FRAGMENT_SIZE)
