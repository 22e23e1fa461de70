"""The in-memory ``ArchiveRepo`` (retention overrides, legal holds, disposals) for unit tests,
wired into ``FakeUnitOfWork`` as ``uow.archive``; same contract and Conflict codes as the SQL one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from lawtrail.domain.archive import (
    ArchivedIn,
    DecisionKind,
    Disposal,
    DisposalDecision,
    HoldRelease,
    LegalHold,
    RetentionOverride,
)
from lawtrail.domain.cases import Stage
from lawtrail.errors import Conflict

if TYPE_CHECKING:
    from tests.unit.fakes import FakeState, FakeUnitOfWork


class FakeArchive:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def s(self) -> FakeState:
        return self._uow.working

    def add_override(self, override: RetentionOverride) -> None:
        if any((o.media_id, o.version) == (override.media_id, override.version) for o in self.s.overrides):
            raise Conflict("保存期限已被他人同时修改", "changed meanwhile", code="archive.override_version_taken")
        self.s.overrides.append(override)

    def overrides_for(self, media_id: UUID) -> list[RetentionOverride]:
        return sorted((o for o in self.s.overrides if o.media_id == media_id), key=lambda o: o.version)

    def latest_overrides(self, bureau_id: UUID) -> dict[UUID, RetentionOverride]:
        out: dict[UUID, RetentionOverride] = {}
        for o in sorted(self.s.overrides, key=lambda o: o.version):
            if self.s.media[o.media_id].bureau_id == bureau_id:
                out[o.media_id] = o
        return out

    def add_hold(self, hold: LegalHold) -> None:
        self.s.holds.append(hold)

    def add_release(self, release: HoldRelease) -> None:
        if any(r.hold_id == release.hold_id for r in self.s.hold_releases):
            raise Conflict("该保全已解除", "already released", code="archive.hold_released")
        self.s.hold_releases.append(release)

    def _joined(self, hold: LegalHold) -> LegalHold:
        r = next((r for r in self.s.hold_releases if r.hold_id == hold.id), None)
        if r is None:
            return hold
        return replace(hold, released_at=r.at, released_by_id=r.actor_id, released_by_name=r.actor_name,
                       release_reason=r.reason)

    def hold(self, hold_id: UUID) -> LegalHold | None:
        return next((self._joined(h) for h in self.s.holds if h.id == hold_id), None)

    def holds(self, bureau_id: UUID) -> list[LegalHold]:
        return sorted((self._joined(h) for h in self.s.holds if h.bureau_id == bureau_id),
                      key=lambda h: h.placed_at, reverse=True)

    def add_disposal(self, disposal: Disposal) -> None:
        self.s.disposals.append(replace(disposal, decisions=()))

    def add_decision(self, decision: DisposalDecision) -> None:
        if any((d.disposal_id, d.kind) == (decision.disposal_id, decision.kind) for d in self.s.decisions):
            raise Conflict("已被他人同时处理", "decided meanwhile", code="archive.decided")
        self.s.decisions.append(decision)

    def _with_decisions(self, d: Disposal) -> Disposal:
        return replace(d, decisions=tuple(x for x in self.s.decisions if x.disposal_id == d.id))

    def disposal(self, disposal_id: UUID) -> Disposal | None:
        return next((self._with_decisions(d) for d in self.s.disposals if d.id == disposal_id), None)

    def disposals(self, bureau_id: UUID) -> list[Disposal]:
        return sorted((self._with_decisions(d) for d in self.s.disposals if d.bureau_id == bureau_id),
                      key=lambda d: d.proposed_at, reverse=True)

    def _with(self, kind: DecisionKind) -> set[UUID]:
        return {x.disposal_id for x in self.s.decisions if x.kind is kind}

    def authorised_digests(self) -> set[str]:
        approved = self._with(DecisionKind.APPROVE)
        return {i.sha256 for d in self.s.disposals if d.id in approved for i in d.items}

    def pending_media(self, bureau_id: UUID) -> dict[UUID, UUID]:
        rejected = self._with(DecisionKind.REJECT)
        return {i.media_id: d.id for d in self.s.disposals if d.bureau_id == bureau_id and d.id not in rejected
                for i in d.items}

    def disposed_media(self, bureau_id: UUID) -> set[UUID]:
        done = self._with(DecisionKind.EXECUTE)
        return {i.media_id for d in self.s.disposals if d.bureau_id == bureau_id and d.id in done for i in d.items}

    def case_links(self, bureau_id: UUID) -> dict[UUID, list[ArchivedIn | UUID]]:
        current: dict[tuple[UUID, UUID], bool] = {}
        for link in sorted(self.s.case_media, key=lambda x: x.at):
            current[(link.case_id, link.media_id)] = link.linked
        out: dict[UUID, list[ArchivedIn | UUID]] = defaultdict(list)
        for (case_id, media_id), linked in current.items():
            case = self.s.cases[case_id]
            if not linked or case.bureau_id != bureau_id:
                continue
            if case.stage is Stage.ARCHIVE:
                out[media_id].append(ArchivedIn(case.id, case.number, case.ended_at or case.updated_at))
            else:
                out[media_id].append(case.id)
        return dict(out)
