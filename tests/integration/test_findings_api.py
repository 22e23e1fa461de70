"""The compliance API over HTTP (TestClient), on SQLite and PostgreSQL: findings in DESIGN.md's
form with their filters, hand-ins recorded and completed, evidence marks that raise and clear
ART43-EVIDENCE-NOTE; every bad input answered with problem+json (zh/en, code, article where a
rule is broken) and nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.events import format_time
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.services import auth, devices, org, users
from lawtrail.web.app import create_app
from tests.integration.support import Seed, row_counts
from tests.unit.factories import PASSWORD, T0
from tests.unit.test_rules_vault import media as make_media

H = timedelta(hours=1)
DESIGN_KEYS = {"rule", "article", "severity", "subject", "message_zh", "message_en", "due_at", "status"}


@dataclass
class Api:
    seed: Seed
    client: TestClient
    archivist: dict[str, str]
    other_officer: dict[str, str]
    device_number: str
    device_id: uuid.UUID

    def media(self, *, handed_in_at: Any = None) -> MediaRecord:
        """An original of the device with a registration lacking party, case name, category."""
        m = make_media(device_id=self.device_id, unit_id=self.seed.unit.id, bureau_id=self.seed.bureau.id,
                       handed_in_at=handed_in_at or T0 - 2 * H, stored_at=T0 - H, captured_at=T0 - 5 * H,
                       created_at=T0 - H)
        with SqlUnitOfWork(self.seed.container.engine) as uow:
            uow.media.add(m)
            uow.media.add_registration(Registration(
                media_id=m.id, version=1, unit_name="执法稽查一科", category="", device_number=self.device_number,
                officer_id=None, officer_name="张三", used_from=m.captured_at, used_to=None, party="",
                case_name="", actor_id=None, actor_name="x", at=T0 - H))
            uow.commit()
        return m

    def get(self, url: str, who: dict[str, str] | None = None) -> Any:
        return self.client.get(url, headers=who or self.archivist)

    def post(self, url: str, body: Any, who: dict[str, str] | None = None) -> Any:
        return self.client.post(url, json=body, headers=who or self.archivist)


@pytest.fixture
def api(seed: Seed) -> Iterator[Api]:
    c, sys = seed.container, seed.container.system_ctx("test")
    other_unit = org.create_unit(c.uow(), sys, bureau_id=seed.bureau.id, code="JC2", name="执法稽查二科",
                                 kind="business_section")

    def bearer(unit_id: uuid.UUID, username: str, role: str) -> dict[str, str]:
        u = users.create_user(c.uow(), sys, c.deps, unit_id=unit_id, username=username, display_name=username,
                              roles=[role], password=PASSWORD, cert_number="12345678",
                              cert_valid_from=T0.date() - timedelta(days=10),
                              cert_valid_to=T0.date() + timedelta(days=900))
        _, raw = auth.create_token(c.uow(), sys, owner_id=u.id, name="api")
        return {"Authorization": f"Bearer {raw}"}

    archivist = bearer(seed.unit.id, "archivist", "archivist")
    other = bearer(other_unit.id, "officer2", "officer")
    device = devices.create_device(c.uow(), sys, number="ZFJLY-101", type="body_camera", unit_id=seed.unit.id)
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        yield Api(seed, client, archivist, other, device.number, device.id)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"], body
    return body


def unchanged(api: Api, call: Any) -> Any:
    before = row_counts(api.seed.container.engine)
    result = call()
    assert row_counts(api.seed.container.engine) == before, "a refused request wrote something"
    return result


# ---- findings ---------------------------------------------------------------------------------

def test_findings_in_designs_form_with_filters(api: Api) -> None:
    m = api.media()
    [found] = api.get("/api/v1/findings").json()
    assert set(found) >= DESIGN_KEYS
    assert (found["rule"], found["article"], found["severity"], found["status"]) == (
        "ART42-REGISTRATION-COMPLETE", "第四十二条", "warning", "open")
    assert found["subject"] == {"type": "media", "id": str(m.id), "name": f"a.mp4 ({m.sha256[:12]})"}
    assert found["due_at"] == format_time(m.stored_at + 24 * H) and "当事人" in found["message_zh"]
    assert found["due_at"].endswith("Z") and "party" in found["message_en"]
    for query, count in [("rule=ART42-REGISTRATION-COMPLETE", 1), ("rule=ART41-STORED-24H", 0),
                         ("status=open", 1), ("status=overdue", 0), (f"unit={api.seed.unit.id}", 1),
                         (f"unit={uuid.uuid4()}", 0), (f"subject_type=media&subject_id={m.id}", 1),
                         (f"subject_type=handin&subject_id={m.id}", 0)]:
        assert len(api.get(f"/api/v1/findings?{query}").json()) == count, query
    # An officer of another unit sees none of this unit's findings.
    assert api.get("/api/v1/findings", api.other_officer).json() == []


@pytest.mark.parametrize(("query", "code"), [
    ("status=late", "validation_failed"), ("rule=ART99-NOPE", "validation_failed"),
    ("unit=not-a-uuid", "validation_failed"), ("subject_type=media", "validation_failed"),
])
def test_findings_refuse_bad_filters(api: Api, query: str, code: str) -> None:
    problem(api.get(f"/api/v1/findings?{query}"), 422, code)


# ---- hand-ins ---------------------------------------------------------------------------------

def test_handin_recorded_listed_completed(api: Api) -> None:
    made = api.post("/api/v1/handins", {"device_number": api.device_number,
                                        "handed_in_at": "2026-11-26T12:00:00+08:00", "note": "下班交接"})
    assert made.status_code == 201, made.text
    h = made.json()
    assert (h["status"], h["deadline"], h["completion"]) == ("open", "2026-11-27T04:00:00Z", None)
    [f] = api.get("/api/v1/findings?rule=ART41-STORED-24H").json()
    assert f["subject"] == {"type": "handin", "id": h["id"], "name": f["subject"]["name"]}
    m = api.media()  # captured 03:30 UTC, before the hand-in: linked by default
    done = api.post(f"/api/v1/handins/{h['id']}/complete", None)
    assert done.status_code == 200 and done.json()["media_ids"] == [str(m.id)]
    [listed] = api.get("/api/v1/handins").json()
    assert listed["status"] == "completed" and listed["completion"]["media_ids"] == [str(m.id)]
    assert api.get("/api/v1/handins?open=true").json() == []
    assert api.get("/api/v1/findings?rule=ART41-STORED-24H").json() == []
    unchanged(api, lambda: problem(api.post(f"/api/v1/handins/{h['id']}/complete", None), 409,
                                   "handin.completed"))


def test_handin_with_an_exception_is_due_after_the_return(api: Api) -> None:
    h = api.post("/api/v1/handins", {"device_number": api.device_number, "handed_in_at": "2026-11-20T10:00:00Z",
                                     "exception": "on_water", "returned_at": "2026-11-25T20:00:00Z"}).json()
    assert (h["exception"], h["deadline"], h["status"]) == ("on_water", "2026-11-26T20:00:00Z", "open")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"device_number": "ZFJLY-101", "colour": "red"}, 422, "validation_failed"),
    ({}, 422, "validation_failed"),
    ({"device_number": "ZFJLY-101", "handed_in_at": "2026-11-25T18:00:00"}, 422, "validation_failed"),
    ({"device_number": "ZFJLY-101", "handed_in_at": "2030-01-01T00:00:00Z"}, 422, "validation_failed"),
    ({"device_number": "ZFJLY-101", "handed_in_at": "yesterday"}, 422, "validation_failed"),
    ({"device_number": "ZFJLY-101", "exception": "holiday", "returned_at": "2026-11-25T18:00:00Z"}, 422,
     "validation_failed"),
    ({"device_number": "ZFJLY-101", "exception": "on_water"}, 422, "validation_failed"),
    ({"device_number": "ZFJLY-101", "returned_at": "2026-11-25T18:00:00Z"}, 422, "validation_failed"),
    ({"device_number": "ZFJLY-101", "note": "长" * 2001}, 422, "validation_failed"),
    ({"device_number": "NO-SUCH"}, 404, "device.not_found"),
    ({"device_number": "ZFJLY-101", "officer_id": str(uuid.uuid4())}, 404, "user.not_found"),
])
def test_handin_refuses_bad_input_and_writes_nothing(api: Api, body: dict[str, Any], status: int,
                                                     code: str) -> None:
    unchanged(api, lambda: problem(api.post("/api/v1/handins", body), status, code))


def test_complete_refuses_bad_input_and_writes_nothing(api: Api) -> None:
    h = api.post("/api/v1/handins", {"device_number": api.device_number}).json()
    url = f"/api/v1/handins/{h['id']}/complete"
    unchanged(api, lambda: problem(api.post(url, None), 422, "validation_failed"))  # nothing to link yet
    unchanged(api, lambda: problem(api.post(url, {"media_ids": []}), 422, "validation_failed"))
    unchanged(api, lambda: problem(api.post(url, {"media_ids": [str(uuid.uuid4())]}), 422, "validation_failed"))
    unchanged(api, lambda: problem(api.post(url, {"media": []}), 422, "validation_failed"))
    unchanged(api, lambda: problem(api.post(f"/api/v1/handins/{uuid.uuid4()}/complete", None), 404,
                                   "handin.not_found"))
    api.media()
    unchanged(api, lambda: problem(api.post(url, None, api.other_officer), 403, "permission_denied"))


# ---- evidence marks ---------------------------------------------------------------------------

def test_marking_evidence_raises_then_clears_art43(api: Api) -> None:
    m = api.media()
    url = f"/api/v1/media/{m.id}/marks"
    first = api.post(url, {"evidence": True, "collector": "陈志强"})
    assert first.status_code == 201, first.text
    assert (first.json()["retention"], first.json()["missing_note_items"]) == ("long_term", ["collected_at", "place"])
    [f] = api.get(f"/api/v1/findings?rule=ART43-EVIDENCE-NOTE&subject_type=media&subject_id={m.id}").json()
    assert f["article"] == "第四十三条" and "取证时间" in f["message_zh"] and "取证地点" in f["message_zh"]
    second = api.post(url, {"evidence": True, "collector": "陈志强", "collected_at": "2026-11-25T21:00:00+08:00",
                            "place": "江门市蓬江区某商铺", "situations": ["objection"]})
    assert second.status_code == 201 and second.json()["version"] == 2
    assert api.get("/api/v1/findings?rule=ART43-EVIDENCE-NOTE").json() == []
    history = api.get(url).json()
    assert (history["media_id"], history["sha256"]) == (str(m.id), m.sha256)
    assert [v["version"] for v in history["marks"]] == [1, 2]
    assert history["marks"][1]["situations"] == ["objection"]


@pytest.mark.parametrize(("body", "code", "article"), [
    ({"evidence": True, "unknown": 1}, "validation_failed", None),
    ({"collector": "张三"}, "validation_failed", None),
    ({"evidence": "yes please"}, "validation_failed", None),
    ({"evidence": False, "collector": "张三"}, "validation_failed", None),
    ({"evidence": False, "situations": ["riot"]}, "validation_failed", None),
    ({"evidence": False, "situations": ["other"]}, "validation_failed", None),
    ({"evidence": True, "collected_at": "2030-01-01T00:00:00Z"}, "validation_failed", None),
    ({"evidence": False, "retention": "forever"}, "validation_failed", None),
    ({"evidence": True, "retention": "standard"}, "media.long_term_required", "第四十三条"),
    ({"evidence": False, "retain_until": "2027-01-01T00:00:00Z"}, "media.retention_too_short", "第四十三条"),
])
def test_mark_refuses_bad_input_and_writes_nothing(api: Api, body: dict[str, Any], code: str,
                                                   article: str | None) -> None:
    m = api.media()
    found = unchanged(api, lambda: problem(api.post(f"/api/v1/media/{m.id}/marks", body), 422, code))
    if article:
        assert article in found["article"]


def test_marks_of_unknown_or_foreign_originals(api: Api) -> None:
    m = api.media()
    problem(api.get(f"/api/v1/media/{uuid.uuid4()}/marks"), 404, "media.not_found")
    unchanged(api, lambda: problem(api.post(f"/api/v1/media/{uuid.uuid4()}/marks", {"evidence": True}), 404,
                                   "media.not_found"))
    problem(api.get(f"/api/v1/media/{m.id}/marks", api.other_officer), 403, "permission_denied")
    unchanged(api, lambda: problem(api.post(f"/api/v1/media/{m.id}/marks", {"evidence": True},
                                            api.other_officer), 403, "permission_denied"))
