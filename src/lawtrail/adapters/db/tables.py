"""The schema, portable between SQLite and PostgreSQL (DESIGN.md rule 7).

Named constraints, ``Uuid``, JSON and timezone-aware UTC datetimes. Alembic migrations are
generated from this metadata and checked for drift by the test suite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns timezone-aware UTC datetimes on both engines; refuses naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, nullable: bool = False) -> Column[Any]:
    return Column(name, UTCDateTime(), nullable=nullable)


bureaus = Table(
    "bureaus", metadata,
    Column("id", Uuid, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    _ts("created_at"),
)

units = Table(
    "units", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False, index=True),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    Index("uq_units_bureau_code", "bureau_id", "code", unique=True),
)

users = Table(
    "users", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False, index=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(50), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("cert_number", String(32), nullable=True),
    Column("cert_valid_from", Date, nullable=True),
    Column("cert_valid_to", Date, nullable=True),
    Column("phone", String(30), nullable=False),
    Column("totp_secret", String(64), nullable=True),
    Column("totp_enabled", Boolean, nullable=False),
    Column("totp_required", Boolean, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
)

user_roles = Table(
    "user_roles", metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
)

devices = Table(
    "devices", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False, index=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("holder_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("make", String(50), nullable=False),
    Column("model", String(50), nullable=False),
    Column("serial", String(80), nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
)

device_log = Table(
    "device_log", metadata,
    Column("id", Uuid, primary_key=True),
    Column("device_id", Uuid, ForeignKey("devices.id"), nullable=False),
    _ts("at"),
    Column("kind", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("holder_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("status", String(32), nullable=True),
    Index("ix_device_log_device_at", "device_id", "at"),
)

sessions = Table(
    "sessions", metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    _ts("created_at"),
    _ts("last_seen_at"),
    _ts("ended_at", nullable=True),
    Column("totp_pending", Boolean, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(80), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(8), nullable=False),
    _ts("created_at"),
    _ts("expires_at", nullable=True),
    _ts("revoked_at", nullable=True),
    _ts("last_used_at", nullable=True),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    _ts("at"),
    Column("success", Boolean, nullable=False),
    Column("ip", String(64), nullable=False),
    Index("ix_login_attempts_username_at", "username", "at"),
)

# The event trail, which is the ledger's leaf table. ``seq`` is the gapless leaf index,
# handed out under the row lock of ``ledger_head``; ``leaf_hash`` is SHA-256(0x00 || canonical
# event bytes). Triggers (see the migration) refuse UPDATE and DELETE on this table.
events = Table(
    "events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", Uuid, nullable=False, unique=True),
    _ts("occurred_at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject_type", String(50), nullable=False),
    Column("subject_id", String(100), nullable=False),
    Column("subject_name", String(300), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Index("ix_events_subject", "subject_type", "subject_id", "seq"),
    Index("ix_events_actor", "actor_id", "seq"),
    Index("ix_events_action_time", "action", "occurred_at"),  # oversight: events of a kind in a period
)

ledger_head = Table(
    "ledger_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
)

# Stored perfect subtrees of the ledger's Merkle tree, keyed (level, index): level 0 is an
# independent copy of every leaf hash (so a rewritten ``events`` row shows), level k >= 1 the
# hash of leaves [index * 2**k, (index + 1) * 2**k). Written in the append's transaction,
# never changed (append-only triggers); proofs read O(log n) rows of it.
ledger_nodes = Table(
    "ledger_nodes", metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# Signed tree heads (C2SP tlog-checkpoint notes), one per size; append-only.
checkpoints = Table(
    "checkpoints", metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    _ts("created_at"),
    Column("timestamp_token", LargeBinary, nullable=True),
)

# --- evidence vault (issue 4): originals are write-once, registrations are versioned ---------------

media = Table(
    "media", metadata,
    Column("id", Uuid, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(16), nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("facts", JSON, nullable=False),
    Column("probe_ok", Boolean, nullable=False),
    Column("device_id", Uuid, ForeignKey("devices.id"), nullable=False),
    Column("officer_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False, index=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    _ts("captured_at", nullable=True),
    _ts("captured_end", nullable=True),
    _ts("handed_in_at"),
    _ts("stored_at"),
    Column("clock_offset_s", Float, nullable=True),
    Column("ingested_by", String(100), nullable=False),
    _ts("created_at"),
    Index("ix_media_device_captured", "device_id", "captured_at"),
)

media_registrations = Table(
    "media_registrations", metadata,
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("unit_name", String(100), nullable=False),
    Column("category", String(50), nullable=False),
    Column("device_number", String(40), nullable=False),
    Column("officer_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("officer_name", String(100), nullable=False),
    _ts("used_from", nullable=True),
    _ts("used_to", nullable=True),
    Column("party", String(200), nullable=False),
    Column("case_name", String(200), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
)

# --- hand-ins (Art. 41), evidence use and retention (Art. 43, 44): append-only records ------------

handins = Table(
    "handins", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False, index=True),
    Column("device_id", Uuid, ForeignKey("devices.id"), nullable=False, index=True),
    Column("device_number", String(40), nullable=False),
    Column("officer_id", Uuid, ForeignKey("users.id"), nullable=True),
    _ts("handed_in_at"),
    Column("exception", String(32), nullable=True),
    _ts("returned_at", nullable=True),
    Column("note", Text, nullable=False),
    Column("recorded_by_id", Uuid, nullable=True),
    Column("recorded_by_name", String(100), nullable=False),
    _ts("recorded_at"),
    CheckConstraint("(exception IS NULL) = (returned_at IS NULL)", name="exception_has_return"),
)

handin_completions = Table(
    "handin_completions", metadata,
    Column("handin_id", Uuid, ForeignKey("handins.id"), primary_key=True),
    _ts("completed_at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
)

# Which hand-in accounted for an original: at most one (the primary key).
handin_media = Table(
    "handin_media", metadata,
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("handin_id", Uuid, ForeignKey("handin_completions.handin_id"), nullable=False, index=True),
)

media_marks = Table(
    "media_marks", metadata,
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("evidence", Boolean, nullable=False),
    Column("collector", String(100), nullable=False),
    _ts("collected_at", nullable=True),
    Column("place", String(200), nullable=False),
    Column("situations", JSON, nullable=False),
    Column("situation_note", Text, nullable=False),
    Column("retention", String(16), nullable=False),
    _ts("retain_until", nullable=True),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    CheckConstraint("retention IN ('standard', 'long_term')", name="retention_class"),
)

# --- on-site activities and recording interruptions (Art. 32, 35, 36): versioned, append-only -------
# A correction is the next ``version`` of the same ``id``; the latest version is in force.

activities = Table(
    "activities", metadata,
    Column("id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("party", String(200), nullable=False),
    Column("place", String(200), nullable=False),
    _ts("arrived_at"),
    _ts("departed_at"),
    Column("uninterrupted_required", Boolean, nullable=False),
    Column("av_unsuitable_reason", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("recorded_at"),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=True),  # the case it served (migration 0020)
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("departed_at > arrived_at", name="departed_after_arrived"),
    Index("ix_activities_unit_arrived", "unit_id", "arrived_at"),
    Index("ix_activities_bureau_arrived", "bureau_id", "arrived_at"),
    Index("ix_activities_case", "case_id"),
)

activity_devices = Table(
    "activity_devices", metadata,
    Column("activity_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("device_id", Uuid, ForeignKey("devices.id"), primary_key=True),
    Column("position", SmallInteger, nullable=False),
    ForeignKeyConstraint(["activity_id", "version"], ["activities.id", "activities.version"],
                         name="fk_activity_devices_activity_version_activities"),
)

activity_officers = Table(
    "activity_officers", metadata,
    Column("activity_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("position", SmallInteger, nullable=False),
    ForeignKeyConstraint(["activity_id", "version"], ["activities.id", "activities.version"],
                         name="fk_activity_officers_activity_version_activities"),
)

interruptions = Table(
    "interruptions", metadata,
    Column("id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("activity_id", Uuid, nullable=False),
    Column("activity_version", Integer, nullable=False),
    Column("device_id", Uuid, ForeignKey("devices.id"), nullable=False),
    _ts("started_at"),
    _ts("ended_at", nullable=True),
    Column("reason", String(32), nullable=True),
    Column("reason_text", Text, nullable=False),
    Column("resumed", Boolean, nullable=False),
    Column("reported_to", Uuid, ForeignKey("users.id"), nullable=True),
    _ts("reported_at", nullable=True),
    Column("explanation", Text, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("recorded_at"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("ended_at IS NULL OR ended_at > started_at", name="ended_after_started"),
    ForeignKeyConstraint(["activity_id", "activity_version"], ["activities.id", "activities.version"],
                         name="fk_interruptions_activity_version_activities"),
    Index("ix_interruptions_activity", "activity_id"),
)

# --- cases (issue 5): current state, parties, handlers; stage history and media links are
# append-only (triggers in migration 0007); case numbers are counted per bureau and year ------------

cases = Table(
    "cases", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False, index=True),
    Column("number", String(80), nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("serial", Integer, nullable=False),
    Column("action_type", String(32), nullable=False),
    Column("procedure", String(16), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("origin_detail", String(500), nullable=False),
    Column("complainant_real_name", Boolean, nullable=True),
    Column("complainant_name", String(100), nullable=False),
    Column("complainant_contact", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("cause", String(500), nullable=False),
    Column("stage", String(16), nullable=False),
    _ts("opened_at"),
    Column("opened_by", String(100), nullable=False),
    _ts("updated_at"),
    _ts("ended_at", nullable=True),
    Column("closed_kind", String(16), nullable=True),
    Column("closed_reason", String(1000), nullable=False),
    Column("secrecy", String(16), nullable=False, server_default="ordinary"),
    # Raised by the database itself (triggers of migration 0024) whenever this row or any row the
    # compliance rules read about the case changes: stage history, handlers, record versions,
    # signatures, attachments, approval requests and actions. Stored findings hold only while it
    # is the one they were computed at (``case_findings``, decision 0050); nothing else reads it.
    Column("facts_rev", BigInteger, nullable=False, server_default="0"),
    Index("uq_cases_bureau_year_serial", "bureau_id", "year", "serial", unique=True),
    Index("ix_cases_bureau_stage", "bureau_id", "stage"),
    Index("ix_cases_bureau_opened", "bureau_id", "opened_at"),
    # The case list in page order: by stage, unfiltered, and for a person who sees some units only;
    # each ends with the id, so that a page's ids come from the index alone (0019, decision 0035).
    Index("ix_cases_bureau_stage_opened_id", "bureau_id", "stage", "opened_at", "serial", "id"),
    Index("ix_cases_bureau_opened_serial", "bureau_id", "opened_at", "serial", "id"),
    Index("ix_cases_bureau_unit_stage_opened", "bureau_id", "unit_id", "stage", "opened_at", "serial", "id"),
    Index("ix_cases_bureau_unit_opened", "bureau_id", "unit_id", "opened_at", "serial", "id"),
)

case_parties = Table(
    "case_parties", metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False, index=True),
    Column("id_number", String(18), nullable=False),
    Column("legal_rep", String(50), nullable=False),
    Column("address", String(200), nullable=False),
    Column("phone", String(30), nullable=False),
    _ts("added_at"),
    Column("added_by", String(100), nullable=False),
)

case_handlers = Table(
    "case_handlers", metadata,
    Column("case_id", Uuid, ForeignKey("cases.id"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("lead", Boolean, nullable=False),
    _ts("assigned_at"),
    Index("ix_case_handlers_user_id", "user_id"),
)

case_stage_changes = Table(
    "case_stage_changes", metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False),
    Column("from_stage", String(16), nullable=True),
    Column("to_stage", String(16), nullable=False),
    _ts("at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("correction", Boolean, nullable=False),
    Index("ix_case_stage_changes_case_at", "case_id", "at"),
)

case_media = Table(
    "case_media", metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False),
    Column("media_id", Uuid, ForeignKey("media.id"), nullable=False, index=True),
    Column("linked", Boolean, nullable=False),
    _ts("at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("reason", String(500), nullable=False),
    Index("ix_case_media_case_at", "case_id", "at"),
)

case_numbers = Table(
    "case_numbers", metadata,
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_serial", Integer, nullable=False),
)

# --- access to records (issue 6 items 1–4, Art. 45–47; docs/decisions/0017): requests, their
# decisions, requests from outside, clearances and media levels; all append-only (migration 0010) ---

access_requests = Table(
    "access_requests", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("requester_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("requester_name", String(100), nullable=False),
    Column("requester_unit_id", Uuid, ForeignKey("units.id"), nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=True),
    _ts("starts_at"),
    _ts("ends_at"),
    _ts("created_at"),
    CheckConstraint("ends_at > starts_at", name="period_positive"),
    Index("ix_access_requests_bureau_created", "bureau_id", "created_at"),
)

access_request_media = Table(
    "access_request_media", metadata,
    Column("request_id", Uuid, ForeignKey("access_requests.id"), primary_key=True),
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Index("ix_access_request_media_media_id", "media_id"),
)

access_decisions = Table(
    "access_decisions", metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", Uuid, ForeignKey("access_requests.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    Column("reason", String(500), nullable=False),
    # A request takes each status at most once: two leaders approving at once cannot both win.
    Index("uq_access_decisions_request_status", "request_id", "status", unique=True),
)

outside_requests = Table(
    "outside_requests", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("requester_name", String(100), nullable=False),
    Column("requester_org", String(200), nullable=False),
    Column("legal_basis", String(500), nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("wants_copy", Boolean, nullable=False),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=True),
    Column("asked", String(1000), nullable=False),
    _ts("received_at"),
    Column("recorded_by_id", Uuid, nullable=True),
    Column("recorded_by", String(100), nullable=False),
    _ts("recorded_at"),
    Index("ix_outside_requests_bureau_received", "bureau_id", "received_at"),
)

outside_decisions = Table(
    "outside_decisions", metadata,
    Column("request_id", Uuid, ForeignKey("outside_requests.id"), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("approver_id", Uuid, nullable=True),
    Column("approver_name", String(100), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("provided", JSON, nullable=False),
    _ts("at"),
)

user_clearances = Table(
    "user_clearances", metadata,
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("levels", JSON, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    CheckConstraint("version >= 1", name="version_positive"),
)

media_levels = Table(
    "media_levels", metadata,
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("level", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    CheckConstraint("version >= 1", name="version_positive"),
)

# --- retention, legal holds, disposal (issue 6, Art. 39, 43, 44): all append-only (triggers in
# migration 0013); a hold's release and a disposal's decisions are rows of their own ------------

retention_overrides = Table(
    "retention_overrides", metadata,
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("retention", String(16), nullable=False),
    _ts("retain_until", nullable=True),
    Column("reason", String(1000), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    CheckConstraint("version >= 1", name="version_positive"),
)

# --- supervision (issue 6 item 8): daily snapshots of the dashboard's counts. A snapshot is a
# computation, not a record (decision 0020): re-taking a day replaces that day's rows. ---------------

oversight_snapshots = Table(
    "oversight_snapshots", metadata,
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("unit_id", Uuid, ForeignKey("units.id"), primary_key=True),
    Column("metric", String(120), primary_key=True),
    Column("numerator", Integer, nullable=False),
    Column("denominator", Integer, nullable=False),
    _ts("taken_at"),
    CheckConstraint("numerator >= 0 AND denominator >= 0", name="counts_not_negative"),
)

# --- records (issue 5 items 2, 3, 7): catalogue versions, record versions, signatures and refusals,
# attachments; every table append-only (triggers in migration 0008) -------------------------------------

record_catalogues = Table(
    "record_catalogues", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    _ts("created_at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("reason", String(1000), nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
)

record_versions = Table(
    "record_versions", metadata,
    Column("id", Uuid, nullable=False, unique=True),
    Column("record_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("kind_id", String(48), nullable=False),
    Column("kind_name", String(60), nullable=False),
    Column("catalogue_version", Integer, ForeignKey("record_catalogues.version"), nullable=False),
    Column("values", JSON, nullable=False),
    Column("officers", JSON, nullable=False),
    Column("rights_method", String(20), nullable=True),
    Column("av_media_ids", JSON, nullable=False),
    Column("av_waiver", String(1000), nullable=False),
    Column("reason", String(1000), nullable=False),
    _ts("created_at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
    Index("ix_record_versions_case", "case_id", "created_at"),
)

#: Derived, not recorded (decisions 0048, 0050): the findings of a case's record, review, service
#: and approval rules as the engine computed them, one JSON array per case, so that an evaluation
#: reads them back instead of every version, signature and approval of a case unchanged since.
#: Valid while ``stamp`` (the rules' code, the catalogue in force, …) and ``facts_rev`` (the
#: case's, raised by triggers on every change to what the rules read) match; rows are replaced
#: and deleted freely (a cache: no trigger, no ledger event, nothing refers to it).
def _stored_findings(name: str, key: str, parent: str) -> Table:
    """A store of derived findings (decisions 0050, 0051): one row per subject (``key``, a
    reference to ``parent``) with the stamp and ``facts_rev`` it was computed under and its
    findings as JSON text (``services.stored_findings.encode``)."""
    return Table(
        name, metadata,
        Column(key, Uuid, ForeignKey(f"{parent}.id"), primary_key=True),
        Column("stamp", String(120), nullable=False),
        Column("facts_rev", BigInteger, nullable=False),
        _ts("stored_at"),
        Column("findings", Text, nullable=False),
    )


case_findings = _stored_findings("case_findings", "case_id", "cases")

#: The stored findings of originals (Art. 41–43; decision 0051), like ``case_findings``: valid
#: while ``stamp`` matches and ``facts_rev`` is the original's ``media_revs.rev`` (0 without a
#: row). A cache: replaced and deleted freely.
media_findings = _stored_findings("media_findings", "media_id", "media")

#: How many times the facts the vault rules read about an original have changed: raised by
#: triggers on every insert into ``media_registrations``, ``media_marks`` and ``handin_media``
#: (the three are append-only; migration 0025). No row: never changed (0).
media_revs = Table(
    "media_revs", metadata,
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("rev", BigInteger, nullable=False),
)

record_attachments = Table(
    "record_attachments", metadata,
    Column("id", Uuid, primary_key=True),
    Column("record_id", Uuid, nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("content_type", String(60), nullable=False),
    Column("purpose", String(16), nullable=False),
    _ts("added_at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
)

record_signatures = Table(
    "record_signatures", metadata,
    Column("id", Uuid, primary_key=True),
    Column("record_id", Uuid, nullable=False),
    Column("record_version", Integer, nullable=False),
    Column("capacity", String(16), nullable=False),
    Column("signer_name", String(100), nullable=False),
    Column("signer_user_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("refused", Boolean, nullable=False),
    Column("method", String(16), nullable=True),
    _ts("signed_at"),
    Column("scan_id", Uuid, ForeignKey("record_attachments.id"), nullable=True),
    Column("refusal_reason", String(1000), nullable=False),
    Column("witness_name", String(100), nullable=False),
    Column("witness_org", String(100), nullable=False),
    _ts("recorded_at"),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    ForeignKeyConstraint(["record_id", "record_version"], ["record_versions.record_id", "record_versions.version"],
                         name="fk_record_signatures_version_record_versions"),
    Index("ix_record_signatures_record", "record_id", "record_version"),
)

legal_holds = Table(
    "legal_holds", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("target", String(8), nullable=False),
    Column("target_id", Uuid, nullable=False, index=True),
    Column("target_name", String(300), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("placed_by_id", Uuid, nullable=True),
    Column("placed_by_name", String(100), nullable=False),
    _ts("placed_at"),
    CheckConstraint("target IN ('media', 'case')", name="target_kind"),
)

legal_hold_releases = Table(
    "legal_hold_releases", metadata,
    Column("hold_id", Uuid, ForeignKey("legal_holds.id"), primary_key=True),
    Column("reason", String(1000), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
)

disposals = Table(
    "disposals", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False, index=True),
    Column("reason", String(1000), nullable=False),
    Column("proposed_by_id", Uuid, nullable=True),
    Column("proposed_by_name", String(100), nullable=False),
    _ts("proposed_at"),
)

disposal_items = Table(
    "disposal_items", metadata,
    Column("disposal_id", Uuid, ForeignKey("disposals.id"), primary_key=True),
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("name", String(255), nullable=False),
    Column("retention", String(16), nullable=False),
    _ts("retain_until", nullable=True),
)

disposal_decisions = Table(
    "disposal_decisions", metadata,
    Column("disposal_id", Uuid, ForeignKey("disposals.id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    Column("note", String(1000), nullable=False),
    Column("ledger_index", BigInteger, nullable=True),
    Column("certificate", JSON, nullable=True),
    CheckConstraint("kind IN ('approve', 'reject', 'execute')", name="decision_kind"),
)

# --- approvals (issue 5 item 4): a request per step of a case, and the opinions given on it;
# both append-only (triggers in migration 0009): a request's state is the fold of its actions ------

approval_requests = Table(
    "approval_requests", metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, ForeignKey("cases.id"), nullable=False, index=True),
    Column("step", String(16), nullable=False),
    Column("submitted_by", Uuid, ForeignKey("users.id"), nullable=False),
    Column("submitted_by_name", String(100), nullable=False),
    _ts("submitted_at"),
    Column("emergency", Boolean, nullable=False),
    Column("emergency_reason", String(1000), nullable=False),
    Column("participants", JSON, nullable=False),
)

approval_actions = Table(
    "approval_actions", metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", Uuid, ForeignKey("approval_requests.id"), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("actor_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("actor_name", String(100), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("opinion", Text, nullable=False),
    Column("advice", Text, nullable=False),
    _ts("at"),
    Column("final", Boolean, nullable=False),
    Column("seq", Integer, nullable=False, server_default="0"),  # migration 0021
    CheckConstraint("level >= 0", name="level_not_negative"),
    Index("ix_approval_actions_request_at", "request_id", "at"),
    Index("ux_approval_actions_request_seq", "request_id", "seq", unique=True),
)

# --- who each open approval request waits for (decision 0035): kept by the approval services in
# the transaction of each submission, opinion and withdrawal (``domain.approvals.waiting_on``), so
# the 待我审批 badge and inbox are a query, not a fold of every open request. A derived copy:
# ``lawtrail`` can rebuild it from the append-only requests and actions (migration 0018) -------------

approval_waiting = Table(
    "approval_waiting", metadata,
    Column("request_id", Uuid, ForeignKey("approval_requests.id"), primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("unit_id", Uuid, ForeignKey("units.id"), nullable=False),  # the case's unit
    Column("status", String(16), nullable=False),
    Column("role", String(32), nullable=True),  # who may act by role (None: only the named people)
    Column("emergency", Boolean, nullable=False),
    _ts("submitted_at"),
    Index("ix_approval_waiting_bureau_role", "bureau_id", "role", "emergency", "submitted_at"),
)

approval_waiting_people = Table(
    "approval_waiting_people", metadata,
    Column("request_id", Uuid, ForeignKey("approval_waiting.request_id"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True),
    Column("acts", Boolean, nullable=False),       # may act by name now
    Column("excluded", Boolean, nullable=False),   # may not act although of the role
    Column("submitter", Boolean, nullable=False),  # submitted it
    Index("ix_approval_waiting_people_user", "user_id"),
)

# --- derived objects of originals (issue 4 item 7): write-once, one per original and kind ---------

media_derived = Table(
    "media_derived", metadata,
    Column("id", Uuid, primary_key=True),
    Column("media_id", Uuid, ForeignKey("media.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("tool", String(500), nullable=False),
    _ts("created_at"),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("media_id", "kind"),
)

# --- disclosure (Art. 37, docs/decisions/0025): append-only, like the access tables ---------------

disclosure_requests = Table(
    "disclosure_requests", metadata,
    Column("id", Uuid, primary_key=True),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("requester_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("requester_name", String(100), nullable=False),
    Column("requester_unit_id", Uuid, nullable=False),
    Column("recipient_name", String(100), nullable=False),
    Column("recipient_org", String(200), nullable=False),
    Column("purpose", String(500), nullable=False),
    Column("publish", Boolean, nullable=False),
    Column("secret_confirmed", Boolean, nullable=False),
    _ts("created_at"),
    Index("ix_disclosure_requests_bureau_created", "bureau_id", "created_at"),
)

disclosure_request_media = Table(
    "disclosure_request_media", metadata,
    Column("request_id", Uuid, ForeignKey("disclosure_requests.id"), primary_key=True),
    Column("media_id", Uuid, ForeignKey("media.id"), primary_key=True),
    Index("ix_disclosure_request_media_media_id", "media_id"),
)

disclosure_request_attachments = Table(
    "disclosure_request_attachments", metadata,
    Column("request_id", Uuid, ForeignKey("disclosure_requests.id"), primary_key=True),
    Column("attachment_id", Uuid, ForeignKey("record_attachments.id"), primary_key=True),
    Index("ix_disclosure_request_attachments_attachment_id", "attachment_id"),
)

disclosure_decisions = Table(
    "disclosure_decisions", metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", Uuid, ForeignKey("disclosure_requests.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    Column("reason", String(500), nullable=False),
    # Each status at most once per request: two leaders deciding at once cannot both win.
    Index("uq_disclosure_decisions_request_status", "request_id", "status", unique=True),
)

disclosure_exports = Table(
    "disclosure_exports", metadata,
    Column("id", Uuid, primary_key=True),
    Column("request_id", Uuid, ForeignKey("disclosure_requests.id"), nullable=False),
    Column("bureau_id", Uuid, ForeignKey("bureaus.id"), nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor_name", String(100), nullable=False),
    _ts("at"),
    Column("manifest_sha256", String(64), nullable=False),
    Index("ix_disclosure_exports_request_id", "request_id"),
    Index("ix_disclosure_exports_bureau_at", "bureau_id", "at"),
)

disclosure_copies = Table(
    "disclosure_copies", metadata,
    Column("export_id", Uuid, ForeignKey("disclosure_exports.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),  # media | attachment (the id is the one of that table)
    Column("item_id", Uuid, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("original_sha256", String(64), nullable=False),
    Column("copy_sha256", String(64), nullable=False),
    Column("copy_size", BigInteger, nullable=False),
    Column("method", String(16), nullable=False),
    CheckConstraint("method IN ('video', 'image', 'sidecar')", name="method_kind"),
    CheckConstraint("kind IN ('media', 'attachment')", name="item_kind"),
    Index("ix_disclosure_copies_copy_sha256", "copy_sha256"),
)
