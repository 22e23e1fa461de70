"""``adapters.db.fastrows`` gives exactly what SQLAlchemy's column types give (decision 0034):
every row of every table of the demo bureau, read both ways, on both engines."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_facts_repo import load_case_rows
from lawtrail.adapters.db.fastrows import Ids, dicts, fetch
from lawtrail.adapters.db.record_repo import SqlRecords
from lawtrail.bootstrap import Container
from lawtrail.domain.records import VERSIONED_FIELDS, SignatureFact


def test_fast_rows_equal_sqlalchemy_rows_on_every_table(demo_container: Container) -> None:
    container = demo_container  # the demo bureau, copied from the worker's demo template
    ids = Ids()
    seen = 0
    with container.engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            expected = [dict(r._mapping) for r in conn.execute(query)]
            got = dicts(conn, query, ids)
            assert got == expected, table.name
            for row_got, row_expected in zip(got, expected, strict=True):  # same types, not only equal
                assert {k: type(v) for k, v in row_got.items()} == {k: type(v) for k, v in row_expected.items()}
            seen += len(got)
    assert seen > 500  # the demo wrote rows of every kind


def test_fetch_keeps_joins_labels_and_order(demo_container: Container) -> None:
    container = demo_container  # the demo bureau, copied from the worker's demo template
    c, v = t.cases.c, t.record_versions.c
    query = (select(v.record_id, v.created_at, c.number.label("case_number"))
             .join(t.cases, c.id == v.case_id).order_by(v.created_at.desc(), v.record_id))
    with container.engine.connect() as conn:
        expected = [tuple(r) for r in conn.execute(query)]
        names, rows = fetch(conn, query)
    assert names == ["record_id", "created_at", "case_number"]
    assert [tuple(r) for r in rows] == expected and expected


def test_narrow_facts_equal_the_full_records(demo_container: Container) -> None:
    """The engine's ``VersionFact`` / ``SignatureFact`` (decision 0037) carry exactly the values of
    the full ``RecordVersion`` / ``Signature`` read one case at a time, on both engines."""
    container = demo_container  # the demo bureau, copied from the worker's demo template
    with container.engine.connect() as conn:
        bureau_id = conn.execute(select(t.bureaus.c.id)).scalar_one()
        rows = load_case_rows(conn, bureau_id, None)
        records = SqlRecords(conn)
        compared = 0
        for case in rows.cases:
            full = records.for_case(case.id)
            narrow = rows.versions.get(case.id, [])
            key = list(VERSIONED_FIELDS)
            assert sorted(tuple(getattr(v, k) for k in key) for v in narrow) == \
                sorted(tuple(getattr(v, k) for k in key) for v in full)
            sig_key = [f.name for f in fields(SignatureFact)]
            assert sorted(tuple(getattr(s, k) for k in sig_key) for s in rows.signatures.get(case.id, [])) == \
                sorted(tuple(getattr(s, k) for k in sig_key) for s in records.signatures_for_case(case.id))
            compared += len(full)
    assert compared > 20  # the demo records many versions


def test_service_facts_from_the_case_rows_equal_the_service_read(demo_container: Container) -> None:
    """The service rules' facts made from the case rows and ``attachment_counts`` (decision 0044)
    hold what ``service_facts`` reads: the same cases in the same order, the same versions (values
    included), signatures and attachment counts, on both engines; and the service findings of a
    whole evaluation (rows shared) equal those of the service evaluator run alone."""
    container = demo_container  # the demo bureau, copied from the worker's demo template
    from lawtrail.domain import service
    from lawtrail.domain.access import system_actor
    from lawtrail.domain.rules.service import facts_from_cases
    from lawtrail.services import findings

    stages, kinds = findings.SERVICE_STAGES, service.KINDS
    with container.engine.connect() as conn:
        bureau_id = conn.execute(select(t.bureaus.c.id)).scalar_one()
        rows = load_case_rows(conn, bureau_id, None)
        records = SqlRecords(conn)
        read = records.service_facts(bureau_id, None, kinds, stages)
        counts = records.attachment_counts(bureau_id, None, kinds, stages)
    made = facts_from_cases(rows.cases, rows.versions, rows.signatures, kinds, stages, counts)
    assert [c.id for c in made.cases] == [c.id for c in read.cases] and made.cases
    assert made.attachments == read.attachments and made.attachments  # the demo attaches scans
    key = list(VERSIONED_FIELDS)
    assert sorted(tuple(getattr(v, k) for k in key) for v in made.versions) == \
        sorted(tuple(getattr(v, k) for k in key) for v in read.versions)
    sig_key = [f.name for f in fields(SignatureFact)]
    assert sorted(tuple(getattr(s, k) for k in sig_key) for s in made.signatures) == \
        sorted(tuple(getattr(s, k) for k in sig_key) for s in read.signatures)
    ctx = container.ctx(system_actor("test", bureau_id))
    rules = set(findings.service_rules.RULES)
    every = [f.to_json() for f in findings.evaluate(container.uow(), ctx, ctx.now, catalogue=container.catalogue)
             if f.rule.id in rules]
    alone = [f.to_json() for f in findings.evaluate(container.uow(), ctx, ctx.now, catalogue=container.catalogue,
                                                     evaluators=[findings.service_evaluator])]
    assert every == alone and every


def test_the_vault_reads_narrow_originals_and_registrations_as_the_full_reads(demo_container: Container) -> None:
    """``originals_in_scope`` (decision 0044) holds what ``in_scope`` gives of each original, in the
    same order; ``latest_registrations`` read positionally equals the latest version of each
    original's registrations read one by one; on both engines."""
    container = demo_container  # the demo bureau, copied from the worker's demo template
    from lawtrail.adapters.db.media_repo import SqlMedia
    from lawtrail.domain.vault import ORIGINAL_FIELDS

    with container.engine.connect() as conn:
        bureau_id = conn.execute(select(t.bureaus.c.id)).scalar_one()
        media = SqlMedia(conn)
        full = media.in_scope(bureau_id, None)
        narrow, revs = media.originals_in_scope(bureau_id, None)
        assert list(revs) == [m.id for m in narrow]
        assert [tuple(getattr(m, n) for n in ORIGINAL_FIELDS) for m in narrow] == \
            [tuple(getattr(m, n) for n in ORIGINAL_FIELDS) for m in full] and full
        latest = media.latest_registrations(bureau_id, None)
        one_by_one = {m.id: regs[-1] for m in full if (regs := media.registrations(m.id))}
        assert latest == one_by_one and latest
