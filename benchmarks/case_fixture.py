"""The 100,000-case fixture of the case benchmark (``benchmarks/cases.py``).

Realistic rows fast: the demo bureau (``services.demo``: units, people, devices, ten cases across
the seven action types and six stages, with their approvals, records, signatures, refusals and
service records) is loaded once through the real services into a small template database, and
two photos per case not yet archived are ingested (``services.vault.ingest_file``), linked to the case
(``services.cases.link_media``) and one of them marked as evidence. Every row hanging off a
template case is then read back and copied N times with bulk inserts (SQLAlchemy Core,
executemany) into the target database: new ids (references between the copied rows follow),
new media digests, a new case number, and every timestamp moved back by a random number of
days (0–540), so that deadlines fall before, around and after the evaluation time and the
findings are a realistic mix of open, due-soon and overdue. The rows are therefore exactly the
shape the services write; only the ledger events of the copies are left out (the compliance
engine and the case list do not read them).
"""

from __future__ import annotations

import random
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Engine, Table, insert, select

from lawtrail.adapters.db import tables as t
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.domain.access import system_actor
from lawtrail.domain.cases import CaseFilter, Stage, number_year
from lawtrail.services import cases as case_svc
from lawtrail.services import evidence, vault
from lawtrail.services.demo import DEVICES, load_demo

#: Where the template's clock starts; each service call moves it on (as if done one by one).
T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
STEP = timedelta(minutes=7)
MAX_SHIFT_DAYS = 540
#: How the copies are spread over the templates' final stages (a bureau's case table is mostly
#: archived cases): weight per stage, shared equally by the templates at that stage.
STAGE_WEIGHTS = {Stage.ARCHIVE: 50, Stage.EXECUTION: 8, Stage.SERVICE: 8, Stage.REVIEW: 10,
                 Stage.INVESTIGATION: 12, Stage.INITIATION: 12}
#: Per-case tables, parents first; the column tying each row to its case (or to a parent row).
PER_CASE: list[Table] = [t.media, t.media_registrations, t.media_marks, t.cases, t.case_parties, t.case_handlers,
                         t.case_stage_changes, t.case_media, t.record_versions, t.record_attachments,
                         t.record_signatures, t.approval_requests, t.approval_actions, t.approval_waiting,
                         t.approval_waiting_people]
#: Left empty in the copy: the trail (not read by what is timed), log-in state, and what the
#: database derives itself (``media_revs``: its triggers fill it as the copies are inserted) or
#: the engine stores (the findings: computed by the first evaluation).
SKIPPED = {"events", "ledger_head", "ledger_nodes", "checkpoints", "sessions", "api_tokens", "login_attempts",
           "case_numbers", "media_revs", "media_findings", "case_findings"}
_NUMBER = re.compile(r"〔\d{4}〕\d+号$")
Rows = dict[str, list[dict[str, Any]]]


class TickingClock:
    """Each reading is ``STEP`` later than the one before."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        self.at += STEP
        return self.at


@dataclass
class Template:
    """The template bureau: the rows copied once (``base``) and, per template case, its rows by table."""

    base: dict[str, list[dict[str, Any]]]
    cases: list[dict[str, list[dict[str, Any]]]]
    stages: list[Stage]
    ids: set[uuid.UUID] = field(default_factory=set)  # ids of rows that the copies renumber
    latest: datetime = T0

    @property
    def rows_per_case(self) -> float:
        return sum(len(rows) for case in self.cases for rows in case.values()) / len(self.cases)


def _photo(n: int) -> bytes:
    rng = random.Random(n)  # noqa: S311 (benchmark data, not secrets)
    image = Image.frombytes("RGB", (32, 24), rng.randbytes(32 * 24 * 3))
    buf = BytesIO()
    image.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def _media(container: Container, folder: Path) -> None:
    """Two photos per demo case not archived yet, ingested, linked to the case, the first marked as evidence."""
    ctx = container.system_ctx
    with container.uow() as uow:
        found, _ = uow.cases.search(_bureau_id(container), None, CaseFilter(), offset=0, limit=100)
    folder.mkdir(parents=True, exist_ok=True)
    for n, case in enumerate(found):
        if case.stage is Stage.ARCHIVE:  # an archived case takes no new links (Art. 39)
            continue
        for k in range(2):
            path = folder / f"IMG_{n:02d}_{k}.jpg"
            path.write_bytes(_photo(n * 2 + k))
            stored = vault.ingest_file(container.uow(), ctx("bench"), container.blobs, container.probe, path=path,
                                       device_number=DEVICES[n % 7][0])
            assert stored.media_id is not None, stored
            act = container.ctx(system_actor("bench", case.bureau_id))
            case_svc.link_media(container.uow(), act, case.id, stored.media_id, reason="现场执法记录")
            if k == 0:
                evidence.mark_media(container.uow(), act, stored.media_id, policy=container.rules.retention,
                                    evidence=True, collector="陈志强", collected_at=act.now, place="现场")


def _bureau_id(container: Container) -> uuid.UUID:
    with container.engine.connect() as conn:
        return uuid.UUID(str(conn.execute(select(t.bureaus.c.id)).scalar_one()))


def make_template(folder: Path) -> Template:
    """Load the demo bureau through the services into ``folder`` and read its rows back."""
    shutil.rmtree(folder, ignore_errors=True)
    settings = load_settings(data_dir=folder / "data", demo=True, database_url=f"sqlite:///{folder / 'template.db'}")
    container = build(settings, fast_hashing=True, clock=TickingClock(T0))
    try:
        container.migrate()
        load_demo(container)
        _media(container, folder / "photos")
        return read_template(container.engine)
    finally:
        container.close()


def read_template(engine: Engine) -> Template:
    """Every row of ``engine`` grouped: per case for ``PER_CASE``, the rest as base rows."""
    with engine.connect() as conn:
        rows = {table.name: [dict(r._mapping) for r in conn.execute(select(table))]
                for table in t.metadata.sorted_tables if table.name not in SKIPPED}
    media_case = {r["media_id"]: r["case_id"] for r in rows["case_media"]}
    record_case = {r["record_id"]: r["case_id"] for r in rows["record_versions"]}
    request_case = {r["id"]: r["case_id"] for r in rows["approval_requests"]}
    owner: dict[str, Callable[[dict[str, Any]], Any]] = {
        "cases": lambda r: r["id"], "media": lambda r: media_case.get(r["id"]),
        "media_registrations": lambda r: media_case.get(r["media_id"]),
        "media_marks": lambda r: media_case.get(r["media_id"]),
        "record_attachments": lambda r: record_case.get(r["record_id"]),
        "record_signatures": lambda r: record_case.get(r["record_id"]),
        "approval_actions": lambda r: request_case.get(r["request_id"]),
        "approval_waiting": lambda r: request_case.get(r["request_id"]),
        "approval_waiting_people": lambda r: request_case.get(r["request_id"]),
    }
    per: dict[Any, Rows] = defaultdict(_rows)
    ids: set[uuid.UUID] = set()
    for table in PER_CASE:
        key = owner.get(table.name, _own_case)
        for row in rows.pop(table.name):
            case_id = key(row)
            assert case_id is not None, (table.name, row)
            per[case_id][table.name].append(row)
            ids.update(v for k, v in row.items() if k in ("id", "record_id") and isinstance(v, uuid.UUID))
    cases = [dict(per[c["id"]]) for c in sorted((rows_[0] for rows_ in (v["cases"] for v in per.values())),
                                                 key=lambda c: c["serial"])]
    stamps = [v for case in cases for rs in case.values() for r in rs for v in r.values() if isinstance(v, datetime)]
    return Template(base=rows, cases=cases, stages=[Stage(c["cases"][0]["stage"]) for c in cases], ids=ids,
                    latest=max(stamps))


def _own_case(row: dict[str, Any]) -> Any:
    return row["case_id"]


def _rows() -> Rows:
    return defaultdict(list)


def _remap(value: Any, new: Callable[[uuid.UUID], uuid.UUID], ids: set[uuid.UUID], shift: timedelta) -> Any:
    if isinstance(value, uuid.UUID):
        return new(value) if value in ids else value
    if isinstance(value, datetime):
        return value - shift
    if isinstance(value, list):  # JSON lists of ids (av_media_ids); other lists pass unchanged
        return [str(new(uuid.UUID(v))) if isinstance(v, str) and len(v) == 36 and _is_id(v, ids) else v
                for v in value]
    return value


def _is_id(text: str, ids: set[uuid.UUID]) -> bool:
    try:
        return uuid.UUID(text) in ids
    except ValueError:
        return False


def copies(template: Template, count: int, seed: int = 1, chunk: int = 2000) -> Iterator[Rows]:
    """``count`` copies of the template cases, ``chunk`` cases at a time, as rows by table."""
    rng = random.Random(seed)  # noqa: S311 (reproducible benchmark data)
    at_stage: dict[Stage, list[int]] = defaultdict(list)
    for i, stage in enumerate(template.stages):
        at_stage[stage].append(i)
    choices = [i for stage, members in at_stage.items() for i in members]
    weights = [STAGE_WEIGHTS.get(stage, 5) / len(members) for stage, members in at_stage.items() for _ in members]
    serials: dict[int, int] = defaultdict(int)
    batch: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in range(count):
        source = template.cases[rng.choices(choices, weights)[0]]
        shift = timedelta(days=rng.uniform(0, MAX_SHIFT_DAYS))
        mapping: dict[uuid.UUID, uuid.UUID] = {}

        def new(old: uuid.UUID, mapping: dict[uuid.UUID, uuid.UUID] = mapping) -> uuid.UUID:
            if old not in mapping:
                mapping[old] = uuid.UUID(int=rng.getrandbits(128), version=4)
            return mapping[old]

        for name, rows in source.items():
            for row in rows:
                out = {k: _remap(v, new, template.ids, shift) for k, v in row.items()}
                if name == "cases":
                    year = number_year(out["opened_at"])
                    serials[year] += 1
                    out.update(year=year, serial=serials[year],
                               number=_NUMBER.sub(f"〔{year}〕{serials[year]}号", row["number"]))
                elif name == "media":
                    out["sha256"] = row["sha256"][:48] + f"{n:016x}"
                batch[name].append(out)
        if (n + 1) % chunk == 0 or n + 1 == count:
            yield dict(batch)
            batch = defaultdict(list)


def fill(engines: list[Engine], template: Template, count: int, on_chunk: Callable[[int], None]) -> dict[str, int]:
    """Copy the base rows and ``count`` cases into every (migrated, empty) engine; return rows per table."""
    written: dict[str, int] = defaultdict(int)
    for engine in engines:
        with engine.begin() as conn:
            for table in t.metadata.sorted_tables:
                if template.base.get(table.name):
                    conn.execute(insert(table), template.base[table.name])
    last: dict[int, int] = defaultdict(int)
    for batch in copies(template, count):
        for engine in engines:
            with engine.begin() as conn:
                for table in PER_CASE:
                    if batch.get(table.name):
                        conn.execute(insert(table), batch[table.name])
        for name, rows in batch.items():
            written[name] += len(rows)
        for row in batch["cases"]:
            last[row["year"]] = max(last[row["year"]], row["serial"])
        on_chunk(len(batch["cases"]))
    bureau_id = template.base["bureaus"][0]["id"]
    for engine in engines:  # the counters new cases continue from
        with engine.begin() as conn:
            conn.execute(insert(t.case_numbers), [{"bureau_id": bureau_id, "year": y, "last_serial": s}
                                                  for y, s in sorted(last.items())])
    return dict(written)
