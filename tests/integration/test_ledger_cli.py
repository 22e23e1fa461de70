"""``lawtrail ledger`` end to end on a SQLite data folder, and the offline verifier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.bootstrap import build
from lawtrail.cli import ledger as ledger_cli
from lawtrail.cli.common import Options
from lawtrail.config import load_settings
from lawtrail.domain.ledger.checkpoint import parse_checkpoint_note
from lawtrail.domain.ledger.merkle import ConsistencyProof, InclusionProof
from tests.integration.test_ledger_db import make_event

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAWTRAIL_SECRET_KEY", "s" * 40)
    folder = tmp_path / "data"
    container = build(load_settings(data_dir=folder))
    container.migrate()
    with SqlUnitOfWork(container.engine) as uow:
        uow.events.append_many([make_event(i) for i in range(20)])
        uow.commit()
    container.close()
    return folder


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    root = typer.Typer()

    @root.callback()
    def _options(tctx: typer.Context) -> None:
        tctx.obj = Options(data_dir=data_dir)

    root.add_typer(ledger_cli.app, name="ledger")
    result = runner.invoke(root, ["ledger", *args])
    return result.exit_code, result.stdout, result.stderr


def test_checkpoint_proofs_and_verify(data_dir: Path) -> None:
    code, out, _ = run(data_dir, "checkpoint", "--json")
    assert code == 0
    cp = json.loads(out)
    checkpoint, _note = parse_checkpoint_note(cp["note"])
    assert checkpoint.size == 20 == cp["size"]
    assert (data_dir / "ledger-signing.key").stat().st_mode & 0o777 == 0o600

    code, out, _ = run(data_dir, "proof", "7", "--size", "20", "--json")
    assert code == 0
    assert InclusionProof.from_json(json.loads(out)).verify(checkpoint.root)

    run(data_dir, "checkpoint")
    code, out, _ = run(data_dir, "checkpoint", "--json")
    later = parse_checkpoint_note(json.loads(out)["note"])[0]
    code, out, _ = run(data_dir, "consistency", "20", str(later.size), "--json")
    assert code == 0
    assert ConsistencyProof.from_json(json.loads(out)).verify(checkpoint.root, later.root)

    code, out, _ = run(data_dir, "verify", "--json")
    assert code == 0, out
    assert json.loads(out)["ok"] is True


def test_proof_of_unknown_leaf_fails(data_dir: Path) -> None:
    from lawtrail.errors import NotFound

    root = typer.Typer()

    @root.callback()
    def _options(tctx: typer.Context) -> None:
        tctx.obj = Options(data_dir=data_dir)

    root.add_typer(ledger_cli.app, name="ledger")
    result = runner.invoke(root, ["ledger", "proof", "20", "--json"])
    assert result.exit_code != 0
    assert isinstance(result.exception, NotFound)


def test_verify_fails_and_names_the_leaf(data_dir: Path) -> None:
    run(data_dir, "checkpoint")
    container = build(load_settings(data_dir=data_dir))
    with container.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER events_no_update"))
        conn.execute(text("UPDATE events SET actor_name = 'mallory' WHERE seq = 9"))
    container.close()
    code, out, err = run(data_dir, "verify", "--json")
    assert code == 1
    assert json.loads(out)["problem"] == {"kind": "changed", "leaf": 9, "checkpoint_size": None,
                                          "detail": "the event at leaf 9 was changed"}
    assert "changed at leaf 9" in err


def test_export_and_offline_verification(data_dir: Path, tmp_path: Path) -> None:
    run(data_dir, "checkpoint")
    out_dir = tmp_path / "export"
    code, _, err = run(data_dir, "export", "--out", str(out_dir))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["checkpoints.jsonl", "events.jsonl", "ledger.vkey"]
    code, out, _ = run(data_dir, "verify-export", str(out_dir), "--json")
    assert code == 0 and json.loads(out)["ok"] is True and json.loads(out)["size"] == 21

    lines = (out_dir / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3], lines[4] = lines[4], lines[3]
    (out_dir / "events.jsonl").write_text("".join(lines), encoding="utf-8")
    code, out, _ = run(data_dir, "verify-export", str(out_dir), "--json")
    assert code == 1
    assert json.loads(out)["problem"]["kind"] == "reordered"
    assert json.loads(out)["problem"]["leaf"] == 3


def test_export_with_changed_event_fails_at_the_checkpoint(data_dir: Path, tmp_path: Path) -> None:
    run(data_dir, "checkpoint")
    out_dir = tmp_path / "export"
    run(data_dir, "export", "--out", str(out_dir))
    path = out_dir / "events.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("科室5", "科室6", 1), encoding="utf-8")
    code, out, _ = run(data_dir, "verify-export", str(out_dir), "--json")
    assert code == 1
    assert json.loads(out)["problem"]["kind"] == "changed"
    assert json.loads(out)["problem"]["checkpoint_size"] == 20


def test_offline_verifier_needs_no_database_or_web_stack(tmp_path: Path) -> None:
    code = ("import sys, lawtrail.adapters.ledger_export as m; "
            "bad = [x for x in ('sqlalchemy', 'fastapi', 'starlette') if x in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_checkpoint_if_due_follows_the_setting(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWTRAIL_CHECKPOINT_MINUTES", "0")  # the events are old: only the count rule here
    monkeypatch.setenv("LAWTRAIL_CHECKPOINT_EVERY", "25")
    code, out, _ = run(data_dir, "checkpoint", "--if-due", "--json")
    assert (code, json.loads(out)) == (0, None)
    monkeypatch.setenv("LAWTRAIL_CHECKPOINT_EVERY", "20")
    code, out, _ = run(data_dir, "checkpoint", "--if-due", "--json")
    assert code == 0 and json.loads(out)["size"] == 20


def test_checkpoint_if_due_after_the_minutes(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 20 events were appended long ago (T0): with the time rule on, a checkpoint is due
    although fewer than LAWTRAIL_CHECKPOINT_EVERY came; right after it, nothing is due."""
    monkeypatch.setenv("LAWTRAIL_CHECKPOINT_EVERY", "1000")
    monkeypatch.setenv("LAWTRAIL_CHECKPOINT_MINUTES", "10")
    code, out, _ = run(data_dir, "checkpoint", "--if-due", "--json")
    assert code == 0 and json.loads(out)["size"] == 20
    code, out, _ = run(data_dir, "checkpoint", "--if-due", "--json")
    assert (code, json.loads(out)) == (0, None)
