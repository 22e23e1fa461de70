"""The in-memory ``DisclosureRepo`` for unit tests, wired into ``FakeUnitOfWork`` as
``uow.disclosures``; same contract and Conflict code as the SQL one (append-only lists)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from lawtrail.domain.disclosure import Disclosure, DisclosureDecision, DisclosureExport, DisclosureRequest
from lawtrail.errors import Conflict

if TYPE_CHECKING:
    from tests.unit.fakes import FakeState, FakeUnitOfWork


class FakeDisclosures:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def s(self) -> FakeState:
        return self._uow.working

    def _requests(self) -> list[DisclosureRequest]:
        return [r for r in self.s.disclosure_rows if isinstance(r, DisclosureRequest)]

    def add_request(self, request: DisclosureRequest) -> None:
        assert request.created_at.utcoffset() is not None, "naive datetime"
        assert request.id not in {r.id for r in self._requests()}, "duplicate disclosure request"
        assert request.requester_id in self.s.users, "foreign key: requester"
        assert all(m in self.s.media for m in request.media_ids), "foreign key: media"
        known = {a.id for a in self.s.record_attachments}
        assert all(a in known for a in request.attachment_ids), "foreign key: attachment"
        self.s.disclosure_rows.append(request)

    def add_decision(self, decision: DisclosureDecision) -> None:
        assert decision.request_id in {r.id for r in self._requests()}, "foreign key: request"
        if any(isinstance(d, DisclosureDecision) and (d.request_id, d.status) == (decision.request_id, decision.status)
               for d in self.s.disclosure_rows):
            raise Conflict("该申请已被他人处理，请刷新后重试", "the request was decided meanwhile; reload",
                           code="disclosure.decided")
        self.s.disclosure_rows.append(decision)

    def _full(self, request: DisclosureRequest) -> Disclosure:
        decisions = sorted((d for d in self.s.disclosure_rows if isinstance(d, DisclosureDecision)
                            and d.request_id == request.id), key=lambda d: d.at)
        return Disclosure(request, tuple(decisions))

    def get(self, request_id: UUID) -> Disclosure | None:
        return next((self._full(r) for r in self._requests() if r.id == request_id), None)

    def list_for(self, bureau_id: UUID, *, requester_id: UUID | None = None, limit: int = 500) -> list[Disclosure]:
        rows = [r for r in self._requests() if r.bureau_id == bureau_id
                and (requester_id is None or r.requester_id == requester_id)]
        return [self._full(r) for r in sorted(rows, key=lambda r: r.created_at, reverse=True)[:limit]]

    def add_export(self, export: DisclosureExport) -> None:
        assert export.request_id in {r.id for r in self._requests()}, "foreign key: request"
        self.s.disclosure_rows.append(export)

    def exports(self, *, request_id: UUID | None = None, bureau_id: UUID | None = None) -> list[DisclosureExport]:
        rows = [e for e in self.s.disclosure_rows if isinstance(e, DisclosureExport)
                and (request_id is None or e.request_id == request_id)
                and (bureau_id is None or e.bureau_id == bureau_id)]
        return sorted(rows, key=lambda e: e.at, reverse=True)

    def export(self, export_id: UUID) -> DisclosureExport | None:
        return next((e for e in self.exports() if e.id == export_id), None)
