"""The media API and pages over HTTP (in-process ASGI, real SQLite, real files): the list, a
correction, downloads with Range edge cases, the player's ticketed content, Art. 37 refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from lawtrail.domain.events import Action
from lawtrail.domain.vault import MediaRecord
from lawtrail.services import auth
from lawtrail.web.app import create_app
from tests.integration.access_support import approved_grant, make_leader
from tests.integration.media_support import Vault, seed_vault
from tests.integration.support import Seed, only_sqlite
from tests.unit.factories import PASSWORD, T0

pytestmark = only_sqlite  # HTTP behaviour is the same on both engines; the matrix runs both

DATA = bytes(range(256)) * 40  # 10240 bytes
SIZE = len(DATA)


@dataclass
class Api:
    client: TestClient
    vault: Vault
    media: MediaRecord
    archivist: dict[str, str]
    officer_a: dict[str, str]

    def actions(self) -> list[str]:
        with self.vault.seed.container.uow() as uow:
            return [e.action for e in uow.events.list(subject_type="media", subject_id=str(self.media.id))]


def _token(vault: Vault, user_id: object) -> dict[str, str]:
    c = vault.seed.container
    _, raw = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=user_id, name="t")  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def api(seed: Seed) -> Iterator[Api]:
    vault = seed_vault(seed)
    media = vault.put(device=vault.device_b, data=DATA, name="现场检查 2026.mp4", officer=vault.officer_b)
    with TestClient(create_app(seed.container, checkpoint_interval=None)) as client:
        yield Api(client, vault, media, _token(vault, vault.archivist.id), _token(vault, vault.officer_a.id))


def content(api: Api, range_header: str | None = None, **headers: str) -> object:
    if range_header is not None:
        headers["Range"] = range_header
    return api.client.get(f"/api/v1/media/{api.media.id}/content", headers={**api.archivist, **headers})


@pytest.mark.parametrize(("header", "status", "start", "end"), [
    (None, 200, 0, SIZE),
    ("bytes=0-0", 206, 0, 1),  # the first byte
    (f"bytes={SIZE - 1}-{SIZE - 1}", 206, SIZE - 1, SIZE),  # the last byte
    ("bytes=-100", 206, SIZE - 100, SIZE),  # suffix
    (f"bytes=-{SIZE * 2}", 206, 0, SIZE),  # a suffix longer than the file: all of it
    ("bytes=10000-", 206, 10000, SIZE),  # open-ended
    ("bytes=100-199", 206, 100, 200),
    (f"bytes=100-{SIZE * 5}", 206, 100, SIZE),  # end past the size: clipped
    ("bytes=0-1,5-6", 200, 0, SIZE),  # several ranges: the whole body
    ("bytes=5-2", 200, 0, SIZE),  # malformed: ignored
    ("items=0-1", 200, 0, SIZE),
])
def test_download_ranges(api: Api, header: str | None, status: int, start: int, end: int) -> None:
    r = content(api, header)
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.content == DATA[start:end]  # type: ignore[attr-defined]
    h = r.headers  # type: ignore[attr-defined]
    assert (h["accept-ranges"], h["etag"], h["content-type"], h["content-length"]) == (
        "bytes", f'"{api.media.sha256}"', "video/mp4", str(end - start))
    assert h["content-disposition"].startswith("attachment;")
    assert unquote(h["content-disposition"].split("filename*=UTF-8''")[1]) == "现场检查 2026.mp4"
    if status == 206:
        assert h["content-range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert api.actions() == [Action.MEDIA_DOWNLOAD]  # one request, one recorded download


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_ranges_are_416(api: Api, header: str) -> None:
    r = content(api, header)
    assert r.status_code == 416  # type: ignore[attr-defined]
    assert r.headers["content-range"] == f"bytes */{SIZE}"  # type: ignore[attr-defined]


def test_if_range_with_another_validator_gives_the_whole_body(api: Api) -> None:
    r = content(api, "bytes=0-9", **{"If-Range": '"0000"'})
    assert (r.status_code, len(r.content)) == (200, SIZE)  # type: ignore[attr-defined]
    r = content(api, "bytes=0-9", **{"If-Range": f'"{api.media.sha256}"'})
    assert (r.status_code, r.content) == (206, DATA[:10])  # type: ignore[attr-defined]


def test_a_refused_download_is_recorded(api: Api) -> None:
    r = api.client.get(f"/api/v1/media/{api.media.id}/content", headers=api.officer_a)
    assert r.status_code == 403 and r.json()["code"] == "access.no_grant"  # another unit, no grant (Art. 45)
    assert api.actions() == [Action.MEDIA_READ_REFUSED]


@pytest.mark.parametrize(("method", "path"), [("DELETE", ""), ("PUT", "/content")])
def test_alterations_are_refused_under_article_37(api: Api, method: str, path: str) -> None:
    r = api.client.request(method, f"/api/v1/media/{api.media.id}{path}", headers=api.archivist,
                           content=b"new bytes" if method == "PUT" else None)
    assert r.status_code == 422
    body = r.json()
    assert (body["code"], body["article"]) == ("media.original_immutable", "第三十七条")
    assert api.actions() == [Action.MEDIA_ALTER_REFUSED]
    assert content(api).content == DATA  # type: ignore[attr-defined]


def test_list_detail_correction_and_history(api: Api) -> None:
    c = api.client
    listed = c.get("/api/v1/media", params={"incomplete": "true", "device_number": "b001"}, headers=api.archivist)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == str(api.media.id) and item["missing"] == ["category", "party", "case_name"]
    assert c.get("/api/v1/media", params={"category": "fine"}, headers=api.archivist).status_code == 422
    body = {"unit_name": "执法稽查二科", "category": "inspection", "device_number": "ZFJLY-B001",
            "officer_id": str(api.vault.officer_b.id), "used_from": T0.isoformat(),
            "used_to": (T0 + timedelta(seconds=2)).isoformat(), "party": "某公司", "case_name": "某案",
            "reason": "补登", "base_version": 1}
    made = c.post(f"/api/v1/media/{api.media.id}/registrations", json=body, headers=api.archivist)
    assert made.status_code == 201, made.text
    assert (made.json()["version"], made.json()["missing"]) == (2, [])
    again = c.post(f"/api/v1/media/{api.media.id}/registrations", json=body, headers=api.archivist)
    assert (again.status_code, again.json()["code"]) == (409, "media.registration_stale")
    no_reason = c.post(f"/api/v1/media/{api.media.id}/registrations", json={**body, "reason": "", "base_version": 2},
                       headers=api.archivist)
    assert no_reason.status_code == 422 and no_reason.json()["problems"][0]["field"] == "reason"
    history = c.get(f"/api/v1/media/{api.media.id}/registrations", headers=api.archivist).json()
    assert [h["version"] for h in history] == [1, 2]
    detail = c.get(f"/api/v1/media/{api.media.id}", headers=api.archivist).json()
    assert detail["registration"]["version"] == 2 and detail["missing"] == []
    assert api.actions() == [Action.MEDIA_REGISTRATION]


def login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def test_the_page_records_one_view_and_its_ticket_serves_ranges(api: Api) -> None:
    c = api.client
    login(c, "wulh")
    page = c.get(f"/media/{api.media.id}")
    assert page.status_code == 200
    src = re.search(r'<video[^>]+src="([^"]+)"', page.text)
    assert src, page.text[:2000]
    url = src.group(1).replace("&amp;", "&")
    for header in ("bytes=0-", "bytes=0-1023", "bytes=-512", "bytes=4096-8191"):
        r = c.get(url, headers={"Range": header})
        assert r.status_code == 206 and r.headers["content-disposition"].startswith("inline;")
    assert c.get(url.split("?")[0] + "?ticket=forged", headers={"Range": "bytes=0-1"}).status_code == 403
    assert api.actions() == [Action.MEDIA_READ_REFUSED, Action.MEDIA_VIEW]  # newest first
    listing = c.get("/media", params={"incomplete": "1"})
    assert listing.status_code == 200 and "现场检查 2026.mp4" in listing.text


def test_another_person_cannot_use_the_ticket(api: Api, seed: Seed) -> None:
    first = TestClient(create_app(seed.container, checkpoint_interval=None))
    login(first, "wulh")
    src = re.search(r'<video[^>]+src="([^"]+)"', first.get(f"/media/{api.media.id}").text)
    assert src
    leader = make_leader(seed, seed.unit)
    approved_grant(seed, api.vault.officer_b, leader, media_ids=[api.media.id])
    login(api.client, "lixt")  # an officer with a grant to read it, but not the ticket's holder
    r = api.client.get(src.group(1).replace("&amp;", "&"), headers={"Range": "bytes=0-1"})
    assert r.status_code == 403 and "播放凭证" in r.text
