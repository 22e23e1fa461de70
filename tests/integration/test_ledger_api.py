"""The ledger API (/api/v1/ledger) over a real database, both engines: checkpoints, proofs
checked with the Merkle maths, verification recorded as an event, the public key, the
background checkpointer and several processes racing to sign the same checkpoint."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.signer import note_checker
from lawtrail.bootstrap import Container
from lawtrail.domain.events import Action
from lawtrail.domain.ledger.audit import StoredCheckpoint
from lawtrail.domain.ledger.checkpoint import parse_checkpoint_note
from lawtrail.domain.ledger.merkle import verify_consistency, verify_inclusion
from lawtrail.services import auth, ledger, users, vault_verify
from lawtrail.web import ledger_runtime as rt
from lawtrail.web.app import create_app
from tests.integration.support import Seed, only_sqlite
from tests.unit.factories import PASSWORD


@dataclass
class Api:
    client: TestClient
    seed: Seed
    supervisor: dict[str, str]
    archivist: dict[str, str]

    @property
    def container(self) -> Container:
        return self.seed.container


def _token(seed: Seed, role: str) -> dict[str, str]:
    c = seed.container
    user = users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=seed.unit.id, username=f"u_{role}",
                             display_name=f"{role}人员", roles=[role], password=PASSWORD)
    _, raw = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=user.id, name="t")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def api(seed: Seed) -> Iterator[Api]:
    supervisor, archivist = _token(seed, "supervisor"), _token(seed, "archivist")
    with TestClient(create_app(seed.container, checkpoint_interval=None)) as client:
        yield Api(client, seed, supervisor, archivist)


def test_checkpoint_on_demand_then_latest_and_list(api: Api) -> None:
    missing = api.client.get("/api/v1/ledger/checkpoints/latest", headers=api.archivist)
    assert missing.status_code == 404 and missing.json()["code"] == "ledger.no_checkpoint"

    made = api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor)
    assert made.status_code == 201, made.text
    latest = api.client.get("/api/v1/ledger/checkpoints/latest", headers=api.archivist).json()
    assert latest == made.json()
    vkey = api.client.get("/api/v1/ledger/public-key", headers=api.archivist).json()["vkey"]
    checkpoint = note_checker(vkey)(latest["note"])  # the signature holds under the published key
    assert (checkpoint.size, checkpoint.root.hex()) == (latest["size"], latest["root"])
    assert parse_checkpoint_note(latest["note"])[0].origin == api.container.settings.ledger_origin

    api.client.post("/api/v1/units", headers=_token(api.seed, "admin"),
                    json={"code": "X9", "name": "新机构", "kind": "business_section"})
    second = api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor).json()
    assert second["size"] > latest["size"]
    listed = api.client.get("/api/v1/ledger/checkpoints", headers=api.archivist).json()
    assert [c["size"] for c in listed] == [second["size"], latest["size"]]


def test_proofs_verify_against_the_checkpoint_roots(api: Api) -> None:
    first = api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor).json()
    _token(api.seed, "leader")  # more events
    second = api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor).json()

    for index in (0, first["size"] - 1, second["size"] - 1):
        proof = api.client.get(f"/api/v1/ledger/proof/{index}", headers=api.archivist).json()
        assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "hashes"}
        assert proof["tree_size"] == second["size"]  # default: the latest checkpoint
        assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), index, proof["tree_size"],
                                [bytes.fromhex(h) for h in proof["hashes"]], bytes.fromhex(second["root"]))
    old = api.client.get(f"/api/v1/ledger/proof/2?size={first['size']}", headers=api.archivist).json()
    assert verify_inclusion(bytes.fromhex(old["leaf_hash"]), 2, first["size"],
                            [bytes.fromhex(h) for h in old["hashes"]], bytes.fromhex(first["root"]))

    cons = api.client.get(f"/api/v1/ledger/consistency?first={first['size']}&second={second['size']}",
                          headers=api.archivist).json()
    assert set(cons) == {"first_size", "second_size", "hashes"}
    assert verify_consistency(first["size"], second["size"], [bytes.fromhex(h) for h in cons["hashes"]],
                              bytes.fromhex(first["root"]), bytes.fromhex(second["root"]))


def test_bad_proof_requests_are_problems(api: Api) -> None:
    size = api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor).json()["size"]
    out = api.client.get(f"/api/v1/ledger/proof/{size}", headers=api.archivist)
    assert out.status_code == 404 and out.json()["code"] == "ledger.leaf_not_found"
    too_big = api.client.get(f"/api/v1/ledger/proof/0?size={size + 1000}", headers=api.archivist)
    assert too_big.status_code == 404 and too_big.json()["code"] == "ledger.size_not_found"
    backwards = api.client.get("/api/v1/ledger/consistency?first=3&second=2", headers=api.archivist)
    assert backwards.status_code == 422 and backwards.json()["code"] == "ledger.bad_sizes"
    negative = api.client.get("/api/v1/ledger/proof/-1", headers=api.archivist)
    assert negative.status_code in (404, 422)


def test_verification_returns_the_cli_result_and_is_recorded(api: Api) -> None:
    api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor)
    result = api.client.post("/api/v1/ledger/verify", headers=api.supervisor).json()
    assert set(result) == {"ok", "size", "checkpoints", "latest_checkpoint", "problem"}
    assert result["ok"] is True and result["problem"] is None and result["checkpoints"] == 1

    c = api.container
    last = ledger.last_verification(rt.uow(c), c.system_ctx("t"))
    assert last is not None and last.action == Action.LEDGER_VERIFICATION
    assert last.actor_name == "supervisor人员" and last.after == result


def test_verification_reports_a_forged_checkpoint(api: Api) -> None:
    c = api.container
    api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor)
    with rt.uow(c) as uow:  # a row nobody signed: right size, wrong root and signature
        size = uow.events.count()
        good = uow.checkpoints.latest()
        assert good is not None
        uow.checkpoints.add(StoredCheckpoint(size=size, root=bytes(32), note=good.note, created_at=c.clock.now()))
        uow.commit()
    result = api.client.post("/api/v1/ledger/verify", headers=api.supervisor).json()
    assert result["ok"] is False and result["problem"]["checkpoint_size"] == size
    last = ledger.last_verification(rt.uow(c), c.system_ctx("t"))
    assert last is not None and last.after is not None and last.after["ok"] is False


def test_the_checkpointer_signs_when_due_and_stops(container: Container, seed: Seed) -> None:
    settings = container.settings.model_copy(update={"checkpoint_every": 1})
    busy = Container(settings, container.engine, container.deps, container.clock)
    worker = rt.Checkpointer(busy, interval=0.05)
    worker.start()
    deadline = time.monotonic() + 10
    while ledger.latest_checkpoint(rt.uow(busy), busy.system_ctx("t")) is None:
        assert time.monotonic() < deadline, "no automatic checkpoint"
        time.sleep(0.05)
    worker.stop()
    assert not worker._thread.is_alive()


def test_the_vault_verifier_runs_on_its_schedule_and_stops(container: Container, seed: Seed) -> None:
    worker = rt.VaultVerifier(container, interval=0.05)
    worker.start()
    deadline = time.monotonic() + 10
    while vault_verify.last_verification(rt.uow(container)) is None:
        assert time.monotonic() < deadline, "no scheduled vault verification"
        time.sleep(0.05)
    worker.stop()
    assert not worker._thread.is_alive()
    with rt.uow(container) as uow:
        runs = uow.events.list(subject_type="vault", subject_id="originals", limit=10)
    assert len(runs) == 1 and runs[0].actor_name == "定期原始文件核验"  # not due again within 24 h


def test_time_rule_waits_for_the_minutes(container: Container, clock: FixedClock, seed: Seed) -> None:
    c = container

    def due() -> StoredCheckpoint | None:
        return ledger.maybe_checkpoint(rt.uow(c), c.system_ctx("t"), rt.signer(c), "o", every=1000, minutes=10)

    assert due() is None  # the seed's events were appended just now
    clock.advance(timedelta(minutes=9, seconds=59))
    assert due() is None
    clock.advance(timedelta(seconds=1))
    made = due()
    assert made is not None and made.size == 3
    clock.advance(timedelta(hours=5))
    assert due() is None  # only its own announcement came since: not due, however long it waits
    users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=seed.unit.id, username="late",
                      display_name="后来者", roles=["officer"], password=PASSWORD)
    assert due() is None  # the announcement is old, but the new event is not
    clock.advance(timedelta(minutes=10))
    again = due()
    assert again is not None and again.size == 5


def test_racing_processes_sign_one_checkpoint(container: Container, seed: Seed) -> None:
    """Several app processes' checkpointers at once (threads on separate connections): one
    row per size, every caller gets that checkpoint, no error (PostgreSQL: primary key)."""
    c = container
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def sign() -> None:
        try:
            start.wait()
            cp = ledger.create_checkpoint(rt.uow(c), c.system_ctx("p"), rt.signer(c), "o")
            results.append(cp.size)
        except BaseException as exc:  # reported below, on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with rt.uow(c) as uow:
        stored = uow.checkpoints.list()
        announced = [e for e in uow.events.list(subject_type="ledger", limit=50)
                     if e.action == Action.LEDGER_CHECKPOINT]
    assert len(stored) == len(announced) == len(set(results))
    assert ledger.verify(rt.uow(c), c.system_ctx("t"), rt.checker(c)).ok


@only_sqlite
def test_officer_gets_no_ledger(api: Api) -> None:
    officer = _token(api.seed, "officer")
    assert api.client.get("/api/v1/ledger/public-key", headers=officer).status_code == 403
    assert api.client.post("/api/v1/ledger/verify", headers=api.archivist).status_code == 403


def test_a_failed_verification_shows_red_with_the_first_problem(api: Api) -> None:
    """The card the page and the htmx answer show, for a failed run read back from its event."""
    from lawtrail.web.ui.ledger import verification_view
    from lawtrail.web.ui.render import templates

    c = api.container
    api.client.post("/api/v1/ledger/checkpoints", headers=api.supervisor)
    with rt.uow(c) as uow:
        good = uow.checkpoints.latest()
        assert good is not None
        uow.checkpoints.add(StoredCheckpoint(size=uow.events.count(), root=bytes(32), note=good.note,
                                             created_at=c.clock.now()))
        uow.commit()
    api.client.post("/api/v1/ledger/verify", headers=api.supervisor)
    html = templates.get_template("_ledger_verification.html").render(
        last=verification_view(ledger.last_verification(rt.uow(c), c.system_ctx("t"))), fresh=False)
    assert "is-bad" in html and 'data-result="bad">未通过' in html and 'data-result="ok"' not in html
    assert "检查点被回退" in html and "rolled_back" in html and "supervisor人员" in html
