"""The record catalogue (记录事项清单, Art. 3: "另行制定清单"): which text records exist, at which
stage, with which typed fields, who must sign them and whether a simultaneous AV record is needed.

The catalogue is data (DESIGN.md rule 6): a YAML document shipped in the package
(``lawtrail/data/catalogue.yaml``, version 1 of the catalogue) that an administrator may replace;
each accepted replacement is the next version. ``parse_catalogue`` validates the mapping read from
the YAML and reports every problem with its path (``kinds[3].fields[1].type``) in Chinese and
English (ValidationFailed ``catalogue.invalid``). Pure: no YAML library, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from lawtrail.domain.cases import ActionType, Origin, Procedure, Stage
from lawtrail.errors import FieldProblem, ValidationFailed

SCHEMA_VERSION = 1
ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
ARTICLE_RE = re.compile(r"^第[一二三四五六七八九十百零]+条$")
TEXT_MAX_LIMIT = 50_000
MAX_KINDS = 200
MAX_FIELDS = 40
MAX_OPTIONS = 50
MAX_SIGNERS = 20


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATETIME = "datetime"
    DATE = "date"
    NUMBER = "number"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    PEOPLE = "people"
    YES_NO = "yes_no"


FIELD_TYPE_LABELS: dict[FieldType, str] = {
    FieldType.TEXT: "文本", FieldType.LONG_TEXT: "长文本", FieldType.DATETIME: "日期时间", FieldType.DATE: "日期",
    FieldType.NUMBER: "数字", FieldType.CHOICE: "单选", FieldType.MULTI_CHOICE: "多选",
    FieldType.PEOPLE: "人员名单", FieldType.YES_NO: "是/否",
}
#: Default and largest length of text values per type (a field may lower it with ``max``).
DEFAULT_MAX: dict[FieldType, int] = {FieldType.TEXT: 200, FieldType.LONG_TEXT: 5000, FieldType.PEOPLE: 50}


class Capacity(StrEnum):
    """In what capacity someone signs a record (签名身份)."""

    OFFICER = "officer"
    PARTY = "party"
    WITNESS = "witness"
    PARTICIPANT = "participant"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    EXPERT = "expert"
    RECIPIENT = "recipient"
    SERVER = "server"
    AGENCY = "agency"
    OTHER = "other"


CAPACITY_LABELS: dict[Capacity, str] = {
    Capacity.OFFICER: "执法人员", Capacity.PARTY: "当事人", Capacity.WITNESS: "见证人",
    Capacity.PARTICIPANT: "参加人员", Capacity.REVIEWER: "审核人员", Capacity.APPROVER: "审批人",
    Capacity.EXPERT: "专家", Capacity.RECIPIENT: "受送达人（签收人）", Capacity.SERVER: "送达人",
    Capacity.AGENCY: "本机关（盖章）", Capacity.OTHER: "其他有关人员",
}
#: The bureau's own people never "refuse" to sign their own records: only outsiders may (Art. 13).
MAY_REFUSE = frozenset({Capacity.PARTY, Capacity.WITNESS, Capacity.PARTICIPANT, Capacity.EXPERT,
                        Capacity.RECIPIENT, Capacity.OTHER})


class AvRule(StrEnum):
    """Simultaneous AV record (Art. 14, 15, 27, 32): required (or a recorded reason why it was
    unsuitable), optional, or not applicable."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


AV_RULE_LABELS = {AvRule.REQUIRED: "应同步音像记录", AvRule.OPTIONAL: "可音像记录", AvRule.NONE: "无需音像记录"}


@dataclass(frozen=True)
class FieldSpec:
    id: str
    label: str
    type: FieldType
    required: bool = False
    max_len: int = 0  # text types: the limit; 0 for others
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    future: bool = False  # date / datetime: may lie after the recording (a deadline)
    help: str = ""


@dataclass(frozen=True)
class SignerSpec:
    """``count`` signatures of ``capacity`` are needed; with ``count_from`` the count is the
    number of people listed in that PEOPLE field of the record (everyone present signs, Art. 18)."""

    capacity: Capacity
    count: int = 1
    count_from: str = ""
    label: str = ""


@dataclass(frozen=True)
class RecordKind:
    id: str
    name: str
    stages: tuple[Stage, ...]
    articles: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    signers: tuple[SignerSpec, ...] = ()
    av: AvRule = AvRule.NONE
    officers: bool = False  # Art. 11: officers present, certificate numbers, shown or not
    rights_notice: bool = False  # Art. 12: how the rights were notified
    action_types: frozenset[ActionType] = frozenset(ActionType)
    procedures: frozenset[Procedure] = frozenset(Procedure)
    origins: frozenset[Origin] = frozenset(Origin)
    required: bool = False  # every applicable case needs one at each of its stages
    group: str = ""  # kinds of one group stand in for each other where ``required`` (service methods)
    description: str = ""

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def applies_to(self, action_type: ActionType, procedure: Procedure, origin: Origin) -> bool:
        return action_type in self.action_types and procedure in self.procedures and origin in self.origins


@dataclass(frozen=True)
class Catalogue:
    """One version of the catalogue: ``version`` counts from 1 (the packaged file); ``sha256`` is
    the digest of the exact text it was parsed from."""

    version: int
    sha256: str
    kinds: tuple[RecordKind, ...]

    def kind(self, kind_id: str) -> RecordKind | None:
        return self._by_id.get(kind_id)

    @cached_property
    def _by_id(self) -> dict[str, RecordKind]:
        return {k.id: k for k in reversed(self.kinds)}  # the first of an id wins, as a scan would

    def required_for(self, action_type: ActionType, procedure: Procedure, origin: Origin) -> tuple[RecordKind, ...]:
        """The ``required`` kinds with stages that apply to a case of this action type, procedure
        and origin, in catalogue order (worked out once per combination)."""
        key = (action_type, procedure, origin)
        found = self._required.get(key)
        if found is None:
            found = self._required[key] = tuple(
                k for k in self.kinds if k.required and k.stages and k.applies_to(action_type, procedure, origin))
        return found

    @cached_property
    def _required(self) -> dict[tuple[ActionType, Procedure, Origin], tuple[RecordKind, ...]]:
        return {}

    def for_stage(self, stage: Stage) -> list[RecordKind]:
        return [k for k in self.kinds if stage in k.stages]


# ---- the parser ---------------------------------------------------------------------------------

class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, path: str, zh: str, en: str) -> None:
        if len(self.items) < 100:
            self.items.append(FieldProblem(path, f"{path}：{zh}", f"{path}: {en}"))


def catalogue_error(problems: list[FieldProblem]) -> ValidationFailed:
    first = problems[0]
    more = f"（共{len(problems)}处问题）" if len(problems) > 1 else ""
    more_en = f" ({len(problems)} problems)" if len(problems) > 1 else ""
    return ValidationFailed(message_zh=f"记录事项清单有误：{first.message_zh}{more}",
                            message_en=f"Invalid record catalogue: {first.message_en}{more_en}",
                            code="catalogue.invalid", article="第三条", problems=problems)


def _str(raw: Any, path: str, errors: _Errors, *, max_len: int = 100, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()):
        errors.add(path, "应为非空文字", "must be a non-empty string")
        return ""
    if len(raw) > max_len:
        errors.add(path, f"不能超过{max_len}个字符", f"must be at most {max_len} characters")
    return raw.strip()


def _enum_set(raw: Any, kind: type[StrEnum], path: str, errors: _Errors) -> frozenset[Any]:
    """``all`` (or absent) means every member; otherwise a non-empty list of member values."""
    if raw is None or raw == "all":
        return frozenset(kind)
    if not isinstance(raw, list) or not raw:
        errors.add(path, "应为 all 或非空列表", "must be 'all' or a non-empty list")
        return frozenset()
    values = {m.value for m in kind}
    out = set()
    for i, item in enumerate(raw):
        if item not in values:
            errors.add(f"{path}[{i}]", f"未知取值 {item!r}（可选：{'、'.join(sorted(values))}）",
                       f"unknown value {item!r} (one of {', '.join(sorted(values))})")
        else:
            out.add(kind(item))
    return frozenset(out)


def _bool(raw: Any, path: str, errors: _Errors) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        errors.add(path, "应为 true 或 false", "must be true or false")
        return False
    return raw


def _number(raw: Any, path: str, errors: _Errors) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        errors.add(path, "应为数字", "must be a number")
        return None
    return float(raw)


_FIELD_KEYS = {"id", "label", "type", "required", "max", "options", "min", "future", "help"} | {"max_value"}


def _field(raw: Any, path: str, errors: _Errors) -> FieldSpec | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "应为映射（id、label、type …）", "must be a mapping (id, label, type …)")
        return None
    for key in raw:
        if key not in _FIELD_KEYS:
            errors.add(f"{path}.{key}", "未知的字段属性", "unknown field property")
    fid = _str(raw.get("id"), f"{path}.id", errors, max_len=48)
    if fid and not ID_RE.match(fid):
        errors.add(f"{path}.id", "只能是小写字母开头的小写字母、数字和下划线（2–48位）",
                   "must be 2-48 lower-case letters, digits or underscores, starting with a letter")
    label = _str(raw.get("label"), f"{path}.label", errors, max_len=60)
    try:
        ftype = FieldType(str(raw.get("type")))
    except ValueError:
        errors.add(f"{path}.type", f"未知字段类型 {raw.get('type')!r}（可选：{'、'.join(t.value for t in FieldType)}）",
                   f"unknown field type {raw.get('type')!r} (one of {', '.join(t.value for t in FieldType)})")
        return None
    max_len = 0
    if ftype in DEFAULT_MAX:
        given = DEFAULT_MAX[ftype] if raw.get("max") is None else raw.get("max")
        if isinstance(given, bool) or not isinstance(given, int) or not 1 <= given <= TEXT_MAX_LIMIT:
            errors.add(f"{path}.max", f"应为 1–{TEXT_MAX_LIMIT} 的整数", f"must be a whole number 1..{TEXT_MAX_LIMIT}")
        else:
            max_len = given
    elif raw.get("max") is not None:
        errors.add(f"{path}.max", "只有文本类字段可设最大长度", "only text fields take a maximum length")
    options: tuple[str, ...] = ()
    if ftype in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        opts = raw.get("options")
        if not isinstance(opts, list) or not 2 <= len(opts) <= MAX_OPTIONS:
            errors.add(f"{path}.options", f"选择字段应有 2–{MAX_OPTIONS} 个选项",
                       f"a choice needs 2..{MAX_OPTIONS} options")
        else:
            options = tuple(_str(o, f"{path}.options[{i}]", errors, max_len=60) for i, o in enumerate(opts))
            if len(set(options)) != len(options):
                errors.add(f"{path}.options", "选项重复", "duplicate options")
    elif raw.get("options") is not None:
        errors.add(f"{path}.options", "只有选择字段可设选项", "only choice fields take options")
    lo, hi = _number(raw.get("min"), f"{path}.min", errors), _number(raw.get("max_value"), f"{path}.max_value", errors)
    if (lo is not None or hi is not None) and ftype is not FieldType.NUMBER:
        errors.add(f"{path}.min", "只有数字字段可设取值范围", "only number fields take a range")
    if lo is not None and hi is not None and lo > hi:
        errors.add(f"{path}.min", "最小值大于最大值", "min is greater than max_value")
    future = _bool(raw.get("future"), f"{path}.future", errors)
    if future and ftype not in (FieldType.DATE, FieldType.DATETIME):
        errors.add(f"{path}.future", "只有日期字段可设 future", "only date fields take 'future'")
    return FieldSpec(id=fid, label=label, type=ftype, required=_bool(raw.get("required"), f"{path}.required", errors),
                     max_len=max_len, options=options, minimum=lo, maximum=hi, future=future,
                     help=_str(raw.get("help"), f"{path}.help", errors, max_len=200, required=False))


def _signer(raw: Any, path: str, fields: Sequence[FieldSpec], errors: _Errors) -> SignerSpec | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "应为映射（capacity、count …）", "must be a mapping (capacity, count …)")
        return None
    for key in raw:
        if key not in ("capacity", "count", "count_from", "label"):
            errors.add(f"{path}.{key}", "未知的签名属性", "unknown signer property")
    try:
        capacity = Capacity(str(raw.get("capacity")))
    except ValueError:
        names = [c.value for c in Capacity]
        errors.add(f"{path}.capacity", f"未知签名身份 {raw.get('capacity')!r}（可选：{'、'.join(names)}）",
                   f"unknown capacity {raw.get('capacity')!r} (one of {', '.join(names)})")
        return None
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
        errors.add(f"{path}.count", "应为 1–20 的整数", "must be a whole number 1..20")
        count = 1
    count_from = _str(raw.get("count_from"), f"{path}.count_from", errors, max_len=48, required=False)
    if count_from:
        target = next((f for f in fields if f.id == count_from), None)
        if target is None or target.type is not FieldType.PEOPLE:
            errors.add(f"{path}.count_from", f"应为本记录的人员名单字段（{count_from!r} 不是）",
                       f"must name a people field of this kind ({count_from!r} is not)")
    return SignerSpec(capacity=capacity, count=count, count_from=count_from,
                      label=_str(raw.get("label"), f"{path}.label", errors, max_len=60, required=False))


_KIND_KEYS = {"id", "name", "stages", "articles", "fields", "signers", "av", "officers", "rights_notice",
              "action_types", "procedures", "origins", "required", "group", "description"}


def _kind(raw: Any, path: str, errors: _Errors) -> RecordKind | None:
    if not isinstance(raw, Mapping):
        errors.add(path, "应为映射（id、name、stages、fields …）", "must be a mapping (id, name, stages, fields …)")
        return None
    for key in raw:
        if key not in _KIND_KEYS:
            errors.add(f"{path}.{key}", "未知的记录事项属性", "unknown record kind property")
    kid = _str(raw.get("id"), f"{path}.id", errors, max_len=48)
    if kid and not ID_RE.match(kid):
        errors.add(f"{path}.id", "只能是小写字母开头的小写字母、数字和下划线（2–48位）",
                   "must be 2-48 lower-case letters, digits or underscores, starting with a letter")
    stages = _enum_set(raw.get("stages", []), Stage, f"{path}.stages", errors)
    if Stage.ARCHIVE in stages:
        errors.add(f"{path}.stages", "归档环节不再制作记录", "no records are made at the archive stage")
    articles = raw.get("articles")
    if not isinstance(articles, list) or not articles:
        errors.add(f"{path}.articles", "应列出所依据的条款（如 第十一条）",
                   "must list the articles it serves (e.g. 第十一条)")
        articles = []
    for i, art in enumerate(articles):
        if not isinstance(art, str) or not ARTICLE_RE.match(art):
            errors.add(f"{path}.articles[{i}]", f"条款应写作“第十一条”的形式（{art!r}）",
                       f"an article is written 第十一条 ({art!r})")
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, list) or not 1 <= len(raw_fields) <= MAX_FIELDS:
        errors.add(f"{path}.fields", f"应有 1–{MAX_FIELDS} 个字段", f"must have 1..{MAX_FIELDS} fields")
        raw_fields = []
    fields = [f for i, r in enumerate(raw_fields) if (f := _field(r, f"{path}.fields[{i}]", errors))]
    seen: set[str] = set()
    for i, f in enumerate(fields):
        if f.id in seen:
            errors.add(f"{path}.fields[{i}].id", f"字段 {f.id} 重复", f"duplicate field {f.id}")
        seen.add(f.id)
    raw_signers = raw.get("signers") or []
    if not isinstance(raw_signers, list) or len(raw_signers) > MAX_SIGNERS:
        errors.add(f"{path}.signers", f"应为至多 {MAX_SIGNERS} 项的列表", f"must be a list of at most {MAX_SIGNERS}")
        raw_signers = []
    signers = [s for i, r in enumerate(raw_signers) if (s := _signer(r, f"{path}.signers[{i}]", fields, errors))]
    if len({s.capacity for s in signers}) != len(signers):
        errors.add(f"{path}.signers", "同一签名身份只能列一次", "each capacity is listed once")
    try:
        av = AvRule(raw.get("av", "none"))
    except ValueError:
        errors.add(f"{path}.av", "应为 required、optional 或 none", "must be required, optional or none")
        av = AvRule.NONE
    return RecordKind(
        id=kid, name=_str(raw.get("name"), f"{path}.name", errors, max_len=60),
        stages=tuple(s for s in Stage if s in stages), articles=tuple(a for a in articles if isinstance(a, str)),
        fields=tuple(fields), signers=tuple(signers), av=av,
        officers=_bool(raw.get("officers"), f"{path}.officers", errors),
        rights_notice=_bool(raw.get("rights_notice"), f"{path}.rights_notice", errors),
        action_types=_enum_set(raw.get("action_types"), ActionType, f"{path}.action_types", errors),
        procedures=_enum_set(raw.get("procedures"), Procedure, f"{path}.procedures", errors),
        origins=_enum_set(raw.get("origins"), Origin, f"{path}.origins", errors),
        required=_bool(raw.get("required"), f"{path}.required", errors),
        group=_str(raw.get("group"), f"{path}.group", errors, max_len=48, required=False),
        description=_str(raw.get("description"), f"{path}.description", errors, max_len=500, required=False))


def parse_catalogue(data: Any, *, version: int, sha256: str) -> Catalogue:
    """Validate the mapping read from a catalogue YAML and return it as catalogue ``version``.

    Expected: ``{"version": 1, "kinds": [{id, name, stages, articles, fields, signers, av, …}]}``
    (see the packaged ``catalogue.yaml``). Raise ValidationFailed ``catalogue.invalid`` listing
    every problem with its path."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        errors.add("(root)", "顶层应为映射（version、kinds）", "the top level must be a mapping (version, kinds)")
        raise catalogue_error(errors.items)
    for key in data:
        if key not in ("version", "kinds"):
            errors.add(str(key), "未知的顶层属性", "unknown top-level key")
    if data.get("version") != SCHEMA_VERSION:
        errors.add("version", f"格式版本应为 {SCHEMA_VERSION}", f"the format version must be {SCHEMA_VERSION}")
    raw_kinds = data.get("kinds")
    if not isinstance(raw_kinds, list) or not 1 <= len(raw_kinds) <= MAX_KINDS:
        errors.add("kinds", f"应为 1–{MAX_KINDS} 个记录事项的列表", f"must be a list of 1..{MAX_KINDS} record kinds")
        raise catalogue_error(errors.items)
    kinds = [k for i, r in enumerate(raw_kinds) if (k := _kind(r, f"kinds[{i}]", errors))]
    seen: set[str] = set()
    for i, k in enumerate(kinds):
        if k.id in seen:
            errors.add(f"kinds[{i}].id", f"记录事项 {k.id} 重复", f"duplicate record kind {k.id}")
        seen.add(k.id)
    if errors.items:
        raise catalogue_error(errors.items)
    return Catalogue(version=version, sha256=sha256, kinds=tuple(kinds))


@dataclass(frozen=True)
class StoredCatalogue:
    """One stored version of the catalogue: the exact text an administrator accepted (or the
    packaged file, version 1), its SHA-256, who and why."""

    version: int
    text: str
    sha256: str
    created_at: Any  # datetime (kept loose: this module compares nothing by time)
    actor_id: Any  # UUID | None
    actor_name: str
    reason: str
