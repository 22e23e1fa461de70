"""The ledger export folder and its offline verifier.

A folder holds ``events.jsonl`` (one event per line, in leaf order, each line the canonical
JSON whose SHA-256(0x00 || line) is the leaf hash), ``checkpoints.jsonl`` (one
``{"size", "root", "note"}`` per line, sizes increasing) and ``ledger.vkey`` (the C2SP
verifier key), plus ``checkpoints/<size>.note`` and ``.tsr`` for timestamped checkpoints.
``verify_export`` and ``verify_export_tokens`` need neither the database nor the web stack:
``python -m lawtrail.adapters.ledger_export FOLDER [VKEY]``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from lawtrail.adapters.signer import note_checker
from lawtrail.adapters.tsa import TOKEN_DIR, TimestampError, TokenVerifier
from lawtrail.domain.ledger.audit import AuditInput, AuditResult, LeafRow, StoredCheckpoint, audit
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.merkle import leaf_hash

EVENTS = "events.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
VKEY = "ledger.vkey"


class FolderExport:
    """Writes an export folder; use as a context manager. Refuses a non-empty folder."""

    def __init__(self, folder: Path, vkey: str) -> None:
        self.folder = folder
        self.vkey = vkey
        self._events: IO[bytes] | None = None
        self.count = 0

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        if any(self.folder.iterdir()):
            raise FileExistsError(f"{self.folder} is not empty")
        (self.folder / VKEY).write_text(self.vkey + "\n", encoding="utf-8")
        self._events = (self.folder / EVENTS).open("wb")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._events is not None:
            self._events.close()

    def write_event(self, leaf: dict[str, Any]) -> None:
        assert self._events is not None, "use FolderExport as a context manager"
        self._events.write(canonical_json(leaf) + b"\n")
        self.count += 1

    def write_checkpoints(self, checkpoints: list[StoredCheckpoint]) -> None:
        with (self.folder / CHECKPOINTS).open("w", encoding="utf-8") as fh:
            for cp in checkpoints:
                fh.write(json.dumps({"size": cp.size, "root": cp.root.hex(), "note": cp.note},
                                    ensure_ascii=False) + "\n")


def _rows(path: Path) -> Iterator[LeafRow]:
    with path.open("rb") as fh:
        for index, line in enumerate(fh):
            raw = line.rstrip(b"\n")
            try:
                leaf = json.loads(raw)
                if not isinstance(leaf, dict):
                    raise ValueError("not an object")
                yield LeafRow(leaf, leaf_hash(raw), None)
            except ValueError:
                yield LeafRow({"seq": index, "unreadable": True}, b"\0" * 32, None)


def _checkpoints(path: Path) -> list[StoredCheckpoint]:
    out = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            out.append(StoredCheckpoint(int(data["size"]), bytes.fromhex(data["root"]), str(data["note"])))
    return out


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def verify_export(folder: Path, vkey: str | None = None) -> AuditResult:
    """Check an export folder against ``vkey`` (default: the folder's own ``ledger.vkey``,
    which an outsider should compare with the key the bureau published).

    Raise FileNotFoundError when the folder lacks its files, ValueError for a bad vkey or an
    unreadable checkpoint list.
    """
    key = vkey if vkey is not None else (folder / VKEY).read_text(encoding="utf-8").strip()
    events = folder / EVENTS
    given = AuditInput(checkpoints=_checkpoints(folder / CHECKPOINTS), head_size=_count_lines(events),
                       check_note=note_checker(key))
    return audit(_rows(events), given)


@dataclass(frozen=True)
class TokenCheck:
    """One checkpoint's RFC 3161 token in an export: ``verified`` (with the TSA's time),
    ``none`` (not stamped, and the log says none was granted), or a problem: ``invalid``
    (does not verify for the checkpoint's note, or is not the token the log announced) or
    ``missing`` (the log announces a granted token, the folder has none)."""

    size: int
    status: str
    time: datetime | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("verified", "none")

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "status": self.status,
                "time": self.time.isoformat() if self.time else None, "detail": self.detail}


def _announced_tokens(path: Path) -> dict[int, str | None]:
    """size → the token SHA-256 a ``ledger:checkpoint:create`` event announced as granted
    (None when it announced no token)."""
    out: dict[int, str | None] = {}
    with path.open("rb") as fh:
        for line in fh:
            if b'"ledger:checkpoint:create"' not in line:
                continue
            leaf = json.loads(line)
            after = leaf.get("after") or {}
            if leaf.get("action") == "ledger:checkpoint:create" and isinstance(after.get("size"), int):
                granted = after.get("timestamp") == "granted"
                out[after["size"]] = str(after.get("token_sha256")) if granted else None
    return out


def verify_export_tokens(folder: Path, verifier: TokenVerifier) -> list[TokenCheck]:
    """Check every checkpoint's token in ``checkpoints/<size>.tsr`` against that checkpoint's
    note (from ``checkpoints.jsonl``), the trusted TSA certificates and the log's own
    announcement of the token's SHA-256. Offline: no database, no network."""
    announced = _announced_tokens(folder / EVENTS)
    checks = []
    for cp in _checkpoints(folder / CHECKPOINTS):
        token_file = folder / TOKEN_DIR / f"{cp.size}.tsr"
        want = announced.get(cp.size)
        if not token_file.exists():
            checks.append(TokenCheck(cp.size, "missing", detail="the log announces a granted token")
                          if want else TokenCheck(cp.size, "none"))
            continue
        token = token_file.read_bytes()
        try:
            when = verifier.verify(token, cp.note.encode("utf-8"))
        except TimestampError as exc:
            checks.append(TokenCheck(cp.size, "invalid", detail=str(exc)))
            continue
        if want != hashlib.sha256(token).hexdigest():
            checks.append(TokenCheck(cp.size, "invalid", when, "not the token the log announced"))
        else:
            checks.append(TokenCheck(cp.size, "verified", when))
    return checks


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        sys.stderr.write("usage: python -m lawtrail.adapters.ledger_export FOLDER [VKEY]\n")
        return 2
    result = verify_export(Path(args[0]), args[1] if len(args) == 2 else None)
    sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
