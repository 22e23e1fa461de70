"""The vault's pages over HTTP (TestClient, a browser session with CSRF) for issue 4 items 4, 7
and 9: who may fetch thumbnails and previews and have them made (each role), the HEVC clip
played through its preview, the list filtered by finding with badges and thumbnails, and saving
a case's suggestion linking the clip to the case. Decision 0019."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawtrail.adapters.transcode import FfmpegTranscoder
from lawtrail.domain.derived import DerivedKind, DerivedObject
from lawtrail.domain.parties import PartyInput
from lawtrail.services import cases, users, vault
from lawtrail.services.case_input import CaseDetails
from lawtrail.web.app import create_app
from tests.integration.media_fixtures import make_av
from tests.integration.media_support import Vault, seed_vault
from tests.integration.support import Seed, only_sqlite, row_counts
from tests.unit.factories import PASSWORD, T0

pytestmark = only_sqlite


@pytest.fixture(scope="module")
def av(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_av(tmp_path_factory.mktemp("pages-media"))


@pytest.fixture
def v(seed: Seed) -> Vault:
    vv = seed_vault(seed)
    c, system = seed.container, seed.container.system_ctx("init")
    users.create_user(c.uow(), system, c.deps, unit_id=seed.unit.id, username="chen2", display_name="第二执法员",
                      roles=["officer"], password=PASSWORD, cert_number="87654321",
                      cert_valid_from=T0.date().replace(day=1), cert_valid_to=T0.date().replace(year=T0.year + 2))
    users.create_user(c.uow(), system, c.deps, unit_id=seed.unit.id, username="leader", display_name="领导",
                      roles=["leader"], password=PASSWORD)
    return vv


def login(c: Seed, username: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    client = TestClient(create_app(c.container, checkpoint_interval=None))
    client.__enter__()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    done = client.post("/login", data={"username": username, "password": password, "csrf": token.group(1)})
    assert done.status_code in (200, 303), done.text[:300]
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert csrf
    return client, csrf.group(1)


@pytest.fixture
def archivist(v: Vault) -> Iterator[tuple[TestClient, str]]:
    client, csrf = login(v.seed, "wulh")
    yield client, csrf
    client.__exit__(None, None, None)


def ingest(v: Vault, path: Path) -> str:
    c = v.seed.container
    result = vault.ingest_file(c.uow(), v.ctx(v.archivist), c.blobs, c.probe, path=path,
                               device_number=v.device_a.number)
    assert result.media_id is not None
    return str(result.media_id)


def test_an_hevc_clip_is_played_through_its_preview_made_on_demand(v: Vault, av: dict[str, Path],
                                                                   archivist: tuple[TestClient, str]) -> None:
    client, csrf = archivist
    media_id = ingest(v, av["hevc.mkv"])
    page = client.get(f"/media/{media_id}").text
    assert "播放副本尚未生成" in page and f'action="/media/{media_id}/derived"' in page
    v.seed.container.transcoder = FfmpegTranscoder(timeout_s=120)
    made = client.post(f"/media/{media_id}/derived", data={"csrf": csrf}, follow_redirects=False)
    assert made.status_code == 303 and "ok=" in made.headers["location"]
    page = client.get(f"/media/{media_id}").text
    src = re.search(r'src="(/media/[0-9a-f-]+/preview\?ticket=[^"]+)"', page)
    assert src and "正在播放<strong>播放副本</strong>" in page and "hevc" in page
    body = client.get(src.group(1).replace("&amp;", "&"), headers={"Range": "bytes=0-99"})
    assert body.status_code == 206 and body.headers["content-type"] == "video/mp4" and len(body.content) == 100
    thumb = client.get(f"/media/{media_id}/thumbnail")
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    assert client.get(f"/media/{media_id}/preview?ticket=forged").status_code == 403
    assert f'src="/media/{media_id}/thumbnail"' in client.get("/media").text


#: (user, making derived objects, fetching the thumbnail). A thumbnail shows the footage, so it
#: follows the Art. 45 read rule: the archivist reads in the course of storage work; a leader or an
#: officer of the unit needs a grant (or to handle an open case the clip is linked to).
@pytest.mark.parametrize(("username", "status", "thumb"), [
    ("wulh", 303, 200), ("leader", 303, 403), ("chen", 303, 403), ("lixt", 403, 403), ("admin", 403, 403)])
def test_who_may_have_derived_objects_made_and_see_thumbnails(v: Vault, av: dict[str, Path], username: str,
                                                              status: int, thumb: int) -> None:
    c = v.seed.container
    with c.uow() as uow:  # an H.264/AAC MP4 plays as it is: it wants a thumbnail only
        media = uow.media.get(uuid.UUID(ingest(v, av["h264_aac.mp4"])))
    assert media is not None
    blob = c.blobs.put_stream([b"\xff\xd8\xff thumbnail"])
    with c.uow() as uow:  # a thumbnail to fetch (a test clip's facts want no preview)
        uow.derived.add(DerivedObject(id=uuid.uuid4(), media_id=media.id, kind=DerivedKind.THUMBNAIL,
                                      sha256=blob.sha256, size=blob.size, content_type="image/jpeg", tool="test",
                                      created_at=T0, created_by="系统"))
        uow.commit()
    client, csrf = login(v.seed, username)
    try:
        before = row_counts(c.engine)["media_derived"]
        response = client.post(f"/media/{media.id}/derived", data={"csrf": csrf}, follow_redirects=False)
        assert response.status_code == status
        assert row_counts(c.engine)["media_derived"] == before  # a plain clip needs nothing more; a refusal writes none
        assert client.get(f"/media/{media.id}/thumbnail").status_code == thumb
    finally:
        client.__exit__(None, None, None)


def test_the_list_filtered_by_art42_shows_only_unregistered_media_with_badges(
        v: Vault, archivist: tuple[TestClient, str]) -> None:
    client, _ = archivist
    bare = v.put(device=v.device_a, name="未登记.mp4")
    done = v.put(device=v.device_a, name="已登记.mp4", officer=v.officer_a, category="penalty", party="某公司",
                 case_name="某案")
    page = client.get("/media").text
    assert "ART42-REGISTRATION-COMPLETE" in page and str(done.id) in page
    only = client.get("/media", params={"rule": "ART42-REGISTRATION-COMPLETE"}).text
    assert str(bare.id) in only and str(done.id) not in only
    bad = client.get("/media", params={"rule": "NO-SUCH", "fstatus": "later"})
    assert bad.status_code == 422 and "未知的规则" in bad.text


def test_saving_a_cases_suggestion_links_the_clip_to_the_case(v: Vault, archivist: tuple[TestClient, str]) -> None:
    client, csrf = archivist
    c = v.seed.container
    with c.uow() as uow:
        second = uow.users.by_username("chen2")
    assert second is not None
    case = cases.open_case(c.uow(), v.ctx(v.officer_a), unit_id=v.seed.unit.id, details=CaseDetails(
        action_type="penalty", procedure="general", origin="inspection", name="某超市无照经营案",  # type: ignore[arg-type]
        cause="无照经营"), parties=[PartyInput(kind="citizen", name="李四", id_number="11010519491231002X")],
        handler_ids=[v.officer_a.id, second.id])
    media = v.put(device=v.device_a, officer=v.officer_a, at=c.clock.now())
    page = client.get(f"/media/{media.id}").text
    assert "承办案件" in page and 'name="case_id"' in page and "某超市无照经营案" in page
    form = {"csrf": csrf, "base_version": "1", "unit_name": "执法稽查一科", "category": "penalty",
            "device_number": v.device_a.number, "officer_id": str(v.officer_a.id), "party": "李四",
            "case_name": "某超市无照经营案", "reason": "采用案件建议", "case_id": str(case.id)}
    saved = client.post(f"/media/{media.id}/registration", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert media.id in [m.id for m in cases.get_case(c.uow(), c.system_ctx(), case.id).media]
