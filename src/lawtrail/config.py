"""Settings: one typed, frozen object built once at start-up from ``LAWTRAIL_*`` variables.

Every field is documented in docs/settings.md (a test fails when one is not). Nothing reads
the environment at import time; call ``load_settings()`` in the composition root.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from lawtrail.errors import ConfigurationError

INSECURE_DEMO_SECRET = "lawtrail-insecure-demo-secret-do-not-use-in-production"
SECRET_FILE = "secret.key"


class Settings(BaseSettings):
    """All settings of a lawtrail deployment (env prefix ``LAWTRAIL_``)."""

    model_config = SettingsConfigDict(env_prefix="LAWTRAIL_", frozen=True, extra="forbid")

    data_dir: Path = Field(Path("data"), description="数据目录 / data folder: database, media, keys")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite in the data folder")
    demo: bool = Field(False, description="演示模式 / demo mode: load demo data, allow the demo secret")
    secret_key: str = Field("", description="服务器密钥 / server secret; empty = <data_dir>/secret.key")
    host: str = Field("127.0.0.1", description="serve: listen address")
    port: int = Field(8000, ge=1, le=65535, description="serve: listen port")
    workers: int = Field(1, ge=1, le=64, description="serve: worker processes")
    cookie_secure: bool = Field(False, description="send cookies only over HTTPS (set behind TLS)")
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60, description="idle session timeout")
    session_absolute_hours: int = Field(12, ge=1, le=24 * 30, description="absolute session lifetime")
    login_max_failures: int = Field(5, ge=1, le=100, description="failed logins before a lock")
    login_window_minutes: int = Field(15, ge=1, le=24 * 60, description="window and lock duration")
    password_min_length: int = Field(10, ge=8, le=128, description="minimum password length")
    cert_number_pattern: str = Field(r"(粤)?\d{8,14}", description="regex for certificate numbers")
    max_request_bytes: int = Field(1_048_576, ge=1024, description="largest JSON/form body accepted")
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = Field("FULL", description="SQLite fsync")
    db_pool_size: int = Field(5, ge=1, le=100, description="PostgreSQL connection pool size")
    totp_issuer: str = Field("lawtrail", description="issuer shown in authenticator apps")
    ledger_origin: str = Field("lawtrail.local/ledger", min_length=1, max_length=200,
                               pattern=r"^[^\s+]+$", description="账本标识 / ledger origin and key name")
    checkpoint_every: int = Field(1000, ge=1, description="checkpoint after this many events")
    checkpoint_minutes: int = Field(10, ge=0, le=7 * 24 * 60,
                                    description="checkpoint new events at least this often; 0 = off")
    tsa_url: str = Field("", pattern=r"^(https?://\S+)?$",
                         description="RFC 3161 时间戳服务 / TSA URL for checkpoint timestamps; empty = off")
    tsa_ca_file: Path | None = Field(None, description="PEM bundle the TSA's tokens must chain to")
    tsa_timeout_seconds: float = Field(10.0, gt=0, le=120, description="TSA request timeout")
    storage: Literal["local", "s3"] = Field("local", description="原始文件存储 / blob store backend")
    storage_dir: Path | None = Field(None, description="local store folder; empty = <data_dir>/vault")
    s3_endpoint: str = Field("", description="S3-compatible endpoint URL; empty = AWS default")
    s3_bucket: str = Field("", description="S3 bucket for originals (required with storage=s3)")
    s3_prefix: str = Field("", description="key prefix inside the bucket")
    s3_access_key: str = Field("", description="S3 access key; empty = default credential chain")
    s3_secret_key: str = Field("", description="S3 secret key; empty = default credential chain")
    s3_region: str = Field("", description="S3 region; empty = us-east-1")
    s3_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field("COMPLIANCE", description="Object Lock mode")
    s3_retain_days: int = Field(183, ge=1, le=365 * 100, description="Object Lock retention in days")
    vault_verify_hours: int = Field(24, ge=0, le=24 * 366,
                                    description="定期核验 / re-hash every original this often (hours); 0 = off")
    findings_keep_minutes: int = Field(10, ge=0, le=24 * 60,
                                       description="合规问题预计算 / evaluate and store what changed this often "
                                                   "(minutes; first run at start-up); 0 = off")
    upload_max_bytes: int = Field(64 * 1024**3, ge=1, description="largest file accepted by an HTTP upload")
    upload_stale_hours: float = Field(24.0, gt=0, le=24 * 365,
                                      description="incomplete uploads untouched this long are removed at start-up")
    probe_timeout_seconds: float = Field(30.0, gt=0, le=3600, description="media probe timeout per file")
    derive_previews: bool = Field(True, description="播放副本与缩略图：serve 在后台为原始文件生成 / make previews "
                                                    "and thumbnails in the background")
    finding_due_soon_hours: float = Field(6.0, gt=0, le=24 * 30,
                                          description="合规问题：截止前多久显示“即将到期” / due-soon window")
    registration_grace_hours: float = Field(24.0, gt=0, le=24 * 30,
                                            description="第四十二条登记：入库后多久须登记完整 / ART42 grace")
    retention_file: Path | None = Field(None, description="保存期限配置 YAML；空 = 内置默认 / retention classes")
    continuity_tolerance_seconds: int = Field(30, ge=0, le=3600,
                                              description="连续性容差 / gaps up to this long are not ART35 gaps")
    interruption_explanation_hours: int = Field(24, ge=1, le=24 * 30,
                                                description="ART36 due this long after departure")
    activity_footage_hours: int = Field(48, ge=1, le=24 * 30,
                                        description="ART32/ART35 due this long after departure")
    complainant_notice_days: int = Field(5, ge=1, le=90,
                                         description="ART10 due this many days after a complaint is not taken up")
    state_secret_content_allowed: bool = Field(
        False, description="国家秘密内容 / store content of state-secret items (approved deployments only)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="log level")

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lawtrail.db').resolve()}"

    @property
    def vault_dir(self) -> Path:
        """The local blob store's folder (LAWTRAIL_STORAGE_DIR, else ``<data_dir>/vault``)."""
        return self.storage_dir if self.storage_dir is not None else self.data_dir / "vault"


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment plus ``overrides`` and resolve the secret.

    Raise ConfigurationError for invalid values, or for a missing or default secret outside
    demo mode.
    """
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings = Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigurationError(f"配置项 LAWTRAIL_{where.upper()} 无效：{first['msg']}",
                                 f"invalid setting LAWTRAIL_{where.upper()}: {first['msg']}",
                                 code="config.invalid") from None
    secret = settings.secret_key or _read_secret(settings.data_dir)
    if not secret and settings.demo:
        secret = INSECURE_DEMO_SECRET
    if not settings.demo and (not secret or secret == INSECURE_DEMO_SECRET or len(secret) < 32):
        raise ConfigurationError(
            "缺少服务器密钥或使用了默认密钥：请运行 `lawtrail init` 或设置 LAWTRAIL_SECRET_KEY（至少32个字符）",
            "missing or default secret: run `lawtrail init` or set LAWTRAIL_SECRET_KEY (32+ characters)",
            code="config.insecure_secret",
        )
    return settings.model_copy(update={"secret_key": secret})


def _read_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    return path.read_text().strip() if path.is_file() else ""


def write_secret(data_dir: Path) -> Path:
    """Create ``<data_dir>/secret.key`` (mode 0600) unless it exists; return its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
    return path
