"""Resumable uploads (tus 1.0) over real HTTP: the app under uvicorn on loopback, httpx and raw
sockets as clients, the real SQLite database, blob store and probe (decision 0011)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from lawtrail.adapters.storage import LocalBlobStore
from lawtrail.adapters.storage.uploads import LocalUploadStaging
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.domain.uploads import encode_metadata
from lawtrail.services import auth, devices, users
from tests.integration.live import Live, serve
from tests.integration.media_fixtures import make_av
from tests.integration.support import row_counts, seed_bureau
from tests.unit.factories import PASSWORD

DEVICE = "JM-UP-001"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
LIMIT = 8 * 1024 * 1024


@dataclass
class Station:
    data_dir: Path
    container: Container
    live: Live
    officer: str
    reviewer: str
    officer_id: str

    @property
    def url(self) -> str:
        return self.live.url

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token or self.officer}", **TUS},
                            timeout=30)


def make_container(data_dir: Path) -> Container:
    settings = load_settings(data_dir=data_dir, demo=True, database_url="", upload_max_bytes=LIMIT)
    return build(settings, fast_hashing=True)


def open_station(data_dir: Path) -> Station:
    c = make_container(data_dir)
    c.migrate()
    seed = seed_bureau(c)
    sys = c.system_ctx("test")
    devices.create_device(c.uow(), sys, number=DEVICE, type="body_camera", unit_id=seed.unit.id)
    officer = users.create_user(c.uow(), sys, c.deps, unit_id=seed.unit.id, username="officer1",
                                display_name="李执法", roles=["officer"], password=PASSWORD,
                                cert_number="12345678", cert_valid_from=date(2025, 1, 1),
                                cert_valid_to=date(2029, 1, 1))
    reviewer = users.create_user(c.uow(), sys, c.deps, unit_id=seed.unit.id, username="reviewer1",
                                 display_name="王审核", roles=["legal_reviewer"], password=PASSWORD)
    _, officer_token = auth.create_token(c.uow(), sys, owner_id=officer.id, name="采集站")
    _, reviewer_token = auth.create_token(c.uow(), sys, owner_id=reviewer.id, name="审核")
    return Station(data_dir, c, serve(c), officer_token, reviewer_token, str(officer.id))


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    s = open_station(tmp_path / "data")
    yield s
    s.live.stop()
    s.container.close()


def payload(size: int, seed: int = 1) -> bytes:
    return hashlib.shake_256(f"lawtrail-{seed}".encode()).digest(size)


def create(client: httpx.Client, size: int, name: str = "clip.mp4", **meta: str) -> httpx.Response:
    values = {"filename": name, "device": DEVICE, **meta}
    return client.post("/api/v1/uploads", headers={"Upload-Length": str(size),
                                                   "Upload-Metadata": encode_metadata(values)})


def location(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    assert response.headers["Tus-Resumable"] == "1.0.0"
    return response.headers["Location"]


def patch(client: httpx.Client, url: str, offset: int, data: bytes) -> httpx.Response:
    return client.patch(url, content=data, headers={"Upload-Offset": str(offset), "Content-Type": OCTETS})


def head_offset(client: httpx.Client, url: str) -> int:
    response = client.head(url)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    return int(response.headers["Upload-Offset"])


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Tus-Resumable"] == "1.0.0"
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"]
    return body


def stored(station: Station, data: bytes) -> bool:
    blobs = station.container.blobs
    assert isinstance(blobs, LocalBlobStore)
    digest = hashlib.sha256(data).hexdigest()
    return blobs.exists(digest) and blobs.path_of(digest).read_bytes() == data


# --- tests -----------------------------------------------------------------------------------------


def test_full_upload_in_two_patches_is_stored_recorded_and_reported(station: Station) -> None:
    data = payload(3 * 1024 * 1024 + 17)
    digest = hashlib.sha256(data).hexdigest()
    with station.client() as client:
        options = client.options("/api/v1/uploads")
        assert options.status_code == 204 and options.headers["Tus-Version"] == "1.0.0"
        assert options.headers["Tus-Extension"] == "creation,termination"
        assert options.headers["Tus-Max-Size"] == str(LIMIT)
        url = location(create(client, len(data), sha256=digest, officer=station.officer_id))
        assert head_offset(client, url) == 0
        first = patch(client, url, 0, data[:1_000_000])
        assert first.status_code == 204 and first.headers["Upload-Offset"] == "1000000"
        assert "Lawtrail-Status" not in first.headers
        last = patch(client, url, 1_000_000, data[1_000_000:])
        assert last.status_code == 204, last.text
        assert (last.headers["Upload-Offset"], last.headers["Lawtrail-Status"], last.headers["Lawtrail-Sha256"]) == (
            str(len(data)), "stored", digest)
        media_id = last.headers["Lawtrail-Media-Id"]
        state = client.get(url).json()
        assert (state["complete"], state["result"]["media_id"], state["result"]["status"]) == (True, media_id, "stored")
        head = client.head(url)
        assert (head.headers["Upload-Offset"], head.headers["Lawtrail-Media-Id"]) == (str(len(data)), media_id)
        again = patch(client, url, len(data), b"")  # a repeated last PATCH answers the outcome
        assert (again.status_code, again.headers["Lawtrail-Media-Id"]) == (204, media_id)
    assert stored(station, data)
    with station.container.uow() as uow:
        media = uow.media.by_sha256(digest)
        assert media is not None and str(media.id) == media_id and media.original_name == "clip.mp4"
        assert str(media.officer_id) == station.officer_id
        [event] = uow.events.list(subject_type="media")
        assert event.action == "media:original:ingest"
    assert not (station.data_dir / "uploads" / url.rsplit("/", 1)[1] / "data.part").exists()


def test_the_same_bytes_again_answer_with_the_existing_record(station: Station) -> None:
    data = payload(5000, seed=2)
    with station.client() as client:
        first = patch(client, location(create(client, len(data))), 0, data)
        counts = row_counts(station.container.engine)
        url = location(create(client, len(data), name="copy.mp4"))
        second = patch(client, url, 0, data)
    assert (second.headers["Lawtrail-Status"], second.headers["Lawtrail-Media-Id"]) == (
        "duplicate", first.headers["Lawtrail-Media-Id"])
    assert row_counts(station.container.engine) == counts


def _cut_patch(url: str, path: str, token: str, offset: int, total: int, sent: bytes) -> None:
    """A PATCH announcing ``total`` bytes whose connection is closed after ``sent``."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        head = (f"PATCH {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
                f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: {OCTETS}\r\n"
                f"Content-Length: {total}\r\n\r\n")
        sock.sendall(head.encode() + sent)
        time.sleep(0.2)


def _wait_offset(client: httpx.Client, url: str, want: int) -> int:
    deadline = time.monotonic() + 10
    while (got := head_offset(client, url)) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def test_a_cut_connection_keeps_what_arrived_and_resumes_from_head(station: Station) -> None:
    data = payload(6 * 1024 * 1024, seed=3)
    cut = 4 * 1024 * 1024 + 12345
    with station.client() as client:
        url = location(create(client, len(data), sha256=hashlib.sha256(data).hexdigest()))
        _cut_patch(station.url, url, station.officer, 0, len(data), data[:cut])
        offset = _wait_offset(client, url, cut)
        assert offset == cut
        # The cut request's handler may still hold the part file's lock for a moment after its last
        # bytes are on disk (until it notices the disconnect): the server answers 409 upload.busy
        # then, and a client retries, as uploads.js and `ingest --remote` do.
        deadline = time.monotonic() + 10
        while (done := patch(client, url, offset, data[offset:])).status_code == 409 and time.monotonic() < deadline:
            assert done.json()["code"] == "upload.busy", done.text
            time.sleep(0.05)
    assert done.status_code == 204 and done.headers["Lawtrail-Status"] == "stored"
    assert stored(station, data)


def test_a_server_restart_between_patches_rebuilds_the_hash(station: Station) -> None:
    data = payload(5 * 1024 * 1024, seed=4)
    with station.client() as client:
        url = location(create(client, len(data), sha256=hashlib.sha256(data).hexdigest()))
        assert patch(client, url, 0, data[:2_500_000]).status_code == 204
    station.live.stop()
    station.container.close()
    station.container = make_container(station.data_dir)  # a new process: an empty hash cache
    station.live = serve(station.container)
    staging = station.container.uploads
    assert isinstance(staging, LocalUploadStaging) and staging.rebuilt == 0
    with station.client() as client:
        assert head_offset(client, url) == 2_500_000
        done = patch(client, url, 2_500_000, data[2_500_000:])
    assert done.headers["Lawtrail-Status"] == "stored", done.text
    assert done.headers["Lawtrail-Sha256"] == hashlib.sha256(data).hexdigest()
    assert staging.rebuilt == 1 and stored(station, data)


def test_wrong_offset_beyond_length_and_bad_headers_are_refused(station: Station) -> None:
    data = payload(1000, seed=5)
    with station.client() as client:
        url = location(create(client, len(data)))
        problem(patch(client, url, 10, data[10:]), 409, "upload.offset_mismatch")
        problem(patch(client, url, 0, data + b"x"), 413, "upload.beyond_length")
        bad_type = client.patch(url, content=data, headers={"Upload-Offset": "0", "Content-Type": "text/plain"})
        problem(bad_type, 415, "upload.bad_content_type")
        no_version = httpx.patch(station.url + url, content=data, headers={
            "Authorization": f"Bearer {station.officer}", "Upload-Offset": "0", "Content-Type": OCTETS})
        problem(no_version, 412, "upload.tus_version")
        problem(create(client, 10, device="NO-SUCH"), 404, "device.not_found")
        assert head_offset(client, url) == 0


def test_digest_mismatch_stores_nothing_and_writes_no_row(station: Station) -> None:
    data = payload(2 * 1024 * 1024, seed=6)
    counts = row_counts(station.container.engine)
    with station.client() as client:
        url = location(create(client, len(data), sha256=hashlib.sha256(b"other").hexdigest()))
        body = problem(patch(client, url, 0, data), 422, "upload.digest_mismatch")
        assert "摘要不符" in body["message_zh"]
        assert client.head(url).status_code == 404
    assert row_counts(station.container.engine) == counts
    assert not stored(station, data) and list(station.container.blobs.iter_digests()) == []
    assert os.listdir(station.data_dir / "uploads") == []


def test_zero_bytes_and_oversized_uploads_are_refused_before_any_byte(station: Station) -> None:
    with station.client() as client:
        body = problem(create(client, 0), 422, "upload.empty")
        assert "0 字节" in body["message_zh"] and "empty" in body["message_en"]
        problem(create(client, LIMIT + 1), 413, "upload.too_large")
        problem(client.post("/api/v1/uploads", headers={"Upload-Metadata": encode_metadata({"device": DEVICE})}),
                400, "upload.bad_request")
        missing = client.post("/api/v1/uploads", headers={"Upload-Length": "5",
                                                          "Upload-Metadata": encode_metadata({"device": DEVICE})})
        problem(missing, 422, "upload.bad_metadata")
    assert os.listdir(station.data_dir / "uploads") == []


def test_termination_deletes_the_partial_upload(station: Station) -> None:
    data = payload(4000, seed=7)
    with station.client() as client:
        url = location(create(client, len(data)))
        patch(client, url, 0, data[:1000])
        deleted = client.delete(url)
        assert deleted.status_code == 204 and deleted.headers["Tus-Resumable"] == "1.0.0"
        assert client.head(url).status_code == 404
        problem(patch(client, url, 1000, data[1000:]), 404, "upload.not_found")
    assert os.listdir(station.data_dir / "uploads") == []


def test_a_role_without_media_ingest_is_refused(station: Station) -> None:
    with station.client(station.reviewer) as client:
        problem(create(client, 10), 403, "permission_denied")
        problem(client.options("/api/v1/uploads"), 403, "permission_denied")
    with station.client() as client:
        url = location(create(client, 10))
    with station.client(station.reviewer) as client:
        problem(patch(client, url, 0, b"0123456789"), 403, "permission_denied")
    with httpx.Client(base_url=station.url, headers=TUS) as anonymous:
        problem(create(anonymous, 10), 401, "auth.no_session")


# --- the CLI pushing to this server ----------------------------------------------------------------

LAWTRAIL = [sys.executable, "-m", "lawtrail.cli.main"]


class CuttingProxy:
    """A loopback TCP proxy that closes its first connection after forwarding ``cut`` bytes
    upstream (a broken network in the middle of an upload); later connections pass whole."""

    def __init__(self, target: str, cut: int) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.cut = cut
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            limit = self.cut if self.cuts == 0 else None
            threading.Thread(target=self._pipe, args=(client, upstream, limit), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, None), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: limit - sent])
                    self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()


def push(station: Station, url: str, *args: str, code: int = 0,
         token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWTRAIL_")}
    env["LAWTRAIL_REMOTE_TOKEN"] = token or station.officer
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    proc = subprocess.run([*LAWTRAIL, "ingest", *args, "--remote", url], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    return proc


def test_cli_pushes_a_folder_resumes_after_a_cut_and_reports_like_the_local_ingest(
        station: Station, tmp_path: Path) -> None:
    folder = tmp_path / "footage"
    folder.mkdir()
    av = make_av(folder)
    big = folder / "zz-big.bin"
    big.write_bytes(payload(6 * 1024 * 1024, seed=9))
    (folder / "empty.mp4").write_bytes(b"")
    proxy = CuttingProxy(station.url, cut=3 * 1024 * 1024)  # the first connection breaks mid-file
    try:
        proc = push(station, proxy.url, str(folder), "--device", DEVICE, "--json", code=1)
    finally:
        proxy.close()
    assert proxy.cuts == 1
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    by_name = {Path(r["path"]).name: r for r in lines}
    assert len(lines) == len(av) + 2
    assert by_name["empty.mp4"]["status"] == "refused" and "0 字节" in by_name["empty.mp4"]["reason"]
    for name, path in [*av.items(), ("zz-big.bin", big)]:
        row = by_name[name]
        assert (row["status"], row["sha256"]) == ("stored", hashlib.sha256(path.read_bytes()).hexdigest()), row
        assert {"path", "sha256", "status", "media_type", "duration_s", "captured_at", "media_id"} <= set(row)
    assert by_name["h264_aac.mp4"]["media_type"] == "video"
    assert stored(station, big.read_bytes())
    assert "vault.refused" in proc.stderr

    again = push(station, station.url, str(folder / "pcm.wav"), "--device", DEVICE)
    assert "已存在 / already in the vault" in again.stdout


def test_cli_push_with_an_unknown_device_or_no_permission_sends_nothing(station: Station, tmp_path: Path) -> None:
    clip = tmp_path / "a.bin"
    clip.write_bytes(payload(1000, seed=10))
    counts = row_counts(station.container.engine)
    bad = push(station, station.url, str(clip), "--device", "NO-SUCH-9", code=1)
    assert "device.not_found" in bad.stderr and bad.stdout == ""
    refused = push(station, station.url, str(clip), "--device", DEVICE, code=1, token=station.reviewer)
    assert "permission_denied" in refused.stderr
    assert row_counts(station.container.engine) == counts
    assert os.listdir(station.data_dir / "uploads") == []
