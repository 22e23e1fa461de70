"""RFC 3161 timestamps of checkpoints against a real TSA: ``openssl ts -reply`` behind a tiny
HTTP server on loopback, with a CA and a TSA certificate made by ``openssl`` in tmp_path.

The misbehaving TSA modes have the same real TSA sign an answer to a different query (another
nonce, another imprint), so the rejection is of a genuinely signed but mismatched token.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from rfc3161_client import _rust as rfc3161_rust
from sqlalchemy import text

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import load_signer
from lawtrail.adapters.tsa import HttpTimestamper, TimestampError, TokenVerifier, load_ca_bundle
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.domain.ledger.audit import CHECKPOINT_ACTION, StoredCheckpoint
from lawtrail.services import ledger
from lawtrail.services.timestamps import verify_timestamps
from tests.integration.test_ledger_db import make_event

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
pytestmark = pytest.mark.skipif(not Path(OPENSSL).exists(), reason="needs the openssl command")

TSA_CNF = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256

[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args: str | Path, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, capture_output=True, check=check, timeout=30)


def make_ca(folder: Path, name: str) -> None:
    """A self-signed root ``ca.pem``/``ca.key`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "30", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_tsa(folder: Path) -> Path:
    """CA, TSA key and certificate (critical timeStamping EKU) and openssl.cnf; return the cnf."""
    make_ca(folder, "lawtrail test TSA root")
    cnf = folder / "openssl.cnf"
    cnf.write_text(TSA_CNF.format(dir=folder), encoding="utf-8")
    (folder / "tsaserial").write_text("01\n", encoding="utf-8")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", folder / "tsa.key", "-out", folder / "tsa.csr", "-subj", "/CN=lawtrail test TSA")
    openssl("x509", "-req", "-in", folder / "tsa.csr", "-CA", folder / "ca.pem", "-CAkey", folder / "ca.key",
            "-CAcreateserial", "-out", folder / "tsa.pem", "-days", "30", "-extfile", cnf, "-extensions", "tsa_ext")
    return cnf


# --- a minimal DER encoder, to have the real TSA sign a query we altered -----------------

def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


SHA256_ALG = _der(0x30, bytes.fromhex("0609608648016503040201") + b"\x05\x00")


def time_stamp_req(digest: bytes, nonce: int) -> bytes:
    """TimeStampReq v1 over a SHA-256 ``digest`` with ``nonce`` and certReq (RFC 3161 §2.4.1)."""
    imprint = _der(0x30, SHA256_ALG + _der(0x04, digest))
    return _der(0x30, _int(1) + imprint + _int(nonce) + b"\x01\x01\xff")


@dataclass
class Tsa:
    """A real TSA (``openssl ts -reply``) on loopback; ``mode`` makes it misbehave."""

    folder: Path
    cnf: Path
    url: str = ""
    mode: str = "honest"  # honest | other_nonce | other_imprint | refuse | garbage
    queries: list[bytes] = field(default_factory=list)

    @property
    def ca(self) -> Path:
        return self.folder / "ca.pem"

    def reply(self, query: bytes) -> bytes:
        self.queries.append(query)
        if self.mode == "garbage":
            return b"not a timestamp response"
        if self.mode in ("other_nonce", "other_imprint"):
            parsed = rfc3161_rust.parse_timestamp_request(query)
            digest, nonce = parsed.message_imprint.message, parsed.nonce
            assert nonce is not None
            if self.mode == "other_nonce":
                nonce += 1
            else:
                digest = hashlib.sha256(b"some other note").digest()
            query = time_stamp_req(digest, nonce)
        work = self.folder / f"q{secrets.token_hex(4)}"
        work.with_suffix(".tsq").write_bytes(query)
        openssl("ts", "-reply", "-config", self.cnf, "-queryfile", work.with_suffix(".tsq"),
                "-out", work.with_suffix(".tsr"))
        return work.with_suffix(".tsr").read_bytes()


@pytest.fixture(scope="module")
def tsa_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tsa")
    return folder, make_tsa(folder)


@pytest.fixture
def tsa(tsa_files: tuple[Path, Path]) -> Iterator[Tsa]:
    service = Tsa(*tsa_files)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Type") != "application/timestamp-query" or service.mode == "refuse":
                self.send_error(400 if service.mode != "refuse" else 503)
                return
            answer = service.reply(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()
    thread.join(5)


def free_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsr"


def make_container(tmp_path: Path, url: str, ca: Path) -> Container:
    settings = load_settings(data_dir=tmp_path / "data", demo=True, tsa_url=url, tsa_ca_file=ca,
                             tsa_timeout_seconds=5)
    container = build(settings, fast_hashing=True)
    container.migrate()
    with SqlUnitOfWork(container.engine) as uow:
        uow.events.append_many([make_event(i) for i in range(5)])
        uow.commit()
    return container


def checkpoint(container: Container) -> StoredCheckpoint:
    signer = load_signer(container.settings.data_dir, container.settings.ledger_origin)
    return ledger.create_checkpoint(SqlUnitOfWork(container.engine), container.system_ctx(), signer,
                                    container.settings.ledger_origin, timestamper=container.timestamper)


def announcement(container: Container, size: int) -> dict[str, Any]:
    with SqlUnitOfWork(container.engine) as uow:
        events = uow.events.list(subject_type="ledger", subject_id=str(size))
    found = [e for e in events if e.action == CHECKPOINT_ACTION]
    assert len(found) == 1 and found[0].after is not None
    return found[0].after


@pytest.fixture
def container(tmp_path: Path, tsa: Tsa) -> Iterator[Container]:
    made = make_container(tmp_path, tsa.url, tsa.ca)
    yield made
    made.close()


def test_checkpoint_gets_a_token_that_openssl_and_we_verify(container: Container, tsa: Tsa, tmp_path: Path) -> None:
    cp = checkpoint(container)
    assert cp.timestamp_token is not None and len(tsa.queries) == 1
    with SqlUnitOfWork(container.engine) as uow:
        stored = uow.checkpoints.get(cp.size)
    assert stored is not None and stored.timestamp_token == cp.timestamp_token
    after = announcement(container, cp.size)
    assert after["timestamp"] == "granted"
    assert after["token_sha256"] == hashlib.sha256(cp.timestamp_token).hexdigest()

    note, token = tmp_path / "note", tmp_path / "token.tsr"
    note.write_bytes(cp.note.encode("utf-8"))
    token.write_bytes(cp.timestamp_token)
    ok = openssl("ts", "-verify", "-data", note, "-in", token, "-CAfile", tsa.ca, check=False)
    assert ok.returncode == 0, ok.stderr
    assert b"Verification: OK" in ok.stdout

    verifier = TokenVerifier.from_file(tsa.ca)
    at = verifier.verify(cp.timestamp_token, cp.note.encode("utf-8"))
    assert at.tzinfo is not None
    report = verify_timestamps(SqlUnitOfWork(container.engine), container.system_ctx(), verifier)
    assert report.ok and [(c.size, c.status) for c in report.checks] == [(5, "verified")]


def test_a_tampered_note_fails_verification(container: Container, tsa: Tsa, tmp_path: Path) -> None:
    cp = checkpoint(container)
    assert cp.timestamp_token is not None
    tampered = cp.note.replace("\n5\n", "\n6\n").encode("utf-8")
    assert tampered != cp.note.encode("utf-8")
    note, token = tmp_path / "note", tmp_path / "token.tsr"
    note.write_bytes(tampered)
    token.write_bytes(cp.timestamp_token)
    assert openssl("ts", "-verify", "-data", note, "-in", token, "-CAfile", tsa.ca, check=False).returncode != 0
    with pytest.raises(TimestampError, match="Mismatch between messages"):
        TokenVerifier.from_file(tsa.ca).verify(cp.timestamp_token, tampered)


def test_a_replaced_or_removed_token_is_reported(container: Container, tsa: Tsa) -> None:
    first = checkpoint(container)
    with SqlUnitOfWork(container.engine) as uow:
        uow.events.append(make_event(first.size + 1))
        uow.commit()
    second = checkpoint(container)
    assert first.timestamp_token and second.timestamp_token
    verifier = TokenVerifier.from_file(tsa.ca)
    # The ledger refuses UPDATE on its own tables; drop the guard the way an intruder would.
    with container.engine.begin() as conn:
        triggers = [r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'checkpoints'"))]
        for name in triggers:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        conn.execute(text("UPDATE checkpoints SET timestamp_token = :t WHERE size = :s"),
                     {"t": second.timestamp_token, "s": first.size})
        conn.execute(text("UPDATE checkpoints SET timestamp_token = NULL WHERE size = :s"), {"s": second.size})
    report = verify_timestamps(SqlUnitOfWork(container.engine), container.system_ctx(), verifier)
    assert not report.ok
    assert [(c.size, c.status) for c in report.checks] == [(first.size, "invalid"), (second.size, "missing")]


def test_a_wrong_ca_fails(container: Container, tsa: Tsa, tmp_path: Path) -> None:
    cp = checkpoint(container)
    assert cp.timestamp_token is not None
    make_ca(tmp_path / "other", "someone else's root")
    other = tmp_path / "other" / "ca.pem"
    note, token = tmp_path / "note", tmp_path / "token.tsr"
    note.write_bytes(cp.note.encode("utf-8"))
    token.write_bytes(cp.timestamp_token)
    assert openssl("ts", "-verify", "-data", note, "-in", token, "-CAfile", other, check=False).returncode != 0
    with pytest.raises(TimestampError, match="does not verify"):
        TokenVerifier.from_file(other).verify(cp.timestamp_token, cp.note.encode("utf-8"))
    report = verify_timestamps(SqlUnitOfWork(container.engine), container.system_ctx(), TokenVerifier.from_file(other))
    assert [c.status for c in report.checks] == ["invalid"]


def test_a_client_trusting_another_ca_stores_no_token(tmp_path: Path, tsa: Tsa) -> None:
    make_ca(tmp_path / "other", "someone else's root")
    container = make_container(tmp_path, tsa.url, tmp_path / "other" / "ca.pem")
    try:
        cp = checkpoint(container)
    finally:
        container.close()
    assert cp.timestamp_token is None and len(tsa.queries) == 1
    after = announcement(container, cp.size)
    assert after["timestamp"] == "failed" and "does not verify" in after["reason"]


def test_tsa_down_still_makes_the_checkpoint_and_records_why(tmp_path: Path, tsa_files: tuple[Path, Path]) -> None:
    container = make_container(tmp_path, free_port_url(), tsa_files[0] / "ca.pem")
    try:
        cp = checkpoint(container)
        after = announcement(container, cp.size)
        with SqlUnitOfWork(container.engine) as uow:
            stored = uow.checkpoints.get(cp.size)
        verifier = TokenVerifier.from_file(tsa_files[0] / "ca.pem")
        report = verify_timestamps(SqlUnitOfWork(container.engine), container.system_ctx(), verifier)
    finally:
        container.close()
    assert cp.size == 5 and stored is not None and stored.timestamp_token is None
    assert after["timestamp"] == "failed" and "unreachable" in after["reason"]
    assert {"size", "root"} <= after.keys()
    assert report.ok and report.checks[0].status == "failed"


@pytest.mark.parametrize(("mode", "reason"), [
    ("other_nonce", "Nonce mismatch"),
    ("other_imprint", "Mismatch between messages"),
    ("garbage", "not a timestamp response"),
    ("refuse", "answered HTTP 503"),
])
def test_a_bad_answer_is_rejected(container: Container, tsa: Tsa, mode: str, reason: str) -> None:
    tsa.mode = mode
    cp = checkpoint(container)
    assert cp.timestamp_token is None
    after = announcement(container, cp.size)
    assert after["timestamp"] == "failed" and reason in after["reason"], after


@pytest.mark.parametrize("mode", ["other_nonce", "other_imprint"])
def test_the_client_rejects_a_signed_but_mismatched_reply(tsa: Tsa, mode: str) -> None:
    tsa.mode = mode
    client = HttpTimestamper(tsa.url, load_ca_bundle(tsa.ca), timeout=5)
    with pytest.raises(TimestampError, match="does not verify"):
        client.timestamp(b"a note")
    tsa.mode = "honest"
    assert client.verify(client.timestamp(b"a note"), b"a note").tzinfo is not None


def test_cli_checkpoint_timestamps_and_export(container: Container, tsa: Tsa, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lawtrail.cli.main import app

    container.close()
    monkeypatch.setenv("LAWTRAIL_DEMO", "true")
    monkeypatch.setenv("LAWTRAIL_TSA_URL", tsa.url)
    monkeypatch.setenv("LAWTRAIL_TSA_CA_FILE", str(tsa.ca))
    data = ["--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    made = runner.invoke(app, [*data, "ledger", "checkpoint", "--json"])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(app, [*data, "ledger", "timestamps", "--json"])
    assert checked.exit_code == 0, checked.output
    assert [c["status"] for c in json.loads(checked.stdout)["checkpoints"]] == ["verified"]
    out = tmp_path / "export"
    exported = runner.invoke(app, [*data, "ledger", "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    ok = openssl("ts", "-verify", "-data", out / "checkpoints" / "5.note", "-in", out / "checkpoints" / "5.tsr",
                 "-CAfile", tsa.ca, check=False)
    assert ok.returncode == 0, ok.stderr
    verified = runner.invoke(app, ["ledger", "verify-export", str(out)])
    assert verified.exit_code == 0, verified.output
    offline = runner.invoke(app, ["ledger", "verify-export", str(out), "--tsa-ca", str(tsa.ca), "--json"])
    assert offline.exit_code == 0, offline.output
    assert [t["status"] for t in json.loads(offline.stdout)["timestamps"]] == ["verified"]
    token = out / "checkpoints" / "5.tsr"
    token.write_bytes(token.read_bytes()[:-1] + bytes([token.read_bytes()[-1] ^ 1]))  # one bit flipped
    tampered = runner.invoke(app, ["ledger", "verify-export", str(out), "--tsa-ca", str(tsa.ca), "--json"])
    assert tampered.exit_code == 1
    assert [t["status"] for t in json.loads(tampered.stdout)["timestamps"]] == ["invalid"]
    token.unlink()
    gone = runner.invoke(app, ["ledger", "verify-export", str(out), "--tsa-ca", str(tsa.ca)])
    assert gone.exit_code == 1 and "timestamp_missing" in gone.output


def test_a_log_that_grew_while_stamping_gets_no_stale_token(container: Container, tsa: Tsa) -> None:
    honest = container.timestamper
    assert honest is not None

    class Racing:
        """Another writer appends while the token is being fetched."""

        def timestamp(self, data: bytes) -> bytes:
            with SqlUnitOfWork(container.engine) as uow:
                uow.events.append(make_event(99))
                uow.commit()
            assert honest is not None
            return honest.timestamp(data)

        def verify(self, token: bytes, data: bytes) -> Any:
            assert honest is not None
            return honest.verify(token, data)

    container.timestamper = Racing()
    cp = checkpoint(container)
    assert cp.size == 6 and cp.timestamp_token is None
    assert announcement(container, 6)["reason"] == "the log grew while the timestamp was fetched"


def test_a_tsa_url_needs_a_ca_bundle(tmp_path: Path) -> None:
    from lawtrail.errors import ConfigurationError

    settings = load_settings(data_dir=tmp_path, demo=True, tsa_url="http://127.0.0.1:9/tsr")
    with pytest.raises(ConfigurationError, match="LAWTRAIL_TSA_CA_FILE"):
        build(settings)
    with pytest.raises(ConfigurationError, match="LAWTRAIL_TSA_CA_FILE"):
        build(settings.model_copy(update={"tsa_ca_file": tmp_path / "nope.pem"}))
