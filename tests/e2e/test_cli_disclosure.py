"""End to end: ``lawtrail disclosure export`` through the entry point
(``Site.run``, in this process) on a copy of the demo data folder: refused
(exit 1, one line citing Art. 37, nothing but the refusal recorded) before the approval; after
it, marked copies, a zip and a manifest whose digest is the one recorded."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from lawtrail.services import disclosure, users, vault

from .test_browser_media import DEVICE, make_mp4
from .test_cli import Site, make_site


@pytest.fixture(scope="module")
def demo(demo_folder: Callable[[str], Path]) -> Site:
    """A copy of the worker's demo data folder (tests/e2e/conftest.py), in demo mode."""
    return make_site(demo_folder("disclosure-demo"), LAWTRAIL_DEMO="true")


def test_export_refused_then_approved_and_written(demo: Site, tmp_path: Path) -> None:
    with demo.container() as c:
        path = make_mp4(tmp_path, "disclose", c.clock.now().astimezone(UTC).replace(microsecond=0))
        stored = vault.ingest_file(c.uow(), c.system_ctx("采集站"), c.blobs, c.probe, path=path, device_number=DEVICE,
                                   handed_in_at=c.clock.now() - timedelta(hours=1))
        with c.uow() as uow:
            officer, leader = uow.users.by_username("officer"), uow.users.by_username("leader")
            assert officer is not None and leader is not None
            media = [uow.media.by_sha256(stored.sha256 or "")]
        assert media[0] is not None
        octx = c.ctx(users.actor_for(officer))
        asked = disclosure.request_disclosure(c.uow(), octx, recipient_name="张法官", recipient_org="蓬江区人民法院",
                                              purpose="行政诉讼举证", media_ids=[media[0].id])
    rid = str(asked.request.id)
    before = demo.event_count()
    proc = demo.run("disclosure", "export", rid, "--out", str(tmp_path / "no"), code=1)
    assert "[disclosure.not_approved, 第三十七条]" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists() and demo.event_count() == before + 1  # the refusal, registered
    with demo.container() as c:
        lctx = c.ctx(users.actor_for(leader))
        disclosure.approve(c.uow(), lctx, asked.request.id, reason="同意")
    out = tmp_path / "out"
    done = demo.json("disclosure", "export", rid, "--out", str(out))
    manifest = (out / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == done["manifest_sha256"]
    [item] = done["items"]
    assert item["original_sha256"] == media[0].sha256 != item["copy_sha256"]
    with zipfile.ZipFile(done["zip"]) as zf:
        assert hashlib.sha256(zf.read(item["name"])).hexdigest() == item["copy_sha256"]
        assert json.loads(zf.read("manifest.json"))["mark"] == done["mark"]
    assert "[disclosure.out_not_empty]" in demo.fail("disclosure", "export", rid, "--out", str(out))
