"""What the services need from the outside world, as Protocols (DESIGN.md import rule).

The SQL adapters in ``lawtrail.adapters.db`` and the in-memory fakes in ``tests/unit/fakes.py``
both satisfy these. Services never import an adapter.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable
from uuid import UUID

from lawtrail.domain.access import Actor
from lawtrail.domain.activities import Activity, Clip, Interruption
from lawtrail.domain.approvals import ApprovalAction, ApprovalRequest, Waiting
from lawtrail.domain.approvals import CaseRef as ApprovalCaseRef
from lawtrail.domain.archive import ArchivedIn, Disposal, DisposalDecision, HoldRelease, LegalHold, RetentionOverride
from lawtrail.domain.auth import ApiToken, Session
from lawtrail.domain.cases import Case, CaseFilter, Handler, MediaLink, Stage, StageChange
from lawtrail.domain.catalogue import StoredCatalogue
from lawtrail.domain.derived import DerivedKind, DerivedObject
from lawtrail.domain.devices import Device, DeviceLogEntry
from lawtrail.domain.disclosure import Disclosure, DisclosureDecision, DisclosureExport, DisclosureRequest, Method
from lawtrail.domain.events import Event
from lawtrail.domain.evidence import Handin, HandinCompletion, MediaMark
from lawtrail.domain.grants import AccessRequest, CaseRef, Decision, Grant
from lawtrail.domain.ledger.audit import ChunkSummary, LeafRow, StoredCheckpoint
from lawtrail.domain.media import MediaFacts, MediaType
from lawtrail.domain.org import Bureau, Unit, User
from lawtrail.domain.outside import OutsideDecision, OutsideRequest
from lawtrail.domain.parties import Party
from lawtrail.domain.records import Attachment, RecordVersion, Signature
from lawtrail.domain.register import RegisterFilter, RegisterRow
from lawtrail.domain.rules.approvals import ApprovalFacts
from lawtrail.domain.rules.case_records import CaseRows
from lawtrail.domain.rules.service import ServiceFacts
from lawtrail.domain.secrecy import Clearance, MediaLevel
from lawtrail.domain.supervision import SnapshotRow
from lawtrail.domain.vault import MediaFilter, MediaRecord, MediaRow, OriginalFact, Registration


class BureauRepo(Protocol):
    def get(self, bureau_id: UUID) -> Bureau | None: ...
    def by_code(self, code: str) -> Bureau | None: ...
    def add(self, bureau: Bureau) -> None: ...
    def list(self) -> list[Bureau]: ...


class UnitRepo(Protocol):
    def get(self, unit_id: UUID) -> Unit | None: ...
    def by_code(self, bureau_id: UUID, code: str) -> Unit | None: ...
    def add(self, unit: Unit) -> None: ...
    def update(self, unit: Unit) -> None: ...
    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Unit]: ...


class UserRepo(Protocol):
    def get(self, user_id: UUID) -> User | None: ...
    def by_username(self, username: str) -> User | None: ...
    def add(self, user: User) -> None: ...
    def update(self, user: User) -> None: ...
    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[User]: ...


class DeviceRepo(Protocol):
    def get(self, device_id: UUID) -> Device | None: ...
    def by_number(self, number: str) -> Device | None: ...
    def add(self, device: Device) -> None: ...
    def update(self, device: Device) -> None: ...
    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Device]: ...


class DeviceLogRepo(Protocol):
    def append(self, entry: DeviceLogEntry) -> None: ...
    def for_device(self, device_id: UUID) -> list[DeviceLogEntry]: ...


class SessionRepo(Protocol):
    def add(self, session: Session) -> None: ...
    def by_token_hash(self, token_hash: str) -> Session | None: ...
    def touch(self, session_id: UUID, at: datetime) -> None: ...
    def end(self, session_id: UUID, at: datetime) -> None: ...
    def end_all_for_user(self, user_id: UUID, at: datetime, *, keep: UUID | None = None) -> None: ...
    def clear_totp_pending(self, session_id: UUID) -> None: ...


class TokenRepo(Protocol):
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: UUID) -> ApiToken | None: ...
    def by_hash(self, token_hash: str) -> ApiToken | None: ...
    def for_user(self, user_id: UUID) -> list[ApiToken]: ...
    def revoke(self, token_id: UUID, at: datetime) -> None: ...
    def touch(self, token_id: UUID, at: datetime) -> None: ...


class LoginAttemptRepo(Protocol):
    def add(self, username: str, at: datetime, success: bool, ip: str) -> None: ...
    def failures_since(self, username: str, since: datetime) -> list[datetime]:
        """Failures after ``since`` and after the user's last successful login."""
        ...


class EventRepo(Protocol):
    def append(self, event: Event) -> Event:
        """Store ``event`` as the next leaf and return it with its ``seq``."""
        ...

    def list(self, *, subject_type: str | None = None, subject_id: str | None = None,
             actor_id: UUID | None = None, limit: int = 100, before_seq: int | None = None
             ) -> list[Event]: ...

    def count(self) -> int: ...


class MediaRepo(Protocol):
    """Write-once media rows and their versioned registrations (no update, no delete)."""

    def add(self, media: MediaRecord) -> None:
        """Insert; raise Conflict ``media.exists`` when the digest is already recorded."""
        ...

    def by_sha256(self, sha256: str) -> MediaRecord | None: ...

    def digests(self, batch: int = 5000) -> Iterator[tuple[str, int]]:
        """(sha256, size) of every recorded original, in digest order."""
        ...

    def add_registration(self, registration: Registration) -> None:
        """Insert a version; raise Conflict ``media.registration_stale`` when that version of
        that original exists already (someone else registered first)."""
        ...

    def registrations(self, media_id: UUID) -> list[Registration]: ...

    def get(self, media_id: UUID) -> MediaRecord | None: ...

    def search(self, query: MediaFilter) -> tuple[list[MediaRow], int]:
        """One page of originals matching ``query`` with their latest registrations, newest
        capture (else storage) time first, and the number of all matches."""
        ...

    def neighbours(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *, exclude: UUID,
                   device_id: UUID, officer_id: UUID | None, start: datetime, end: datetime) -> list[MediaRow]:
        """Originals captured in ``[start, end]`` by the same device or the same officer (on the
        original or its latest registration), ``exclude`` left out; in no particular order."""
        ...

    def in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                 media_id: UUID | None = None) -> list[MediaRecord]:
        """Every original of the bureau (of ``unit_ids`` when given; only ``media_id`` when given),
        in one query."""
        ...

    def latest_registrations(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                             fresh: Sequence[UUID] | None = None,
                             skip_stored: str | None = None) -> dict[UUID, Registration]:
        """The latest registration of every original in scope, by media id, in one query; with
        ``skip_stored`` (and ``fresh``, the ids ``originals_in_scope`` gave), of the originals
        whose findings are not stored under that stamp only."""
        ...

    def originals_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                           skip_stored: str | None = None) -> tuple[list[OriginalFact], dict[UUID, int]]:
        """``in_scope``'s originals (every one of the bureau, or of ``unit_ids``), in its order, with
        only what the vault rules read (``domain.vault.Original``), and each one's ``facts_rev``
        (raised by the database on every new registration, mark or hand-in link), in one query;
        ``skip_stored``: without those whose findings are stored under that stamp."""
        ...

    def stored_findings(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                        stamp: str) -> list[tuple[UUID, str]]:
        """(media id, its stored findings as the JSON text ``keep_findings`` stored) of the
        originals in scope whose row has ``stamp`` and the original's ``facts_rev`` now and holds
        some finding, by media id: one statement. Derived data (decision 0051), not a record."""
        ...

    def keep_findings(self, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]]) -> bool:
        """Store (media id, its ``facts_rev`` when read, findings JSON) under ``stamp``, replacing
        what was stored for those originals; False, storing nothing, when another transaction
        changed those rows meanwhile."""
        ...

    def recorded_after(self, cursor: tuple[datetime, UUID] | None, limit: int) -> list[MediaRecord]:
        """Up to ``limit`` originals of every bureau recorded after ``cursor`` (created_at, id),
        in that order (the derived-objects worker walks them)."""
        ...

    def clips(self, device_ids: Collection[UUID], start: datetime, end: datetime) -> list[Clip]:
        """Audio/video originals of ``device_ids`` whose device-clock interval
        ``[captured_at, captured_end or captured_at]`` overlaps ``[start, end]``, in one query
        (whatever the number of devices), ordered by device and capture time. Widen the window
        by the largest clock offset you tolerate: the offset is applied by the caller."""
        ...


class HandinRepo(Protocol):
    """Append-only hand-ins (Art. 41); a completion links the stored originals, once."""

    def add(self, handin: Handin) -> None: ...
    def get(self, handin_id: UUID) -> Handin | None: ...

    def complete(self, completion: HandinCompletion) -> None:
        """Raise Conflict ``handin.completed`` (already completed) or ``handin.media_linked``
        (an original already belongs to a hand-in)."""
        ...

    def completion(self, handin_id: UUID) -> HandinCompletion | None: ...
    def in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Handin]: ...
    def completions_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None
                             ) -> dict[UUID, HandinCompletion]: ...

    def unlinked_media(self, device_id: UUID) -> list[MediaRecord]:
        """Originals of the device no hand-in accounts for yet."""
        ...


class MarkRepo(Protocol):
    """Versioned, append-only evidence / retention marks of originals (Art. 43, 44)."""

    def add(self, mark: MediaMark) -> None:
        """Raise Conflict ``media.mark_version_taken`` when the version exists."""
        ...

    def for_media(self, media_id: UUID) -> list[MediaMark]: ...
    def latest_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                        fresh: Sequence[UUID] | None = None, skip_stored: str | None = None) -> dict[UUID, MediaMark]:
        """The latest mark of every marked original in scope (with ``skip_stored``: of those
        ``latest_registrations`` would read), by media id, in one query."""
        ...


class ActivityRepo(Protocol):
    """Versioned on-site activities and recording interruptions (no update, no delete)."""

    def add(self, activity: Activity) -> None:
        """Insert this version with its devices and officers; raise Conflict
        ``activity.version_taken`` when the (id, version) exists (a concurrent correction)."""
        ...

    def get(self, activity_id: UUID) -> Activity | None:
        """The latest version."""
        ...

    def versions(self, activity_id: UUID) -> list[Activity]:
        """Every version, oldest first."""
        ...

    def for_case(self, case_id: UUID) -> list[Activity]:
        """The activities whose version in force is linked to the case, newest arrival first."""
        ...

    def add_interruption(self, interruption: Interruption) -> None:
        """Insert this version; raise Conflict ``interruption.version_taken`` on a clash."""
        ...

    def interruption(self, interruption_id: UUID) -> Interruption | None:
        """The latest version."""
        ...

    def interruptions(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                      activity_ids: Collection[UUID] | None = None) -> list[Interruption]:
        """The latest version of every interruption of the bureau's activities (same filters as
        ``list``), in one query, ordered by start."""
        ...

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
             activity_ids: Collection[UUID] | None = None) -> list[Activity]:
        """The latest version of every activity of the bureau (in ``unit_ids`` unless None;
        only ``activity_ids`` unless None), newest arrival first; a fixed number of queries."""
        ...

    def for_device(self, device_id: UUID, at: datetime) -> builtins.list[Activity]:
        """The latest versions whose devices include ``device_id`` and whose span (arrival →
        departure) contains ``at``, newest arrival first; a fixed number of queries."""
        ...


class CaseRepo(Protocol):
    """Cases and what hangs off them. Stage changes and media links are append-only."""

    def add(self, case: Case) -> None: ...
    def update(self, case: Case) -> None: ...
    def get(self, case_id: UUID) -> Case | None: ...
    def by_number(self, bureau_id: UUID, number: str) -> Case | None: ...

    def next_serial(self, bureau_id: UUID, year: int) -> int:
        """The next case serial of the bureau and year (1, 2, …), counted in this transaction:
        a rolled-back transaction gives its number back, so the numbers have no gaps."""
        ...

    def search(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, flt: CaseFilter, *,
             offset: int, limit: int) -> tuple[list[Case], int]:
        """One page of matching cases, newest opened first, and the number of all matches."""
        ...

    def add_party(self, party: Party) -> None: ...
    def parties(self, case_id: UUID) -> list[Party]: ...
    def set_handlers(self, case_id: UUID, handlers: Sequence[Handler]) -> None: ...
    def handlers(self, case_id: UUID) -> list[Handler]: ...
    def add_stage_change(self, change: StageChange) -> None: ...
    def stage_changes(self, case_id: UUID) -> list[StageChange]: ...
    def add_media_link(self, link: MediaLink) -> None: ...
    def media_links(self, case_id: UUID) -> list[MediaLink]: ...

    def media(self, media_id: UUID) -> MediaRecord | None:
        """The vault original ``media_id`` (to check it may be linked), or None."""
        ...

    def open_for_officer(self, user_id: UUID, around: datetime) -> list[Case]:
        """Cases the officer handles that were open at ``around`` (opened by then, not yet ended)."""
        ...

    def rule_facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                   case_id: UUID | None = None, *, skip_stored: str | None = None) -> CaseRows:
        """The cases in scope (or only ``case_id``) with the stages each entered, handler ids,
        record versions and signatures: a fixed number of statements whatever the count.
        ``skip_stored``: leave out the cases whose findings are stored under that stamp (but
        the open ones at a handled stage, ``CaseRows.live``)."""
        ...

    def stored_findings(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
                        stamp: str) -> list[tuple[UUID, str]]:
        """(case id, its stored findings as the JSON text ``keep_findings`` stored) of the cases in
        scope whose row has ``stamp`` and the case's ``facts_rev`` now, by case id: one statement.
        Derived data (decisions 0048, 0050), not a record."""
        ...

    def keep_findings(self, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]]) -> bool:
        """Store (case id, the case's ``facts_rev`` when its facts were read, findings JSON) under
        ``stamp``, replacing what was stored for those cases; return False, storing nothing, when
        another transaction changed those rows meanwhile (not an error: a cache left unfilled)."""
        ...


class AccessRepo(Protocol):
    """Access requests and decisions, requests from outside, clearances and media levels (Art.
    45–47): every row is a record (append-only); the register is read from the events."""

    def add_request(self, request: AccessRequest) -> None: ...

    def add_decision(self, decision: Decision) -> None:
        """Raise Conflict ``access.decided`` when the request already took that status."""
        ...

    def grant(self, request_id: UUID) -> Grant | None: ...
    def grants_for(self, user_id: UUID) -> list[Grant]: ...

    def list_grants(self, bureau_id: UUID, *, requester_id: UUID | None = None, limit: int = 500) -> list[Grant]:
        """Requests of the bureau (of one requester when given) with their decisions, newest first,
        in a fixed number of queries."""
        ...

    def case_refs(self, media_id: UUID) -> list[CaseRef]:
        """The cases the original is linked to now (latest link row is a link), with handlers."""
        ...

    def clearance(self, user_id: UUID) -> Clearance | None: ...
    def add_clearance(self, clearance: Clearance) -> None: ...
    def media_level(self, media_id: UUID) -> MediaLevel | None: ...
    def add_media_level(self, level: MediaLevel) -> None: ...

    def register(self, query: RegisterFilter) -> tuple[list[RegisterRow], int]:
        """One page of readings and refusals of the bureau's originals, newest first, and the
        number of all matches (set-based: one query for the page, one for the count)."""
        ...

    def add_outside(self, request: OutsideRequest) -> None: ...
    def outside(self, request_id: UUID) -> tuple[OutsideRequest, OutsideDecision | None] | None: ...

    def decide_outside(self, decision: OutsideDecision) -> None:
        """Raise Conflict ``outside.decided`` when the request has a decision already."""
        ...

    def list_outside(self, bureau_id: UUID, limit: int = 500
                     ) -> list[tuple[OutsideRequest, OutsideDecision | None]]: ...
class OversightRepo(Protocol):
    """Set-based reads of the supervisor's report and dashboard, and the daily snapshots
    (decision 0020). Every read is one statement whatever the number of rows."""

    def population(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> dict[tuple[UUID, str], int]:
        """The number of originals (``media``), hand-ins, activities and cases per (unit, type)."""
        ...

    def events_between(self, actions: Collection[str], start: datetime | None,
                       end: datetime | None) -> list[Event]:
        """Events of ``actions`` with ``start <= occurred_at < end`` (open ends: None), oldest first."""
        ...

    def media_for(self, ids: Collection[UUID], digests: Collection[str]) -> list[MediaRecord]:
        """The originals with one of ``ids`` or one of ``digests``."""
        ...

    def device_troubles(self, bureau_id: UUID, start: datetime | None, end: datetime | None
                        ) -> list[DeviceLogEntry]:
        """Log entries of the bureau's devices in the period reporting a fault or a loss."""
        ...

    def device_logs(self, device_ids: Collection[UUID]) -> dict[UUID, list[DeviceLogEntry]]:
        """The whole log of each device, oldest first (to find the holder at a time)."""
        ...

    def replace_snapshot(self, bureau_id: UUID, day: date, rows: Sequence[SnapshotRow]) -> None:
        """Make ``rows`` the bureau's snapshot of ``day`` (the day's earlier rows are replaced)."""
        ...

    def snapshots(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, since: date,
                  until: date) -> list[SnapshotRow]:
        """Snapshot rows of days ``since``..``until`` (inclusive), by day."""
        ...

    def last_snapshot_at(self, bureau_id: UUID) -> datetime | None: ...

class RecordRepo(Protocol):
    """Records on cases and the stored catalogue versions; every table is append-only."""

    def add_catalogue(self, catalogue: StoredCatalogue) -> None:
        """Insert; raise Conflict ``catalogue.version_taken`` when that version exists already."""
        ...

    def catalogue(self, version: int) -> StoredCatalogue | None: ...
    def latest_catalogue(self) -> StoredCatalogue | None: ...
    def catalogues(self) -> list[StoredCatalogue]:
        """Every stored version, oldest first."""
        ...

    def add_version(self, version: RecordVersion) -> None:
        """Insert; raise Conflict ``record.version_taken`` when that version of the record exists."""
        ...

    def versions(self, record_id: UUID) -> list[RecordVersion]:
        """Every version of the record, oldest first (empty for an unknown record)."""
        ...

    def for_case(self, case_id: UUID) -> list[RecordVersion]:
        """Every version of every record of the case, by creation time then version."""
        ...

    def add_attachment(self, attachment: Attachment) -> None: ...
    def attachment(self, attachment_id: UUID) -> Attachment | None: ...
    def attachments(self, record_id: UUID) -> list[Attachment]: ...

    def attachment_digests(self) -> list[tuple[str, int]]:
        """(sha256, size) of every stored scan or photo of a record, each digest once, in digest order."""
        ...

    def add_signature(self, signature: Signature) -> None: ...
    def signatures(self, record_id: UUID) -> list[Signature]:
        """Every signature and refusal of every version of the record, in recording order."""
        ...

    def signatures_for_case(self, case_id: UUID) -> list[Signature]: ...

    def attachment_counts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, kinds: Collection[str],
                          stages: Collection[Stage], *, case_id: UUID | None = None,
                          skip_stored: str | None = None, fresh: Sequence[UUID] | None = None) -> dict[UUID, int]:
        """The number of attachments (purpose ``attachment``) of each record of ``kinds`` of the
        cases in scope at ``stages`` that has any (records without are left out): one statement.
        ``skip_stored`` as for ``CaseRepo.rule_facts``; ``fresh`` as for ``ApprovalRepo.facts``."""
        ...

    def service_facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                      kinds: Collection[str], stages: Collection[Stage], *,
                      case_id: UUID | None = None) -> ServiceFacts:
        """The cases in scope (``unit_ids`` None: every unit; ``case_id``: that case only) at
        ``stages``, every version of their records of ``kinds``, their signatures and attachment
        counts: a fixed number of statements whatever the number of cases."""
        ...


class CatalogueSource(Protocol):
    """The packaged catalogue and the YAML reader (``adapters.catalogue_file``)."""

    def packaged_text(self) -> str:
        """The text of the catalogue shipped in the package (version 1)."""
        ...

    def load(self, text: str) -> Any:
        """The data of a YAML document; raise ValidationFailed ``catalogue.yaml`` (with the line)
        when it is not YAML."""
        ...


class ApprovalRepo(Protocol):
    """Approval requests and their actions; both append-only (no method changes or removes a row)."""

    def add_request(self, request: ApprovalRequest) -> None: ...
    def add_action(self, action: ApprovalAction) -> None: ...

    def get(self, request_id: UUID) -> tuple[ApprovalRequest, list[ApprovalAction]] | None:
        """The request and its actions, oldest first; None if there is no such request."""
        ...

    def for_case(self, case_id: UUID) -> tuple[list[ApprovalRequest], list[ApprovalAction]]:
        """Every request of the case (oldest submission first) and every action on them."""
        ...

    def open_in(self, bureau_id: UUID
                ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, ApprovalCaseRef]]:
        """The bureau's requests that no action ended yet, their actions and their cases: a fixed
        number of statements whatever their number (the inboxes are worked out from these)."""
        ...

    def set_waiting(self, request: ApprovalRequest, bureau_id: UUID, unit_id: UUID,
                    waiting: Waiting | None) -> None:
        """Store who the request waits for now (None: it ended), replacing what was stored; a
        derived copy of the fold of its actions, kept in the transaction of each action (0035)."""
        ...

    def count_waiting(self, actor: Actor) -> int:
        """How many open requests of the actor's bureau wait for them (one statement)."""
        ...

    def waiting_for(self, actor: Actor, *, offset: int = 0, limit: int | None = None
                    ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, ApprovalCaseRef]]:
        """The requests waiting for the actor (emergency first, then oldest submission first; the
        requests in that order), their actions and cases: at most four statements."""
        ...

    def pending_submitted_by(self, bureau_id: UUID, user_id: UUID
                             ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, ApprovalCaseRef]]:
        """The bureau's pending requests the person submitted (oldest first), their actions and cases."""
        ...

    def facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
              case_id: UUID | None = None, skip_stored: str | None = None,
              fresh: Sequence[UUID] | None = None) -> ApprovalFacts:
        """What the approval rules read for the cases in scope (``unit_ids`` None: every unit;
        ``case_id``: that case only), with a fixed number of statements whatever the number of cases;
        ``skip_stored`` as for ``CaseRepo.rule_facts``; ``fresh``: the ids of the cases in scope not
        stored, when the caller has read them (a hint: the result is the same without it)."""
        ...


class DerivedRepo(Protocol):
    """Write-once derived objects of originals (previews, thumbnails), one per original and kind."""

    def add(self, derived: DerivedObject) -> None:
        """Insert; raise Conflict ``derived.exists`` when the original has one of that kind."""
        ...

    def for_media(self, media_ids: Collection[UUID]) -> dict[UUID, dict[DerivedKind, DerivedObject]]:
        """The derived objects of ``media_ids``, by original and kind, in one query."""
        ...

    def digests(self, batch: int = 5000) -> Iterator[tuple[str, int, UUID, DerivedKind]]:
        """(sha256, size, media id, kind) of every derived object, in digest order."""
        ...


class DisclosureRepo(Protocol):
    """Disclosures (Art. 37): requests with their originals, decisions, exports with copies."""

    def add_request(self, request: DisclosureRequest) -> None: ...
    def add_decision(self, decision: DisclosureDecision) -> None:
        """Raise Conflict ``disclosure.decided`` when the request already took that status."""
        ...
    def get(self, request_id: UUID) -> Disclosure | None: ...
    def list_for(self, bureau_id: UUID, *, requester_id: UUID | None = None, limit: int = 500) -> list[Disclosure]:
        """Newest first."""
        ...
    def add_export(self, export: DisclosureExport) -> None: ...
    def exports(self, *, request_id: UUID | None = None, bureau_id: UUID | None = None) -> list[DisclosureExport]:
        """Newest first."""
        ...
    def export(self, export_id: UUID) -> DisclosureExport | None: ...


class CopyMarker(Protocol):
    """Makes the marked copy of an original for disclosure (``adapters.watermark``)."""

    def mark(self, source: Path, dest_dir: Path, *, method: Method, text: str, name: str,
             on_progress: Callable[[float], None] | None = None) -> list[Path]:
        """Write the marked copy of ``source`` (and for ``sidecar`` the notice beside the
        unchanged copy) into ``dest_dir``; return the written files, the copy first. Raise
        LawtrailError ``disclosure.mark_failed`` when the tool fails."""
        ...


class UnitOfWork(Protocol):
    """One transaction. ``with uow:`` opens it; leaving without ``commit()`` rolls back."""

    @property
    def bureaus(self) -> BureauRepo: ...
    @property
    def units(self) -> UnitRepo: ...
    @property
    def users(self) -> UserRepo: ...
    @property
    def devices(self) -> DeviceRepo: ...
    @property
    def device_log(self) -> DeviceLogRepo: ...
    @property
    def sessions(self) -> SessionRepo: ...
    @property
    def tokens(self) -> TokenRepo: ...
    @property
    def login_attempts(self) -> LoginAttemptRepo: ...
    @property
    def events(self) -> EventRepo: ...
    @property
    def media(self) -> MediaRepo: ...
    @property
    def handins(self) -> HandinRepo: ...
    @property
    def marks(self) -> MarkRepo: ...
    @property
    def activities(self) -> ActivityRepo: ...
    @property
    def cases(self) -> CaseRepo: ...
    @property
    def access(self) -> AccessRepo: ...
    @property
    def oversight(self) -> OversightRepo: ...
    @property
    def records(self) -> RecordRepo: ...
    @property
    def archive(self) -> ArchiveRepo: ...
    @property
    def approvals(self) -> ApprovalRepo: ...
    @property
    def derived(self) -> DerivedRepo: ...
    @property
    def disclosures(self) -> DisclosureRepo: ...

    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...

    def snapshot(self) -> bool:
        """Ask that the next transaction begun read one consistent snapshot (every statement sees
        the same committed state); return whether it will (False: the transaction has begun
        without). The compliance engine needs it to read stored findings beside live rows."""
        ...


class LedgerEventRepo(EventRepo, Protocol):
    def append_many(self, events: Sequence[Event]) -> list[Event]:
        """Store ``events`` as the next leaves, in order, in one step."""
        ...


class LedgerNodeRepo(Protocol):
    """Stored perfect subtrees (a ``SubtreeSource``) and the recorded leaf hashes."""

    def get(self, level: int, index: int) -> bytes: ...
    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...
    def snapshot(self) -> None:
        """Read one consistent snapshot for the rest of the transaction (call first)."""
        ...

    def recorded_size(self) -> int: ...
    def locate_leaf(self, value: bytes) -> int | None: ...
    def leaf_rows(self, batch: int = 5000) -> Iterator[LeafRow]: ...
    def leaf_chunks(self, size: int, checkpoint_sizes: Iterable[int]) -> list[ChunkSummary] | None:
        """Chunk summaries for ``audit.certify`` (the fast path of verification), or None
        when this store has none (then ``leaf_rows`` is audited)."""
        ...


class CheckpointRepo(Protocol):
    def add(self, checkpoint: StoredCheckpoint) -> None: ...
    def latest(self) -> StoredCheckpoint | None: ...
    def get(self, size: int) -> StoredCheckpoint | None: ...
    def list(self) -> list[StoredCheckpoint]: ...


class LedgerUnitOfWork(Protocol):
    """The part of a unit of work the ledger services use."""

    @property
    def events(self) -> LedgerEventRepo: ...
    @property
    def ledger_nodes(self) -> LedgerNodeRepo: ...
    @property
    def checkpoints(self) -> CheckpointRepo: ...

    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class ArchiveRepo(Protocol):
    """Append-only retention overrides, legal holds (and releases), disposals (and decisions)."""

    def add_override(self, override: RetentionOverride) -> None:
        """Raise Conflict ``archive.override_version_taken`` when the version exists."""
        ...

    def overrides_for(self, media_id: UUID) -> list[RetentionOverride]: ...
    def latest_overrides(self, bureau_id: UUID) -> dict[UUID, RetentionOverride]: ...
    def add_hold(self, hold: LegalHold) -> None: ...

    def add_release(self, release: HoldRelease) -> None:
        """Raise Conflict ``archive.hold_released`` when already released."""
        ...

    def hold(self, hold_id: UUID) -> LegalHold | None: ...
    def holds(self, bureau_id: UUID) -> list[LegalHold]: ...
    def add_disposal(self, disposal: Disposal) -> None: ...

    def add_decision(self, decision: DisposalDecision) -> None:
        """Raise Conflict ``archive.decided`` when that decision exists already."""
        ...

    def disposal(self, disposal_id: UUID) -> Disposal | None: ...
    def disposals(self, bureau_id: UUID) -> list[Disposal]: ...

    def authorised_digests(self) -> set[str]:
        """Digests of originals whose disposal was approved: absent bytes are ``disposed``."""
        ...

    def pending_media(self, bureau_id: UUID) -> dict[UUID, UUID]: ...
    def disposed_media(self, bureau_id: UUID) -> set[UUID]: ...

    def case_links(self, bureau_id: UUID) -> dict[UUID, list[ArchivedIn | UUID]]:
        """media id → its current cases: ``ArchivedIn`` for a concluded (归档) case, else the id."""
        ...


class ArchiveUnitOfWork(UnitOfWork, Protocol):
    """A unit of work with the ledger's repositories too (case files carry inclusion proofs)."""

    @property
    def events(self) -> LedgerEventRepo: ...
    @property
    def ledger_nodes(self) -> LedgerNodeRepo: ...
    @property
    def checkpoints(self) -> CheckpointRepo: ...


class LedgerExportSink(Protocol):
    """Where ``services.ledger.export`` writes: events in leaf order, then the checkpoints."""

    def write_event(self, leaf: dict[str, Any]) -> None: ...
    def write_checkpoints(self, checkpoints: list[StoredCheckpoint]) -> None: ...


class Signer(Protocol):
    """An Ed25519 note signer: key name, key ID, public key and ``sign``."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> bytes: ...
    @property
    def public_key(self) -> bytes: ...
    def sign(self, message: bytes) -> bytes: ...


class TimestampVerifier(Protocol):
    """Checks an RFC 3161 token (DER TimeStampResp) against the trusted TSA certificates."""

    def verify(self, token: bytes, data: bytes) -> datetime:
        """The time the TSA vouches ``data`` existed; raise an exception when the token does
        not verify for exactly these bytes."""
        ...


class Timestamper(TimestampVerifier, Protocol):
    """An RFC 3161 time-stamping authority (adapters.tsa)."""

    def timestamp(self, data: bytes) -> bytes:
        """A verified token over SHA-256(``data``); raise an exception on any failure."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class TotpChecker(Protocol):
    def new_secret(self) -> str: ...
    def verify(self, secret: str, code: str, at: datetime) -> bool: ...
    def uri(self, secret: str, account: str, issuer: str) -> str: ...


Names = Sequence[str]


# --- evidence vault: the write-once, content-addressed blob store (issue 4, item 1) ---------------


class ByteSource(Protocol):
    """Anything with ``read(n)`` returning bytes (an open file, an upload stream); ``b""`` = end."""

    def read(self, size: int = -1, /) -> bytes: ...


class BlobReader(Protocol):
    """A streaming reader over stored bytes; close it (or use ``with``) when done."""

    def read(self, size: int = -1, /) -> bytes: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class StoredBlob(Protocol):
    """The outcome of ``BlobStore.put_stream``: lower-case hex SHA-256, size in bytes, and
    ``created`` = False when an object with this digest was already stored (nothing was written).

    A Protocol, not a class, because adapters may not import services (layer contract); the
    adapters return the frozen dataclass ``lawtrail.adapters.storage.StoredBlob``."""

    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def created(self) -> bool: ...


class BlobStore(Protocol):
    """Write-once storage of originals addressed by SHA-256 (``adapters.storage``: local, s3).

    No method modifies a stored object. Digests are 64 lower-case hex characters; any other
    string raises ``ValidationFailed`` (code ``vault.bad_digest``). A missing object raises
    ``NotFound`` (code ``vault.not_found``).
    """

    def put_stream(self, source: Iterable[bytes] | ByteSource, *, expected_sha256: str | None = None,
                   max_bytes: int | None = None) -> StoredBlob:
        """Hash and store ``source`` in one streaming pass. Raise ``ValidationFailed``
        (``vault.empty``) for zero bytes, ``PayloadTooLarge`` (``vault.too_large``) above
        ``max_bytes``, ``IntegrityError`` (``vault.digest_mismatch``) when the bytes do not hash
        to ``expected_sha256``, ``StorageFull`` (``vault.disk_full``) when space runs out.
        Whatever is raised, nothing is left behind. An existing digest is never overwritten."""
        ...

    def open(self, sha256: str) -> BlobReader:
        """A streaming reader over the whole object."""
        ...

    def open_range(self, sha256: str, start: int, end: int) -> BlobReader:
        """A reader over bytes ``[start, end)`` (half-open; HTTP ``bytes=a-b`` is ``(a, b + 1)``).
        ``end`` is clipped to the size; raise ``ValidationFailed`` (``vault.bad_range``) when
        ``start < 0``, ``start >= size`` or ``end <= start``."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, in no particular order (for ``vault verify``)."""
        ...

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes (streaming): True when they still match the digest."""
        ...

    def adopt_file(self, path: Path, *, sha256: str) -> StoredBlob:
        """Store the complete, fsynced file at ``path`` whose SHA-256 the caller computed while
        writing it, without a second full copy where the backend can: the local store hard-links
        it into place under the same write-once rules as ``put_stream`` (read-only, an existing
        object never replaced: ``created`` False); across file systems, and on S3, the bytes are
        streamed in (and hashed again: ``vault.digest_mismatch`` when they differ). The file at
        ``path`` is left for the caller to remove. Raise ``ValidationFailed`` (``vault.empty``)
        for an empty file, ``vault.bad_digest`` for a malformed digest."""
        ...

    def dispose(self, sha256: str) -> None:
        """Delete the bytes. The ONLY deleting path: the caller (the approved-disposal service)
        must have checked and recorded the approval; this method checks nothing. The S3 backend
        raises ``Conflict`` (``vault.retention_locked``) while Object Lock retention holds."""
        ...


class PayloadFile(Protocol):
    """One file written into a bag: path (``data/…``), size, SHA-256 and SHA-512 (hex)."""

    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def sha512(self) -> str: ...


class BagSink(Protocol):
    """Where a case file is written (``adapters.bag.BagWriter``: a BagIt bag, RFC 8493)."""

    def add_stream(self, rel: str, source: ByteSource,
                   on_bytes: Callable[[int], None] | None = None) -> PayloadFile:
        """Copy ``source`` to ``data/<rel>`` in blocks (constant memory), hashing as it goes."""
        ...

    def add_bytes(self, rel: str, data: bytes) -> PayloadFile: ...

    def finish(self, info: Sequence[tuple[str, str]], today: date) -> str:
        """Write the manifests and tag files; return the Payload-Oxum."""
        ...


class Transcoder(Protocol):
    """Makes derived objects from a stored original (``adapters.transcode``, decision 0019)."""

    def make(self, kind: DerivedKind, media_type: MediaType, source: Path, target_dir: Path,
             duration_s: float | None = None) -> tuple[Path, str, str]:
        """Write the derived object of ``kind`` into ``target_dir``; return (path, content type,
        how it was made). Raise ValidationFailed ``derived.failed`` when it cannot be made.
        Never writes to ``source``."""
        ...


@runtime_checkable
class LocalBlobPaths(Protocol):
    """A blob store whose objects are local files (``LocalBlobStore``): the probe reads the stored
    copy itself rather than the source."""

    def path_of(self, sha256: str) -> Path: ...


class MediaProbe(Protocol):
    """Reads ``MediaFacts`` from a stored file (adapters.media_probe, decision 0008)."""

    def probe(self, path: Path) -> MediaFacts:
        """Facts about the file at ``path``. Never raises on bad media: a zero-byte, truncated,
        corrupt or unknown file gives ``probe_ok=False`` and ``probe_error`` (an unknown format is
        ``MediaType.UNKNOWN``, kept, never dropped). Raises only on programming errors."""
        ...


# --- resumable uploads (tus): the staging area of incomplete uploads (decision 0011) --------------


class UploadAppender(Protocol):
    """An exclusive append to one upload's part file; ``close()`` fsyncs and returns the new offset."""

    @property
    def offset(self) -> int: ...
    def write(self, block: bytes) -> None:
        """Append and hash ``block``; raise PayloadTooLarge (nothing written) past the length."""
        ...

    def close(self) -> int: ...


class UploadStaging(Protocol):
    """Incomplete uploads (``adapters.storage.uploads``): a creation record, the bytes so far
    (hashed as they arrive), and the outcome once finalised. Ids are 32 lower-case hex
    characters; any other id, or an unknown one, raises NotFound (``upload.not_found``)."""

    def create(self, upload_id: str, info: dict[str, Any]) -> None: ...
    def info(self, upload_id: str) -> dict[str, Any]: ...
    def acknowledged(self, upload_id: str) -> int:
        """Bytes durably received (fsynced) so far."""
        ...

    def open_append(self, upload_id: str, offset: int, length: int) -> UploadAppender:
        """Raise Conflict ``upload.busy`` (another append holds it) or ``upload.offset_mismatch``."""
        ...

    def digest(self, upload_id: str) -> str:
        """SHA-256 hex of the bytes received (from the state kept while appending, or one re-read)."""
        ...

    def part_path(self, upload_id: str) -> Path: ...
    def finish(self, upload_id: str, result: dict[str, Any]) -> None:
        """Keep ``result`` and drop the part file."""
        ...

    def result(self, upload_id: str) -> dict[str, Any] | None: ...
    def remove(self, upload_id: str) -> None: ...
    def sweep(self, older_than_s: float) -> int: ...
