"""The case file (Art. 39) as a BagIt bag, on both engines: written from a concluded case with
real originals, valid for the Library of Congress ``bagit`` validator and for the offline
``verify_bag``; each kind of tampering caught; refusals write nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lawtrail.adapters.bag import BagWriter
from lawtrail.adapters.casefile_verify import verify_bag
from lawtrail.domain.ledger.checkpoint import ed25519_key_id, format_signed_note, format_vkey, note_message
from lawtrail.errors import InvalidTransition, PermissionDenied
from lawtrail.services import casefile, cases
from tests.integration.archive_support import DETAILS, ORIGIN, World, build_world, make_media_files
from tests.integration.support import Seed, row_counts


@pytest.fixture(scope="module")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_media_files(tmp_path_factory.mktemp("media"))


@pytest.fixture
def world(seed: Seed, media_files: tuple[Path, Path], tmp_path: Path) -> World:
    return build_world(seed, media_files, tmp_path / "keys")


def export(world: World, out: Path) -> casefile.ExportResult:
    c = world.seed.container
    return casefile.export_case_file(world.uow(), world.ctx(world.archivist), c.blobs, world.signer, BagWriter(out),
                                     number=world.case.number, origin=ORIGIN)


@pytest.fixture
def bag(world: World, tmp_path: Path) -> Path:
    out = tmp_path / "bag"
    export(world, out)
    return out


def test_a_concluded_case_becomes_a_valid_bag(world: World, tmp_path: Path) -> None:
    out = tmp_path / "bag"
    result = export(world, out)
    bagit.Bag(str(out)).validate()  # the Library of Congress validator: both manifests, Payload-Oxum
    assert {p.name for p in out.iterdir()} == {"bagit.txt", "bag-info.txt", "data", "manifest-sha256.txt",
                                               "manifest-sha512.txt", "tagmanifest-sha256.txt",
                                               "tagmanifest-sha512.txt"}
    info = bagit.Bag(str(out)).info
    assert info["External-Identifier"] == world.case.number
    assert info["Source-Organization"] == "广州市市场监督管理局" and info["Case-Concluded"] == "2026-11-26"
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    kinds = [i["kind"] for i in index["items"]]
    assert kinds == ["case", "av_original", "av_metadata", "av_original", "av_metadata"] + ["ledger"] * 4
    assert [i["number"] for i in index["items"]] == list(range(1, 10)) and result.items == 9
    video = index["items"][1]
    assert video["sha256"] == world.media[0].sha256 and video["format"] == "video" and video["attested_by"]
    meta = json.loads((out / index["items"][2]["path"]).read_text(encoding="utf-8"))
    assert meta["固定性 / fixity"]["sha256"] == world.media[0].sha256
    assert meta["档号 / case_number"] == world.case.number
    assert meta["时长秒 / duration_s"] == pytest.approx(1.0, abs=0.2)
    report = verify_bag(out)
    assert report.ok, json.dumps(report.to_json(), ensure_ascii=False)
    assert len(report.items) == 9 and all(i.checks["authenticity"].ok for i in report.items)
    trail = cases.case_trail(world.uow(), world.ctx(world.archivist), world.case.id)
    assert trail[0].action == "archive:casefile:export" and trail[0].after["payload_oxum"] == result.payload_oxum


def test_the_originals_in_the_bag_are_the_stored_ones(world: World, bag: Path, media_files: tuple[Path, Path]) -> None:
    index = json.loads((bag / "data" / "index.json").read_text(encoding="utf-8"))
    stored = [bag / i["path"] for i in index["items"] if i["kind"] == "av_original"]
    assert sorted(p.read_bytes() for p in stored) == sorted(p.read_bytes() for p in media_files)


def _reseal(bag: Path) -> None:
    """Recompute the index's digests and sizes, every manifest and tag manifest, as a forger
    covering their tracks would."""
    index_path = bag / "data" / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    for item in index["items"]:
        if item["path"]:
            data = (bag / item["path"]).read_bytes()
            item["sha256"], item["size"] = hashlib.sha256(data).hexdigest(), len(data)
    index_path.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    files = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        lines = "".join(f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bag).as_posix()}\n"
                        for p in files)
        (bag / f"manifest-{algorithm}.txt").write_text(lines, encoding="utf-8")
    info = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    oxum = f"{sum(p.stat().st_size for p in files)}.{len(files)}"
    (bag / "bag-info.txt").write_text("".join((f"Payload-Oxum: {oxum}" if line.startswith("Payload-Oxum") else line)
                                              + "\n" for line in info), encoding="utf-8")
    for algorithm in ("sha256", "sha512"):
        tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
        lines = "".join(f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags)
        (bag / f"tagmanifest-{algorithm}.txt").write_text(lines, encoding="utf-8")


def _index(bag: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((bag / "data" / "index.json").read_text(encoding="utf-8"))
    return data


def _failed(bag: Path, vkey: str | None = None) -> dict[str, set[int]]:
    """check name → the numbers of the items failing it (0 = the whole bag)."""
    report = verify_bag(bag, vkey)
    assert not report.ok
    out: dict[str, set[int]] = {}
    for item in [report.bag, *report.items]:
        for name, check in item.checks.items():
            if not check.ok:
                out.setdefault(name, set()).add(item.number)
    return out


def test_a_changed_payload_byte_is_caught(bag: Path) -> None:
    video = bag / _index(bag)["items"][1]["path"]  # type: ignore[index]
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    video.chmod(0o644)
    video.write_bytes(bytes(data))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()
    assert _failed(bag) == {"integrity": {2}}


def test_a_removed_file_is_caught(bag: Path) -> None:
    (bag / _index(bag)["items"][3]["path"]).unlink()  # type: ignore[index]
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()
    failed = _failed(bag)
    assert 4 in failed["integrity"] and 0 in failed["integrity"] and 4 in failed["usability"]


def test_an_added_file_is_caught(bag: Path) -> None:
    (bag / "data" / "av" / "extra.mp4").write_bytes(b"not part of the file")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()
    assert _failed(bag) == {"integrity": {0}}


def test_an_edited_manifest_is_caught(bag: Path) -> None:
    manifest = bag / "manifest-sha512.txt"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    digest, name = lines[0].split("  ", 1)
    lines[0] = f"{'0' * len(digest)}  {name}"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag)).validate()
    failed = _failed(bag)
    assert 0 in failed["integrity"]  # the tag manifest no longer matches the manifest
    assert any(n > 0 for n in failed["integrity"])  # and the payload file no longer matches it


def test_a_changed_proof_is_caught_even_when_the_manifests_are_resealed(bag: Path) -> None:
    path = bag / "data" / "ledger" / "proofs.json"
    proofs = json.loads(path.read_text(encoding="utf-8"))
    seq = _index(bag)["items"][1]["attested_by"][0]  # type: ignore[index]
    proof = proofs["proofs"][str(seq)]
    first = proof["hashes"][0]
    proof["hashes"][0] = ("0" if first[0] != "0" else "1") + first[1:]
    path.write_text(json.dumps(proofs), encoding="utf-8")
    _reseal(bag)
    bagit.Bag(str(bag)).validate()  # BagIt alone cannot see it
    failed = _failed(bag)
    assert set(failed) == {"authenticity"} and {2, 3} <= failed["authenticity"]


def test_a_forged_checkpoint_is_caught(bag: Path) -> None:
    """A forger builds a checkpoint of their own root and signs it with their own key, putting
    that key in the bag: the published key catches it; the bag's own note under the bag's
    original key fails too."""
    original_vkey = (bag / "data" / "ledger" / "ledger.vkey").read_text(encoding="utf-8").strip()
    note_path = bag / "data" / "ledger" / "checkpoint.note"
    body = note_path.read_text(encoding="utf-8").split("\n\n", 1)[0] + "\n"
    lines = body.splitlines()
    lines[2] = base64.b64encode(b"\x11" * 32).decode()  # another root
    forged_body = "\n".join(lines) + "\n"
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    note = format_signed_note(forged_body, [(ORIGIN, ed25519_key_id(ORIGIN, public),
                                             key.sign(note_message(forged_body)))])
    note_path.write_text(note, encoding="utf-8")
    (bag / "data" / "ledger" / "ledger.vkey").write_text(format_vkey(ORIGIN, public) + "\n", encoding="utf-8")
    _reseal(bag)
    bagit.Bag(str(bag)).validate()
    failed = _failed(bag)  # the forger's key signs it, but no proof leads to the forged root
    assert set(failed) == {"authenticity"} and 2 in failed["authenticity"]
    pinned = _failed(bag, original_vkey)  # against the bureau's published key: not signed at all
    assert {"authenticity", "security"} <= set(pinned) and 0 in pinned["security"]


def test_verify_needs_no_database_or_web_stack() -> None:
    code = ("import sys, lawtrail.adapters.casefile_verify as m; "
            "bad = [x for x in ('sqlalchemy', 'fastapi', 'starlette') if x in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_bag_survives_being_copied(bag: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bag, copy)
    assert verify_bag(copy).ok


def test_an_open_case_or_a_stranger_is_refused_writing_nothing(world: World, tmp_path: Path) -> None:
    c = world.seed.container
    ctx = world.ctx(world.officer)
    other = cases.open_case(c.uow(), ctx, unit_id=world.seed.unit.id, details=DETAILS,
                            handler_ids=[world.officer.id])
    before = row_counts(c.engine)
    with pytest.raises(InvalidTransition) as refused:
        casefile.export_case_file(world.uow(), world.ctx(world.archivist), c.blobs, world.signer,
                                  BagWriter(tmp_path / "a"), number=other.number, origin=ORIGIN)
    assert refused.value.code == "archive.not_concluded" and refused.value.article == "第三十九条"
    with pytest.raises(PermissionDenied):
        casefile.export_case_file(world.uow(), world.ctx(world.officer), c.blobs, world.signer,
                                  BagWriter(tmp_path / "b"), number=world.case.number, origin=ORIGIN)
    assert row_counts(c.engine) == before
