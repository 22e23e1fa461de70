"""SQL repository of records (``services.ports.RecordRepo``): catalogue versions, record versions,
signatures and refusals, attachments. Insert and select only: the tables refuse UPDATE and DELETE
(triggers of migration 0008)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Select, Text, func, insert, select, type_coerce
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_findings_repo import in_fresh
from lawtrail.adapters.db.case_repo import case_from
from lawtrail.adapters.db.fastrows import Ids, dicts, enum_map, fetch
from lawtrail.domain.cases import Stage
from lawtrail.domain.catalogue import Capacity, StoredCatalogue
from lawtrail.domain.records import (
    VERSIONED_FIELDS,
    Attachment,
    OfficerPresent,
    RecordVersion,
    RightsMethod,
    Signature,
    SignatureFact,
    SignMethod,
    VersionFact,
)
from lawtrail.domain.rules.service import ServiceFacts
from lawtrail.errors import Conflict


def _version(row: Row[Any]) -> RecordVersion:
    return _version_from(dict(row._mapping))


_STAGES, _RIGHTS = enum_map(Stage), enum_map(RightsMethod)
#: Capacity value → member (also read by the case facts' reader).
CAPACITIES, _METHODS = enum_map(Capacity), enum_map(SignMethod)


def _version_from(d: dict[str, Any], ids: Callable[[Any], UUID | None] = UUID) -> RecordVersion:
    """A version from its row as a dict (changed in place); ``ids`` parses the ids kept in JSON
    (``fastrows.Ids`` parses each distinct one once)."""
    d["stage"] = _STAGES[d["stage"]]
    d["officers"] = tuple(OfficerPresent(user_id=ids(o["user_id"]), name=o["name"],  # type: ignore[arg-type]
                                         cert_number=o["cert_number"], cert_shown=bool(o["cert_shown"]))
                          for o in d["officers"])
    d["rights_method"] = _RIGHTS[d["rights_method"]] if d["rights_method"] else None
    d["av_media_ids"] = tuple(ids(m) for m in d["av_media_ids"])
    return RecordVersion(**d)


#: The columns of a ``VersionFact`` (what the rules read), ``values``, ``officers`` and ``av_media_ids``
#: as their stored JSON text (for ``VersionReader``; PostgreSQL's driver still decodes them).
VERSION_FACT_COLUMNS = tuple(
    type_coerce(t.record_versions.c[name], Text).label(name) if name in ("values", "officers", "av_media_ids")
    else t.record_versions.c[name] for name in VERSIONED_FIELDS)


class VersionReader:
    """``VersionFact``s for the compliance engine from rows of ``VERSION_FACT_COLUMNS`` read through
    ``fastrows``: each distinct ``officers`` or ``av_media_ids`` text is decoded once into its
    (immutable) tuple (the same officers are named on many records; most versions link no AV);
    the values are those ``_version_from`` gives (decision 0037); a version's ``values`` text is
    decoded only when a rule reads it (``VersionFact.values``, decision 0044)."""

    def __init__(self, ids: Ids) -> None:
        self.ids = ids
        self.officers: dict[str, tuple[OfficerPresent, ...]] = {}
        self.av: dict[str, tuple[UUID, ...]] = {}

    def _officers(self, raw: Any) -> tuple[OfficerPresent, ...]:
        found = self.officers.get(raw) if isinstance(raw, str) else None
        if found is None:
            ids = self.ids
            found = tuple(OfficerPresent(user_id=ids[o["user_id"]], name=o["name"],  # type: ignore[arg-type]
                                         cert_number=o["cert_number"], cert_shown=bool(o["cert_shown"]))
                          for o in (json.loads(raw) if isinstance(raw, str) else raw))
            if isinstance(raw, str):
                self.officers[raw] = found
        return found

    def _av(self, raw: Any) -> tuple[UUID, ...]:
        found = self.av.get(raw) if isinstance(raw, str) else None
        if found is None:
            found = tuple(self.ids[m] for m in (json.loads(raw) if isinstance(raw, str) else raw))  # type: ignore[misc]
            if isinstance(raw, str):
                self.av[raw] = found
        return found

    def __call__(self, row: Sequence[Any]) -> VersionFact:
        """The version of ``row`` (the values of ``VERSION_FACT_COLUMNS``)."""
        (record_id, version, case_id, stage, kind_id, kind_name, catalogue_version, values, officers,
         rights_method, av_media_ids, av_waiver, created_at) = row
        return VersionFact(record_id, version, case_id, _STAGES[stage], kind_id, kind_name, catalogue_version,
                           values, self._officers(officers), _RIGHTS[rights_method] if rights_method else None,
                           self._av(av_media_ids), av_waiver, created_at)


def _version_values(v: RecordVersion) -> dict[str, Any]:
    values = vars(v).copy()
    values["stage"] = v.stage.value
    values["officers"] = [{"user_id": str(o.user_id), "name": o.name, "cert_number": o.cert_number,
                           "cert_shown": o.cert_shown} for o in v.officers]
    values["rights_method"] = v.rights_method.value if v.rights_method else None
    values["av_media_ids"] = [str(m) for m in v.av_media_ids]
    return values


def _version_of(row: Row[Any]) -> RecordVersion:
    """A version from a row carrying further labelled columns (they are left out)."""
    fields = {c.name for c in t.record_versions.columns}
    d = {k: val for k, val in row._mapping.items() if k in fields}
    return _version_from(d)


def _signature(row: Row[Any]) -> Signature:
    return signature_from(dict(row._mapping))


#: The columns of a ``SignatureFact``, in the order ``signature_fact`` takes them.
SIGNATURE_FACT_COLUMNS = tuple(t.record_signatures.c[name] for name in
                               ("record_id", "record_version", "capacity", "refused", "witness_name"))


def signature_fact(row: Sequence[Any]) -> SignatureFact:
    """A ``SignatureFact`` from the values of ``SIGNATURE_FACT_COLUMNS`` (read through ``fastrows``)."""
    record_id, version, capacity, refused, witness = row
    return SignatureFact(record_id, version, CAPACITIES[capacity], refused, witness)


def signature_from(d: dict[str, Any]) -> Signature:
    """A signature from its row as a dict (changed in place)."""
    d["capacity"] = CAPACITIES[d["capacity"]]
    d["method"] = _METHODS[d["method"]] if d["method"] else None
    return Signature(**d)


class SqlRecords:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self, table: Any, values: dict[str, Any], conflict: Conflict) -> None:
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(table).values(**values))
        except SqlIntegrityError:
            raise conflict from None

    def add_catalogue(self, catalogue: StoredCatalogue) -> None:
        self._insert(t.record_catalogues, vars(catalogue).copy(), Conflict(
            "记录事项清单已被他人更新，请刷新后重试", "the catalogue was changed meanwhile; reload and retry",
            code="catalogue.version_taken", details={"version": catalogue.version}))

    def catalogue(self, version: int) -> StoredCatalogue | None:
        row = self.conn.execute(select(t.record_catalogues).where(t.record_catalogues.c.version == version)).first()
        return StoredCatalogue(**dict(row._mapping)) if row else None

    def latest_catalogue(self) -> StoredCatalogue | None:
        row = self.conn.execute(select(t.record_catalogues).order_by(t.record_catalogues.c.version.desc())
                                .limit(1)).first()
        return StoredCatalogue(**dict(row._mapping)) if row else None

    def catalogues(self) -> list[StoredCatalogue]:
        rows = self.conn.execute(select(t.record_catalogues).order_by(t.record_catalogues.c.version))
        return [StoredCatalogue(**dict(r._mapping)) for r in rows]

    def add_version(self, version: RecordVersion) -> None:
        self._insert(t.record_versions, _version_values(version), Conflict(
            "记录已被他人更正，请刷新后重试", "the record was corrected meanwhile; reload and retry",
            code="record.version_taken", details={"version": version.version}))

    def versions(self, record_id: UUID) -> list[RecordVersion]:
        rows = self.conn.execute(select(t.record_versions).where(t.record_versions.c.record_id == record_id)
                                 .order_by(t.record_versions.c.version))
        return [_version(r) for r in rows]

    def for_case(self, case_id: UUID) -> list[RecordVersion]:
        c = t.record_versions.c
        rows = self.conn.execute(select(t.record_versions).where(c.case_id == case_id)
                                 .order_by(c.created_at, c.record_id, c.version))
        return [_version(r) for r in rows]

    def add_attachment(self, attachment: Attachment) -> None:
        self.conn.execute(insert(t.record_attachments).values(**vars(attachment)))

    def attachment(self, attachment_id: UUID) -> Attachment | None:
        row = self.conn.execute(select(t.record_attachments).where(t.record_attachments.c.id == attachment_id)).first()
        return Attachment(**dict(row._mapping)) if row else None

    def attachments(self, record_id: UUID) -> list[Attachment]:
        c = t.record_attachments.c
        rows = self.conn.execute(select(t.record_attachments).where(c.record_id == record_id)
                                 .order_by(c.added_at, c.name))
        return [Attachment(**dict(r._mapping)) for r in rows]

    def attachment_digests(self) -> list[tuple[str, int]]:
        c = t.record_attachments.c
        rows = self.conn.execute(select(c.sha256, func.max(c.size)).group_by(c.sha256).order_by(c.sha256))
        return [(sha256, int(size)) for sha256, size in rows]

    def add_signature(self, signature: Signature) -> None:
        values = vars(signature) | {"capacity": signature.capacity.value,
                                    "method": signature.method.value if signature.method else None}
        self.conn.execute(insert(t.record_signatures).values(**values))

    def signatures(self, record_id: UUID) -> list[Signature]:
        c = t.record_signatures.c
        rows = self.conn.execute(select(t.record_signatures).where(c.record_id == record_id)
                                 .order_by(c.recorded_at, c.signer_name))
        return [_signature(r) for r in rows]

    def signatures_for_case(self, case_id: UUID) -> list[Signature]:
        s, v = t.record_signatures.c, t.record_versions.c
        rows = self.conn.execute(select(t.record_signatures).join(
            t.record_versions, (v.record_id == s.record_id) & (v.version == s.record_version))
            .where(v.case_id == case_id).order_by(s.recorded_at, s.signer_name))
        return [_signature(r) for r in rows]

    def attachment_counts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, kinds: Collection[str],
                          stages: Collection[Stage], *, case_id: UUID | None = None,
                          skip_stored: str | None = None, fresh: Sequence[UUID] | None = None) -> dict[UUID, int]:
        """One statement: attachments per record of ``kinds`` of the cases in scope at ``stages``
        (records without any left out), without the cases whose findings are stored
        under ``skip_stored`` (decisions 0048, 0050; ``fresh``: the ids of the others, when known)."""
        C, v, a = t.cases.c, t.record_versions.c, t.record_attachments.c
        records = (select(v.record_id).join(t.cases, C.id == v.case_id)
                   .where(C.bureau_id == bureau_id, C.stage.in_([x.value for x in stages]),
                          v.kind_id.in_(list(kinds))))
        if case_id is not None:
            records = records.where(C.id == case_id)
        if skip_stored is not None:
            records = records.where(in_fresh(v.case_id, bureau_id, unit_ids, case_id, skip_stored, fresh))
        if unit_ids is not None:
            records = records.where(C.unit_id.in_(unit_ids))
        _, rows = fetch(self.conn, select(a.record_id, func.count().label("n"))
                        .where(a.purpose == "attachment", a.record_id.in_(records)).group_by(a.record_id))
        return {record_id: int(n) for record_id, n in rows}

    def service_facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                      kinds: Collection[str], stages: Collection[Stage], *,
                      case_id: UUID | None = None) -> ServiceFacts:
        """Three statements whatever the number of cases: the cases in scope at ``stages``, every
        version of their records of ``kinds`` with the number of attachments of its record, and
        those records' signatures."""
        C, v, sg, a = t.cases.c, t.record_versions.c, t.record_signatures.c, t.record_attachments.c

        def scoped(query: Select[Any]) -> Select[Any]:
            query = query.where(C.bureau_id == bureau_id, C.stage.in_([x.value for x in stages]))
            if case_id is not None:
                query = query.where(C.id == case_id)
            return query.where(C.unit_id.in_(unit_ids)) if unit_ids is not None else query

        ids = Ids()
        cases = [case_from(d) for d in dicts(self.conn, scoped(select(t.cases)).order_by(C.number), ids)]
        attached = (select(func.count()).where(a.record_id == v.record_id, a.purpose == "attachment")
                    .correlate(t.record_versions).scalar_subquery().label("attachment_count"))
        of_kinds = (scoped(select(*VERSION_FACT_COLUMNS, attached).join(t.cases, C.id == v.case_id))
                    .where(v.kind_id.in_(list(kinds))).order_by(v.created_at, v.record_id, v.version))
        _, rows = fetch(self.conn, of_kinds, ids)
        counts = {r[0]: int(r[-1]) for r in rows}  # record_id, …, attachment_count
        read = VersionReader(ids)
        versions = [read(r[:-1]) for r in rows]
        record_ids = scoped(select(v.record_id).join(t.cases, C.id == v.case_id)).where(v.kind_id.in_(list(kinds)))
        _, sig_rows = fetch(self.conn, select(*SIGNATURE_FACT_COLUMNS).where(sg.record_id.in_(record_ids))
                            .order_by(sg.recorded_at), ids)
        signatures = [signature_fact(r) for r in sig_rows]
        return ServiceFacts(cases=cases, versions=versions, signatures=signatures,
                            attachments={k: n for k, n in counts.items() if n})
