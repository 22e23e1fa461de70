"""Composition root: Settings → engine, unit of work, password hasher, TOTP, clock, blob store, probe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from lawtrail.adapters.catalogue_file import CatalogueFiles, check_packaged
from lawtrail.adapters.clock import SystemClock
from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.media_probe import MediaFileProbe
from lawtrail.adapters.retention_file import load_retention
from lawtrail.adapters.security import Argon2Hasher, PyOtpChecker
from lawtrail.adapters.storage import LocalBlobStore
from lawtrail.adapters.storage.uploads import LocalUploadStaging
from lawtrail.adapters.transcode import FfmpegTranscoder
from lawtrail.config import Settings
from lawtrail.domain.access import Actor, system_actor
from lawtrail.domain.auth import ThrottlePolicy
from lawtrail.domain.rules import RuleSettings
from lawtrail.errors import ConfigurationError
from lawtrail.services.activities import continuity_policy
from lawtrail.services.context import Ctx, Deps, Policy
from lawtrail.services.ports import (
    BlobStore,
    CatalogueSource,
    MediaProbe,
    Timestamper,
    TimestampVerifier,
    Transcoder,
    UnitOfWork,
    UploadStaging,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class Container:
    """Everything the entry points need, built once per process."""

    settings: Settings
    engine: Engine
    deps: Deps
    clock: Clock
    timestamper: Timestamper | None = None  # RFC 3161 TSA for checkpoints; None = off
    # None = built from the settings in __post_init__ (callers may pass their own, e.g. tests)
    blobs: BlobStore = None  # type: ignore[assignment]  # filled in __post_init__, never None after
    probe: MediaProbe = field(default_factory=MediaFileProbe)
    rules: RuleSettings = None  # type: ignore[assignment]  # filled in __post_init__, never None after
    uploads: UploadStaging = None  # type: ignore[assignment]  # filled in __post_init__, never None after
    catalogue: CatalogueSource = field(default_factory=CatalogueFiles)  # the record catalogue's YAML
    transcoder: Transcoder = field(default_factory=FfmpegTranscoder)

    def __post_init__(self) -> None:
        # The fields are typed as never None for their users; None here means "build it" (mypy
        # therefore calls these branches unreachable).
        if self.blobs is None:
            self.blobs = blob_store_from(self.settings)  # type: ignore[unreachable]
        if self.rules is None:
            self.rules = rule_settings_from(self.settings)  # type: ignore[unreachable]
        if self.uploads is None:
            self.uploads = upload_staging_from(self.settings)  # type: ignore[unreachable]

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work; ``read_only`` for reads that write nothing (SQLite: no write lock)."""
        return SqlUnitOfWork(self.engine, read_only=read_only)

    def ctx(self, actor: Actor, request_id: str | None = None) -> Ctx:
        return Ctx(actor=actor, now=self.clock.now(), request_id=request_id)

    def system_ctx(self, name: str = "system") -> Ctx:
        return self.ctx(system_actor(name))

    def migrate(self) -> None:
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def policy_from(settings: Settings) -> Policy:
    return Policy(
        cert_number_pattern=settings.cert_number_pattern,
        password_min_length=settings.password_min_length,
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        session_absolute=timedelta(hours=settings.session_absolute_hours),
        throttle=ThrottlePolicy(settings.login_max_failures, timedelta(minutes=settings.login_window_minutes)),
        totp_issuer=settings.totp_issuer,
    )


def rule_settings_from(settings: Settings) -> RuleSettings:
    """Deadlines and retention classes of the compliance rules (retention from YAML, validated)."""
    return RuleSettings(due_soon=timedelta(hours=settings.finding_due_soon_hours),
                        registration_grace=timedelta(hours=settings.registration_grace_hours),
                        retention=load_retention(settings.retention_file),
                        continuity=continuity_policy(settings),
                        complainant_notice=timedelta(days=settings.complainant_notice_days))


def build(settings: Settings, *, clock: Clock | None = None, fast_hashing: bool = False,
          engine_factory: Callable[[str], Engine] | None = None) -> Container:
    """Wire the adapters for ``settings``. The database is not migrated here (see ``migrate``)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    check_packaged()  # a broken packaged record catalogue stops the start, not the first record
    timestamper = timestamper_from(settings)
    engine = (engine_factory or (lambda url: make_engine(
        url, sqlite_synchronous=settings.sqlite_synchronous, pool_size=settings.db_pool_size)))(settings.db_url)
    deps = Deps(policy=policy_from(settings), hasher=Argon2Hasher(fast=fast_hashing), totp=PyOtpChecker())
    return Container(settings=settings, engine=engine, deps=deps, clock=clock or SystemClock(),
                     timestamper=timestamper, blobs=blob_store_from(settings),
                     probe=MediaFileProbe(timeout_s=settings.probe_timeout_seconds))


def disclosure_store_from(settings: Settings) -> BlobStore:
    """The write-once store of marked copies made for disclosure (Art. 37, decision 0025): kept
    apart from the originals so ``vault verify`` never mistakes a copy for an untracked original.
    Local: ``<data_dir>/disclosures``; S3: the same bucket under the ``disclosures/`` prefix."""
    if settings.storage == "local":
        return LocalBlobStore(settings.data_dir / "disclosures")
    from lawtrail.adapters.storage.s3 import S3BlobStore, make_s3_client  # keep boto3 lazy

    client = make_s3_client(settings.s3_endpoint or None, settings.s3_access_key or None,
                            settings.s3_secret_key or None, settings.s3_region or None)
    return S3BlobStore(client, settings.s3_bucket, prefix=f"{settings.s3_prefix}disclosures/",
                       lock_mode=settings.s3_lock_mode, retain_days=settings.s3_retain_days)


def blob_store_from(settings: Settings) -> BlobStore:
    """The store of originals for LAWTRAIL_STORAGE: the local folder, or S3 (boto3 is only
    imported then). Raise ConfigurationError when ``s3`` is chosen without a bucket."""
    if settings.storage == "local":
        store = LocalBlobStore(settings.vault_dir)
        # Partial files of writers killed more than a day ago (a day: never an upload in flight).
        store.sweep_temp(older_than_s=24 * 3600)
        return store
    if not settings.s3_bucket:
        raise ConfigurationError("LAWTRAIL_STORAGE=s3 需要设置 LAWTRAIL_S3_BUCKET",
                                 "LAWTRAIL_STORAGE=s3 needs LAWTRAIL_S3_BUCKET", code="config.invalid")
    from lawtrail.adapters.storage.s3 import S3BlobStore, make_s3_client  # keep boto3 lazy

    client = make_s3_client(settings.s3_endpoint or None, settings.s3_access_key or None,
                            settings.s3_secret_key or None, settings.s3_region or None)
    return S3BlobStore(client, settings.s3_bucket, prefix=settings.s3_prefix, lock_mode=settings.s3_lock_mode,
                       retain_days=settings.s3_retain_days)


def upload_staging_from(settings: Settings) -> UploadStaging:
    """Incomplete HTTP uploads in ``<data_dir>/uploads``; those untouched for
    LAWTRAIL_UPLOAD_STALE_HOURS are removed here, at start-up (like the blob store's temp files)."""
    staging = LocalUploadStaging(settings.data_dir / "uploads")
    staging.sweep(older_than_s=settings.upload_stale_hours * 3600)
    return staging


def timestamp_verifier_from(settings: Settings) -> TimestampVerifier | None:
    """The checker of stored tokens (LAWTRAIL_TSA_CA_FILE), None when no CA bundle is set.

    Raise ConfigurationError when the bundle cannot be read.
    """
    if settings.tsa_ca_file is None:
        return None
    from lawtrail.adapters.tsa import TimestampError, TokenVerifier  # only with a TSA (CLI memory)

    try:
        return TokenVerifier.from_file(settings.tsa_ca_file)
    except TimestampError as exc:
        raise ConfigurationError(f"LAWTRAIL_TSA_CA_FILE 无法使用：{exc}", f"LAWTRAIL_TSA_CA_FILE is unusable: {exc}",
                                 code="config.invalid") from None


def timestamper_from(settings: Settings) -> Timestamper | None:
    """The TSA client for LAWTRAIL_TSA_URL, None when it is empty. Raise ConfigurationError
    when the URL is set without a readable LAWTRAIL_TSA_CA_FILE."""
    if not settings.tsa_url:
        return None
    if settings.tsa_ca_file is None:
        raise ConfigurationError("设置了 LAWTRAIL_TSA_URL 但缺少 LAWTRAIL_TSA_CA_FILE",
                                 "LAWTRAIL_TSA_URL is set but LAWTRAIL_TSA_CA_FILE is not", code="config.invalid")
    from lawtrail.adapters.tsa import HttpTimestamper, TokenVerifier

    verifier = timestamp_verifier_from(settings)
    assert isinstance(verifier, TokenVerifier)
    return HttpTimestamper(settings.tsa_url, verifier.trusted, timeout=settings.tsa_timeout_seconds)
