"""Disclosure (Art. 37) on the real databases (SQLite and PostgreSQL) with the real marker:
requests, decisions, exports and copies round-trip through the SQL repository; every table is
append-only (triggers); a small generated video gets its mark burnt in by ffmpeg (the copy differs,
plays, and its digest is recorded), a photo gets it drawn; bad input and an unapproved export write
nothing but the registered refusal."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.storage import LocalBlobStore
from lawtrail.adapters.watermark import FfmpegMarker
from lawtrail.domain.disclosure import DisclosureDecision, Method, Status
from lawtrail.domain.events import Action
from lawtrail.domain.media import MediaType
from lawtrail.errors import Conflict, PermissionDenied, ValidationFailed
from lawtrail.services import disclosure as svc
from lawtrail.services import findings
from tests.integration.access_support import make_leader
from tests.integration.media_support import Vault, seed_vault
from tests.integration.support import Seed, row_counts
from tests.integration.test_records_db import data, team  # noqa: F401 - the fixture is used by name
from tests.unit.factories import T0

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is installed by scripts/setup")

TABLES = ("disclosure_requests", "disclosure_request_media", "disclosure_decisions", "disclosure_exports",
          "disclosure_copies")


def make_video(path: Path) -> bytes:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=2:size=320x240:rate=15", "-f", "lavfi", "-i", "sine=duration=2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(path)], check=True, timeout=60)
    return path.read_bytes()


def make_photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 60)).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.fixture
def vault(seed: Seed) -> Vault:
    return seed_vault(seed)


def test_request_approve_export_with_real_marks(seed: Seed, vault: Vault, tmp_path: Path) -> None:
    c, leader = seed.container, make_leader(seed, seed.unit)
    video = vault.put(data=make_video(tmp_path / "src.mp4"), name="现场.mp4")
    photo = vault.put(data=make_photo(), kind=MediaType.PHOTO, name="照片.jpg")
    doc = vault.put(data=b"%PDF-1.4 fake but stored", kind=MediaType.UNKNOWN, name="告知书.pdf")
    asked = svc.request_disclosure(c.uow(), vault.ctx(vault.officer_a), recipient_name="张三",
                                   recipient_org="某某区人民法院", purpose="行政诉讼举证",
                                   media_ids=[video.id, photo.id, doc.id])
    svc.approve(c.uow(), vault.ctx(leader), asked.request.id, reason="同意")
    with c.uow() as uow:
        stored = uow.disclosures.get(asked.request.id)
        assert stored is not None and stored.request == asked.request and stored.status is Status.APPROVED
        with pytest.raises(Conflict):
            uow.disclosures.add_decision(DisclosureDecision(uuid.uuid4(), asked.request.id, Status.APPROVED,
                                                            leader.id, "又一次", T0, ""))
    copies = LocalBlobStore(tmp_path / "disclosures", fsync=False)
    fractions: list[float] = []
    result = svc.export(c.uow(), vault.ctx(vault.officer_a), c.blobs, copies, FfmpegMarker(), asked.request.id,
                        on_progress=lambda i, n, f: fractions.append(f))
    by = {x.method: x for x in result.export.copies}
    marked = copies.path_of(by[Method.VIDEO].copy_sha256)
    assert by[Method.VIDEO].copy_sha256 != video.sha256 and by[Method.IMAGE].copy_sha256 != photo.sha256
    assert by[Method.SIDECAR].copy_sha256 == doc.sha256
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type",
                            "-of", "json", str(marked)], capture_output=True, text=True, check=True)
    info = json.loads(probe.stdout)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"} and float(
        info["format"]["duration"]) > 1.5
    assert fractions and fractions[-1] == 1.0
    with c.uow() as uow:
        [export] = uow.disclosures.exports(request_id=asked.request.id)
        assert export == result.export
    events = _events(seed, Action.DISCLOSURE_EXPORT)
    assert len(events) == 1 and events[0]["manifest_sha256"] == result.export.manifest_sha256
    assert {i["copy_sha256"] for i in events[0]["items"]} == {x.copy_sha256 for x in result.export.copies}
    buf = io.BytesIO()
    svc.write_bundle(c.uow(), vault.ctx(leader), copies, result.export.id, buf)
    with zipfile.ZipFile(buf) as zf:
        assert json.loads(zf.read("manifest.json"))["items"][0]["copy_sha256"]
    # The mark is visible: the top-left band of a frame differs from the same frame of the original.
    frames = [_frame(src, tmp_path / f"{i}.png") for i, src in enumerate((tmp_path / "src.mp4", marked))]
    band = (0, 0, 300, 40)
    pairs = zip(frames[0].crop(band).tobytes(), frames[1].crop(band).tobytes(), strict=True)
    diff = sum(abs(a - b) for a, b in pairs)
    assert diff / (300 * 40 * 3) > 20
    assert findings.evaluate(c.uow(), vault.ctx(leader), T0, rule="ART37-DISCLOSURE-APPROVED") == []
    for table in TABLES:
        for statement in (f"UPDATE {table} SET {_col(table)} = {_col(table)}", f"DELETE FROM {table}"):
            with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
    if c.engine.dialect.name == "sqlite":
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="REPLACE refused"):
            conn.execute(text("INSERT OR REPLACE INTO disclosure_exports SELECT * FROM disclosure_exports LIMIT 1"))


def _frame(video: Path, out: Path) -> Image.Image:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", "1", "-i", str(video), "-frames:v", "1", str(out)],
                   check=True, timeout=60)
    return Image.open(out).convert("RGB")


def _events(seed: Seed, action: str) -> list[dict[str, object]]:
    with seed.container.engine.connect() as conn:
        return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in conn.execute(
            text("SELECT after FROM events WHERE action = :a ORDER BY seq"), {"a": action})]


def _col(table: str) -> str:
    return {"disclosure_requests": "purpose", "disclosure_request_media": "media_id",
            "disclosure_decisions": "reason", "disclosure_exports": "manifest_sha256",
            "disclosure_copies": "name"}[table]


def test_bad_input_and_an_unapproved_export_write_nothing_else(seed: Seed, vault: Vault, tmp_path: Path) -> None:
    c = seed.container
    clip = vault.put()
    before = row_counts(c.engine)
    for bad in ({"recipient_name": ""}, {"media_ids": []}, {"media_ids": [uuid.uuid4()]}, {"purpose": "x" * 600}):
        values = {"recipient_name": "张三", "recipient_org": "某法院", "purpose": "举证", "media_ids": [clip.id]} | bad
        with pytest.raises(ValidationFailed):
            svc.request_disclosure(c.uow(), vault.ctx(vault.officer_a), **values)  # type: ignore[arg-type]
    assert row_counts(c.engine) == before
    asked = svc.request_disclosure(c.uow(), vault.ctx(vault.officer_a), recipient_name="张三", recipient_org="某法院",
                                   purpose="举证", media_ids=[clip.id])
    before = row_counts(c.engine)
    copies = LocalBlobStore(tmp_path / "disclosures", fsync=False)
    with pytest.raises(PermissionDenied) as err:
        svc.export(c.uow(), vault.ctx(vault.officer_a), c.blobs, copies, FfmpegMarker(), asked.request.id)
    assert err.value.code == "disclosure.not_approved"
    after = row_counts(c.engine)
    changed = {k for k in after if after[k] != before[k]}
    assert changed <= {"events", "ledger_head.size", "ledger_nodes", "ledger_head"} and "events" in changed
    assert _events(seed, Action.DISCLOSURE_EXPORT_REFUSED) == [{"code": "disclosure.not_approved"}]
    assert list(copies.iter_digests()) == []


def test_api_round_trip_and_bad_input_writes_nothing(seed: Seed, vault: Vault) -> None:
    from fastapi.testclient import TestClient

    from lawtrail.services import auth
    from lawtrail.web.app import create_app

    c = seed.container
    leader = make_leader(seed, seed.unit)
    clip = vault.put()
    _, raw = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=vault.officer_a.id, name="t")
    _, lead_raw = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=leader.id, name="t")
    officer, boss = {"Authorization": f"Bearer {raw}"}, {"Authorization": f"Bearer {lead_raw}"}
    good = {"recipient_name": "张三", "recipient_org": "某法院", "purpose": "举证", "media_ids": [str(clip.id)]}
    before = row_counts(c.engine)
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        for body, who in [({**good, "recipient_name": ""}, officer), ({**good, "media_ids": []}, officer),
                          ({**good, "media_ids": ["nope"]}, officer), ({**good, "extra": 1}, officer),
                          ({**good, "purpose": "x" * 501}, officer)]:
            r = client.post("/api/v1/disclosures", json=body, headers=who)
            assert r.status_code == 422, (body, r.text)
        assert client.post("/api/v1/disclosures", json=good, headers=boss).status_code == 403  # leaders approve
        assert client.post(f"/api/v1/disclosures/{uuid.uuid4()}/approve", json={}, headers=boss).status_code == 404
        assert row_counts(c.engine) == before
        made = client.post("/api/v1/disclosures", json=good, headers=officer)
        assert made.status_code == 201 and made.json()["status"] == "requested"
        rid = made.json()["id"]
        own = client.post(f"/api/v1/disclosures/{rid}/approve", json={}, headers=officer)
        assert (own.status_code, own.json()["code"]) == (403, "permission_denied")
        ok = client.post(f"/api/v1/disclosures/{rid}/approve", json={"reason": "同意"}, headers=boss)
        assert ok.status_code == 200 and ok.json()["status"] == "approved"
        again = client.post(f"/api/v1/disclosures/{rid}/refuse", json={"reason": "x"}, headers=boss)
        assert (again.status_code, again.json()["code"]) == (409, "disclosure.bad_transition")
        listed = client.get("/api/v1/disclosures", headers=boss).json()
        assert [x["id"] for x in listed] == [rid]


def test_a_record_attachment_is_disclosed_with_its_mark(seed: Seed, vault: Vault, tmp_path: Path,
                                                         team: tuple[Any, Any, Any]) -> None:  # noqa: F811 - the fixture
    from lawtrail.services import records as rec_svc

    c, (zhang, wang, case) = seed.container, team
    leader = make_leader(seed, seed.unit)
    rec = rec_svc.create_record(c.uow(), seed.ctx(zhang), c.catalogue, case.id, kind_id="inquiry_record",
                                data=data(zhang, wang))
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (250, 250, 240)).save(buf, format="PNG")
    signed = rec_svc.sign_record(c.uow(), seed.ctx(zhang), c.blobs, rec.record_id, rec_svc.SignatureInput(
        capacity="party", signer_name="张三", method="handwriting"),
        scan=rec_svc.Upload("签名.png", "image/png", io.BytesIO(buf.getvalue())))
    assert signed.scan_id is not None
    asked = svc.request_disclosure(c.uow(), seed.ctx(zhang), recipient_name="李律师", recipient_org="某律师事务所",
                                   purpose="复议代理", media_ids=[], attachment_ids=[signed.scan_id])
    svc.approve(c.uow(), vault.ctx(leader), asked.request.id)
    copies = LocalBlobStore(tmp_path / "disclosures", fsync=False)
    result = svc.export(c.uow(), seed.ctx(zhang), c.blobs, copies, FfmpegMarker(), asked.request.id)
    [copy] = result.export.copies
    assert (copy.kind.value, copy.item_id, copy.method) == ("attachment", signed.scan_id, Method.IMAGE)
    with Image.open(copies.path_of(copy.copy_sha256)) as marked:
        assert marked.size == (400, 300) and marked.getpixel((20, 20)) != (250, 250, 240)  # the mark's box
    with c.uow() as uow:
        stored = uow.disclosures.get(asked.request.id)
        assert stored is not None and stored.request.attachment_ids == (signed.scan_id,)
        assert uow.disclosures.exports(request_id=asked.request.id) == [result.export]
    for statement in ("UPDATE disclosure_request_attachments SET attachment_id = attachment_id",
                      "DELETE FROM disclosure_request_attachments"):
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
