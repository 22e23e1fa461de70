"""Use cases of the record catalogue (记录事项清单, Art. 3; DESIGN.md rule 6): the current version,
any earlier one, its history, and an administrator's edit.

Version 1 is the packaged YAML; it is stored in the database the first time it is needed for a
write (the first record, or the first edit), in that write's transaction, so that later software
releases shipping other defaults never change what an old record was made under. Each accepted
edit is the next version and ONE ``config:catalogue:update`` event with the before/after digests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lawtrail.domain.access import Permission, allows
from lawtrail.domain.catalogue import Catalogue, StoredCatalogue, parse_catalogue
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, clean_text
from lawtrail.errors import Conflict, NotFound, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.trail import record

SUBJECT = "catalogue"
SUBJECT_ID = "record-catalogue"
PACKAGED_REASON = "内置默认清单 / packaged default"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Parsed catalogues by (version, digest): a stored version never changes, so parsing it once is enough.
_PARSED: dict[tuple[int, str], Catalogue] = {}


def parse(source: CatalogueSource, text: str, version: int) -> Catalogue:
    """The catalogue in ``text`` as ``version``; raise ValidationFailed (``catalogue.yaml`` or
    ``catalogue.invalid``) with every problem."""
    key = (version, digest(text))
    found = _PARSED.get(key)
    if found is None:
        found = parse_catalogue(source.load(text), version=version, sha256=key[1])
        if len(_PARSED) > 64:
            _PARSED.clear()
        _PARSED[key] = found
    return found


def _packaged(source: CatalogueSource) -> tuple[str, Catalogue]:
    text = source.packaged_text()
    return text, parse(source, text, 1)


def current(uow: UnitOfWork, source: CatalogueSource) -> Catalogue:
    """The catalogue in force (inside an open unit of work): the latest stored version, else the
    packaged one (version 1)."""
    stored = uow.records.latest_catalogue()
    return parse(source, stored.text, stored.version) if stored else _packaged(source)[1]


def version_of(uow: UnitOfWork, source: CatalogueSource, version: int) -> Catalogue | None:
    """Catalogue ``version`` (inside an open unit of work); None when it does not exist."""
    stored = uow.records.catalogue(version)
    if stored is not None:
        return parse(source, stored.text, stored.version)
    return _packaged(source)[1] if version == 1 and uow.records.latest_catalogue() is None else None


def ensure_stored(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource) -> Catalogue:
    """The catalogue in force, storing the packaged version 1 first when nothing is stored yet
    (inside the caller's transaction; the caller's event records the version it used)."""
    stored = uow.records.latest_catalogue()
    if stored is not None:
        return parse(source, stored.text, stored.version)
    text, catalogue = _packaged(source)
    uow.records.add_catalogue(StoredCatalogue(version=1, text=text, sha256=catalogue.sha256, created_at=ctx.now,
                                              actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100],
                                              reason=PACKAGED_REASON))
    return catalogue


def all_versions(uow: UnitOfWork, source: CatalogueSource) -> tuple[dict[int, Catalogue], Catalogue]:
    """Every stored catalogue version parsed (parsing is cached by version and digest) and the one
    in force (inside an open unit of work): one statement. Nothing stored: the packaged version 1."""
    stored = uow.records.catalogues()
    if not stored:
        packaged = parse(source, source.packaged_text(), 1)
        return {1: packaged}, packaged
    parsed = {c.version: parse(source, c.text, c.version) for c in stored}
    return parsed, parsed[stored[-1].version]


@dataclass(frozen=True)
class CatalogueView:
    catalogue: Catalogue
    text: str
    history: list[StoredCatalogue]  # stored versions, oldest first (empty: the packaged one in force)


def _may_view(ctx: Ctx) -> None:
    if not allows(ctx.actor, Permission.CATALOGUE_MANAGE, bureau_id=None, unit_id=None):
        require(ctx.actor, Permission.RECORD_VIEW)


def get_catalogue(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, version: int | None = None) -> CatalogueView:
    """The catalogue in force (or ``version``) with its text and the stored history. For whoever
    may manage it or see records; NotFound ``catalogue.not_found`` for an unknown version."""
    _may_view(ctx)
    with uow:
        history = uow.records.catalogues()
        if version is None:
            stored = history[-1] if history else None
        else:
            stored = next((c for c in history if c.version == version), None)
            if stored is None and not (version == 1 and not history):
                raise NotFound(f"记录事项清单第{version}版不存在", f"no catalogue version {version}",
                               code="catalogue.not_found")
    if stored is None:
        text, catalogue = _packaged(source)
        return CatalogueView(catalogue, text, history)
    return CatalogueView(parse(source, stored.text, stored.version), stored.text, history)


def update_catalogue(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, *, text: str, reason: str,
                     base_version: int | None = None) -> Catalogue:
    """Accept ``text`` as the next version of the catalogue (``catalogue:manage``): validated
    completely first (ValidationFailed ``catalogue.yaml`` / ``catalogue.invalid`` listing every
    problem, nothing stored); refused when identical to the version in force
    (``catalogue.unchanged``) or when ``base_version`` is not the version in force (Conflict
    ``catalogue.stale``). One ``config:catalogue:update`` event with the before/after digests."""
    require(ctx.actor, Permission.CATALOGUE_MANAGE)
    problems = Problems()
    reason = clean_text(reason, "reason", "修改说明", problems, max_len=1000)
    if not text.strip():
        problems.add("text", "清单内容不能为空", "the catalogue text must not be empty")
    problems.raise_if_any()
    text = text.replace("\r\n", "\n")
    with uow:
        before = ensure_stored(uow, ctx, source)
        if base_version is not None and base_version != before.version:
            raise Conflict("记录事项清单已被他人更新，请刷新后重试",
                           "the catalogue was changed meanwhile; reload and retry", code="catalogue.stale",
                           details={"base_version": base_version, "current": before.version})
        after = parse(source, text, before.version + 1)
        if after.sha256 == before.sha256:
            raise ValidationFailed("清单内容没有变化", "nothing differs from the catalogue in force",
                                   code="catalogue.unchanged")
        uow.records.add_catalogue(StoredCatalogue(version=after.version, text=text, sha256=after.sha256,
                                                  created_at=ctx.now, actor_id=ctx.actor.user_id,
                                                  actor_name=ctx.actor.name[:100], reason=reason))
        record(uow, ctx, Action.CATALOGUE_UPDATE, subject_type=SUBJECT, subject_id=SUBJECT_ID,
               subject_name="记录事项清单",
               before_dict={"version": before.version, "sha256": before.sha256, "kinds": len(before.kinds)},
               after_dict={"version": after.version, "sha256": after.sha256, "kinds": len(after.kinds),
                           "reason": reason})
        uow.commit()
    return after
