"""A realistic demo data set for 江门市市场监督管理局, loaded through the service functions only.

Every change goes through the same use cases as a real one, so each is an event in the trail
(recorded as done by ``lawtrail demo``). Loading is idempotent: when the bureau already
exists nothing is changed, and the summary lists the demo logins that still work.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol

from lawtrail.domain.access import ROLE_LABELS, Actor, Role, system_actor
from lawtrail.domain.devices import Device
from lawtrail.domain.org import Bureau, Unit, UnitKind, User, local_date
from lawtrail.errors import Conflict
from lawtrail.services import devices, org, queries, users
from lawtrail.services.context import Ctx, Deps
from lawtrail.services.demo_cases import load_cases
from lawtrail.services.demo_scenarios import DEMO_CASES
from lawtrail.services.ports import BlobStore, CatalogueSource, MediaProbe, UnitOfWork

DEMO_PASSWORD = "demo-password-2026"  # printed on purpose: shared by the demo logins only
DEMO_ACTOR = "lawtrail demo"
BUREAU_CODE = "JMSCJG"
BUREAU_NAME = "江门市市场监督管理局"

B, A, E = UnitKind.BUSINESS_SECTION, UnitKind.AFFILIATED_UNIT, UnitKind.ENTRUSTED_ORG
UNITS: list[tuple[str, str, UnitKind]] = [
    ("ADMIN", "办公室", B),
    ("FGK", "政策法规科", B),
    ("ZFJCK", "执法稽查科", B),
    ("SPK", "食品安全监督管理科", B),
    ("TSK", "特种设备安全监察科", B),
    ("YPK", "药品化妆品监督管理科", B),
    ("ZFZD", "江门市市场监管综合执法支队", A),
    ("HSJD", "蓬江区环市街道综合执法办（受委托组织）", E),
]


@dataclass(frozen=True)
class Person:
    """One demo person. ``cert`` is the certificate's state today: valid, expiring, expired, none."""

    username: str
    name: str
    unit: str
    roles: tuple[Role, ...]
    cert: str = "valid"
    login: bool = False


OFFICER, HEAD = Role.OFFICER, Role.UNIT_HEAD
PEOPLE: list[Person] = [
    Person("officer", "陈志强", "ZFJCK", (OFFICER,), login=True),
    Person("officer2", "李晓婷", "SPK", (OFFICER,), "expiring", login=True),
    Person("unithead", "黄伟明", "ZFJCK", (HEAD, OFFICER), login=True),
    Person("reviewer", "梁淑仪", "FGK", (Role.LEGAL_REVIEWER,), login=True),
    Person("leader", "周国华", "ADMIN", (Role.LEADER,), login=True),
    Person("archivist", "吴丽华", "ADMIN", (Role.ARCHIVIST,), "none", login=True),
    Person("supervisor", "何建国", "FGK", (Role.SUPERVISOR,), login=True),
    Person("admin", "林海燕", "ADMIN", (Role.ADMIN,), "none", login=True),
    Person("dengzhihua", "邓志华", "SPK", (HEAD, OFFICER)),
    Person("zhangjunjie", "张俊杰", "TSK", (HEAD, OFFICER)),
    Person("yuzhenyu", "余振宇", "TSK", (OFFICER,)),
    Person("liujiahao", "刘家豪", "YPK", (OFFICER,), "expired"),
    Person("tanmeiling", "谭美玲", "ZFZD", (OFFICER,)),
    Person("ouyongkang", "区永康", "ZFZD", (OFFICER,)),
    Person("fengjiaxin", "冯嘉欣", "HSJD", (OFFICER,)),
    Person("zhenwenjie", "甄文杰", "HSJD", (OFFICER,), "none"),
    Person("liangjiawei", "梁家伟", "ZFZD", (HEAD, OFFICER)),
    Person("huangxiaofang", "黄晓芳", "SPK", (OFFICER,)),
]

#: number, type, unit, make, model, serial, holder (username or None)
DEVICES: list[tuple[str, str, str, str, str, str, str | None]] = [
    ("JM-ZFJLY-001", "body_camera", "ZFJCK", "海康威视", "DS-MH2311", "HK2311A0419", "officer"),
    ("JM-ZFJLY-002", "body_camera", "ZFJCK", "海康威视", "DS-MH2311", "HK2311A0422", "unithead"),
    ("JM-ZFJLY-003", "body_camera", "SPK", "华德安", "DSJ-H8", "HDA8C2207731", "officer2"),
    ("JM-ZFJLY-004", "body_camera", "TSK", "华德安", "DSJ-H8", "HDA8C2207745", "zhangjunjie"),
    ("JM-ZFJLY-005", "body_camera", "ZFZD", "大华", "MPT320", "DH7J02816PAZ", None),
    ("JM-ZFJLY-006", "body_camera", "ZFZD", "大华", "MPT320", "DH7J02816PB3", "tanmeiling"),
    ("JM-ZFJLY-007", "body_camera", "HSJD", "海康威视", "DS-MH2311", "HK2311A0517", "fengjiaxin"),
    ("JM-LYSB-001", "audio_recorder", "ZFJCK", "索尼", "ICD-UX570", "SN5501873", None),
    ("JM-SXJ-001", "camera", "ZFJCK", "佳能", "EOS R6", "CN032021004417", "officer"),
    ("JM-SXJ-002", "camera", "SPK", "尼康", "Z 6II", "NK6021553", None),
    ("JM-CKSP-001", "counter_video", "ADMIN", "海康威视", "DS-2CD3T47", "HK-D24110871", None),
]

#: number, kind, note
DEVICE_LOG: list[tuple[str, str, str]] = [
    ("JM-ZFJLY-001", "maintenance", "季度保养：清洁镜头和接口，电池完整充放电一次，续航约6小时"),
    ("JM-ZFJLY-002", "inspection", "月度检查：设备时钟与北京时间误差小于1秒，存储卡读写正常"),
    ("JM-ZFJLY-005", "fault", "现场检查时镜头进水，画面模糊无法对焦"),
    ("JM-LYSB-001", "maintenance", "更换电池，录音试听清晰"),
    ("JM-CKSP-001", "inspection", "受理窗口固定视频：画面覆盖完整，录像保存周期正常"),
]

UNDER_REPAIR = ("JM-ZFJLY-005", "镜头进水，已送厂家维修，预计两周返还")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    name: str
    role: Role

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass(frozen=True)
class DemoSummary:
    """What was loaded (``loaded`` is False when the bureau already existed) and the logins."""

    loaded: bool
    bureau_code: str
    bureau_name: str
    units: int
    users: int
    devices: int
    logins: list[DemoLogin] = field(default_factory=list)
    password: str = DEMO_PASSWORD


class DemoTarget(Protocol):
    """What the demo needs of the container (``lawtrail.bootstrap.Container`` has it)."""

    deps: Deps
    catalogue: CatalogueSource
    blobs: BlobStore
    probe: MediaProbe

    def uow(self) -> UnitOfWork: ...
    def ctx(self, actor: Actor, request_id: str | None = None) -> Ctx: ...


def load_demo(target: DemoTarget) -> DemoSummary:
    """Load the demo bureau, units, people and devices; do nothing if the bureau exists.

    Raise Conflict when the folder already holds another bureau: known demo passwords must
    never end up in a real deployment's database.
    """
    actor = system_actor(DEMO_ACTOR)
    bureaus = queries.list_bureaus(target.uow(), target.ctx(actor))
    bureau = next((b for b in bureaus if b.code == BUREAU_CODE), None)
    if bureau is not None:
        return _summary(target, bureau, loaded=False)
    if bureaus:
        raise Conflict("数据目录中已有其他机关，演示数据只能载入新的数据目录",
                       "the data folder already holds another bureau; load the demo into a new folder",
                       code="demo.folder_in_use")
    bureau = org.create_bureau(target.uow(), target.ctx(actor), code=BUREAU_CODE, name=BUREAU_NAME)
    loader = _Loader(target, replace(actor, bureau_id=bureau.id), bureau)
    loader.units()
    loader.people()
    loader.devices()
    loader.cases()
    return _summary(target, bureau, loaded=True)


class _Loader:
    def __init__(self, target: DemoTarget, actor: Actor, bureau: Bureau) -> None:
        self.target = target
        self.actor = actor
        self.bureau = bureau
        self.units_by_code: dict[str, Unit] = {}
        self.users_by_name: dict[str, User] = {}

    def ctx(self) -> Ctx:
        return self.target.ctx(self.actor)  # a fresh time for each step, as if done one by one

    def units(self) -> None:
        for code, name, kind in UNITS:
            self.units_by_code[code] = org.create_unit(self.target.uow(), self.ctx(), bureau_id=self.bureau.id,
                                                       code=code, name=name, kind=kind)

    def people(self) -> None:
        today = local_date(self.ctx().now)
        for index, person in enumerate(PEOPLE):
            number, valid_from, valid_to = certificate(person.cert, today, index)
            password = DEMO_PASSWORD if person.login else secrets.token_urlsafe(32)
            self.users_by_name[person.username] = users.create_user(
                self.target.uow(), self.ctx(), self.target.deps, unit_id=self.units_by_code[person.unit].id,
                username=person.username, display_name=person.name, roles=[r.value for r in person.roles],
                password=password, cert_number=number, cert_valid_from=valid_from, cert_valid_to=valid_to,
                phone=f"0750-3{(index * 4793) % 1_000_000:06d}")

    def devices(self) -> None:
        made: dict[str, Device] = {}
        for number, dtype, unit, make, model, serial, holder in DEVICES:
            made[number] = devices.create_device(self.target.uow(), self.ctx(), number=number, type=dtype,
                                                 unit_id=self.units_by_code[unit].id, make=make, model=model,
                                                 serial=serial)
            if holder is not None:
                devices.assign_device(self.target.uow(), self.ctx(), made[number].id,
                                      holder_id=self.users_by_name[holder].id, note="领用")
        for number, kind, note in DEVICE_LOG:
            devices.add_log_entry(self.target.uow(), self.ctx(), made[number].id, kind=kind, note=note)
        number, reason = UNDER_REPAIR
        devices.set_device_status(self.target.uow(), self.ctx(), made[number].id, status="under_repair",
                                  note=reason)


    def cases(self) -> None:
        load_cases(self.target.uow, self.ctx, {code: u.id for code, u in self.units_by_code.items()},
                   self.users_by_name, self.target.catalogue, self.target.blobs, self.target.probe, DEMO_CASES)


def certificate(state: str, today: date, index: int) -> tuple[str | None, date | None, date | None]:
    """A Guangdong certificate number and validity in ``state`` relative to ``today``."""
    if state == "none":
        return None, None, None
    number = f"粤07{2018 + index % 5}{(index * 7919) % 10000:04d}"
    # valid: 400 days to about four and a half years left, so every one began in the past
    ends = {"valid": 400 + 90 * (index % 16), "expiring": 18, "expired": -45}[state]
    return number, today + timedelta(days=ends - 5 * 365), today + timedelta(days=ends)


def _summary(target: DemoTarget, bureau: Bureau, *, loaded: bool) -> DemoSummary:
    ctx = target.ctx(system_actor(DEMO_ACTOR, bureau.id))
    people = users.list_users(target.uow(), ctx)
    by_name = {u.username: u for u in people}

    def works(username: str) -> bool:  # after a previous load, only list logins that still work
        user = by_name.get(username)
        return user is not None and user.active and (
            loaded or target.deps.hasher.verify(user.password_hash, DEMO_PASSWORD))

    logins = [DemoLogin(p.username, p.name, p.roles[0]) for p in PEOPLE if p.login and works(p.username)]
    return DemoSummary(loaded=loaded, bureau_code=bureau.code, bureau_name=bureau.name,
                       units=len(org.list_units(target.uow(), ctx)), users=len(people),
                       devices=len(devices.list_devices(target.uow(), ctx)), logins=logins)
