"""Check a case-file bag offline: no database, no web stack (``python -m lawtrail.adapters.casefile_verify DIR``).

What is checked, and reported item by item as the four properties archivists check in
electronic records (DA/T 70): 真实性 authenticity, 完整性 integrity, 可用性 usability and
安全性 security.

- **integrity** — every payload file is in both manifests (SHA-256 and SHA-512) and matches
  both; no file is missing or added; the tag manifests and Payload-Oxum match; the index's own
  digest of each item agrees with the manifest.
- **authenticity** — the checkpoint note is signed by the ledger key (the bag's, or the one
  the bureau published: ``vkey``), every ledger event the item names has an inclusion proof
  that leads to that checkpoint's root, and the events are about this item (an original's
  ingest event carries its digest; the case events carry the case's id; the metadata's fixity
  digest is its original's; a record's history names the record, an attachment's digest is in
  the event that attached it).
- **usability** — the file can be read, has the recorded size and is of the recorded format
  (JSON parses, an original's first bytes match its media type, a record's form is a PDF and
  an attachment is of its content type).
- **security** — the item is a regular file inside ``data/`` (no link, no path escape) and
  its attestation rests on a valid signature.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lawtrail.adapters.signer import note_checker
from lawtrail.domain.casefile import CHECKPOINT_FILE, EVENTS_FILE, INDEX_FILE, PROOFS_FILE, VKEY_FILE, Kind
from lawtrail.domain.ledger.checkpoint import Checkpoint
from lawtrail.domain.ledger.merkle import InclusionProof, leaf_hash
from lawtrail.domain.records import ATTACHMENT_TYPES

CHUNK = 4 * 1024 * 1024
ALGORITHMS = ("sha256", "sha512")
CHECKS = ("authenticity", "integrity", "usability", "security")
CHECK_LABELS = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性", "security": "安全性"}
_MAGIC: dict[str, tuple[Callable[[bytes], bool], ...]] = {
    "video": (lambda b: b[4:8] == b"ftyp", lambda b: b[:4] == b"RIFF", lambda b: b[:4] == b"\x1a\x45\xdf\xa3",
              lambda b: b[:1] == b"\x47", lambda b: b[:4] == b"\x00\x00\x01\xba"),
    "audio": (lambda b: b[4:8] == b"ftyp", lambda b: b[:4] in (b"RIFF", b"fLaC", b"OggS"), lambda b: b[:3] == b"ID3",
              lambda b: b[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf1"), lambda b: b[:5] == b"#!AMR"),
    "photo": (lambda b: b[:3] == b"\xff\xd8\xff", lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
              lambda b: b[4:12] in (b"ftypheic", b"ftypmif1")),
}


def _starts_with(prefix: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(prefix)


# a record's printed form and its attachments, by content type
_MAGIC.update({fmt: tuple(_starts_with(m) for m in magic) for fmt, magic in ATTACHMENT_TYPES.items()})


@dataclass
class Check:
    ok: bool = True
    details: list[str] = field(default_factory=list)

    def fail(self, detail: str) -> None:
        self.ok = False
        self.details.append(detail)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "details": self.details}


@dataclass
class ItemReport:
    number: int
    title: str
    path: str | None
    kind: str
    checks: dict[str, Check] = field(default_factory=lambda: {c: Check() for c in CHECKS})

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "path": self.path, "kind": self.kind, "ok": self.ok,
                **{name: check.to_json() for name, check in self.checks.items()}}


@dataclass
class BagReport:
    path: str
    bag: ItemReport
    items: list[ItemReport] = field(default_factory=list)
    checkpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.bag.ok and all(i.ok for i in self.items)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "bag": self.path, "checkpoint": self.checkpoint, "whole_bag": self.bag.to_json(),
                "items": [i.to_json() for i in self.items]}


def _digests(path: Path) -> dict[str, str]:
    hashes = {a: hashlib.new(a) for a in ALGORITHMS}
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            for h in hashes.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashes.items()}


def _manifest(path: Path, bag: ItemReport) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file():
        bag.checks["integrity"].fail(f"缺少 {path.name} / {path.name} missing")
        return out
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or not name:
            bag.checks["integrity"].fail(f"{path.name} 第 {number} 行格式错误 / malformed line {number}")
            continue
        out[name.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")] = digest.lower()
    return out


def _payload_files(root: Path, bag: ItemReport) -> set[str]:
    """Every file under ``data/``, relative to the bag; links are reported, not followed."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(root / "data", followlinks=False):
        for name in [*dirs, *files]:
            full = Path(folder) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                bag.checks["security"].fail(f"{rel} 是符号链接 / is a symbolic link")
            elif name in files:
                found.add(rel)
    return found


@dataclass
class _Files:
    """The payload as found: each file's digests and its integrity problems."""

    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)


def _check_payload(root: Path, bag: ItemReport) -> _Files:
    manifests = {a: _manifest(root / f"manifest-{a}.txt", bag) for a in ALGORITHMS}
    on_disk = _payload_files(root, bag)
    files = _Files()
    for rel in sorted(on_disk | set(manifests["sha256"]) | set(manifests["sha512"])):
        problems = files.problems.setdefault(rel, [])
        if rel not in on_disk:
            problems.append("清单中有但文件缺失 / listed but missing")
            bag.checks["integrity"].fail(f"{rel}: 文件缺失 / removed")
            continue
        files.digests[rel] = got = _digests(root / rel)
        for a in ALGORITHMS:
            want = manifests[a].get(rel)
            if want is None:
                problems.append(f"不在 manifest-{a}.txt 中 / not in manifest-{a}.txt")
                bag.checks["integrity"].fail(f"{rel}: 多出的文件 / added, not in manifest-{a}.txt")
            elif want != got[a]:
                problems.append(f"{a} 不符 / {a} mismatch")
    _check_tags(root, bag, files)
    return files


def _check_tags(root: Path, bag: ItemReport, files: _Files) -> None:
    bagit = root / "bagit.txt"
    if not bagit.is_file() or "BagIt-Version: 1.0" not in bagit.read_text(encoding="utf-8"):
        bag.checks["integrity"].fail("bagit.txt 缺失或版本不符 / bagit.txt missing or not BagIt 1.0")
    for a in ALGORITHMS:
        tags = root / f"tagmanifest-{a}.txt"
        listed = _manifest(tags, bag)
        for name in ("bagit.txt", "bag-info.txt", *(f"manifest-{x}.txt" for x in ALGORITHMS)):
            if name not in listed:
                bag.checks["integrity"].fail(f"{name} 不在 {tags.name} 中 / not in {tags.name}")
        for name, want in listed.items():
            tag = root / name
            if not tag.is_file() or _digests(tag)[a] != want:
                bag.checks["integrity"].fail(f"{name} 与 {tags.name} 不符 / does not match {tags.name}")
    info = (root / "bag-info.txt").read_text(encoding="utf-8") if (root / "bag-info.txt").is_file() else ""
    oxum = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Payload-Oxum:")), "")
    actual = f"{sum((root / rel).stat().st_size for rel in files.digests)}.{len(files.digests)}"
    if oxum != actual:
        bag.checks["integrity"].fail(f"Payload-Oxum {oxum or '缺失'} ≠ {actual}")


@dataclass
class _Ledger:
    checkpoint: Checkpoint | None = None
    proven: dict[int, dict[str, Any]] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def _check_ledger(root: Path, bag: ItemReport, vkey: str | None) -> _Ledger:
    ledger = _Ledger()
    data = root / "data"
    try:
        key = vkey or (data / VKEY_FILE).read_text(encoding="utf-8").strip()
        ledger.checkpoint = note_checker(key)((data / CHECKPOINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        bag.checks["authenticity"].fail(f"检查点签名无效 / checkpoint signature invalid: {exc}")
        bag.checks["security"].fail("检查点未经账本密钥签名 / checkpoint not signed by the ledger key")
        return ledger
    try:
        proofs = json.loads((data / PROOFS_FILE).read_bytes())["proofs"]
        lines = (data / EVENTS_FILE).read_bytes().splitlines()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        bag.checks["authenticity"].fail(f"账本摘录不可读 / ledger excerpt unreadable: {exc}")
        return ledger
    for raw in lines:
        _prove(raw, proofs, ledger)
    return ledger


def _prove(raw: bytes, proofs: dict[str, Any], ledger: _Ledger) -> None:
    assert ledger.checkpoint is not None
    try:
        leaf = json.loads(raw)
        seq = int(leaf["seq"])
        proof = InclusionProof.from_json(proofs[str(seq)])
    except (ValueError, KeyError, TypeError) as exc:
        ledger.failed[-1 - len(ledger.failed)] = f"事件或证明不可读 / unreadable event or proof: {exc}"
        return
    if proof.leaf_hash != leaf_hash(raw) or proof.leaf_index != seq:
        ledger.failed[seq] = f"事件 {seq} 与证明的叶哈希不符 / leaf {seq} does not match its proof"
    elif proof.tree_size != ledger.checkpoint.size or not proof.verify(ledger.checkpoint.root):
        ledger.failed[seq] = f"事件 {seq} 的包含证明不成立 / inclusion proof of leaf {seq} fails"
    else:
        ledger.proven[seq] = leaf


def _usable(path: Path, item: dict[str, Any], check: Check) -> None:
    fmt = str(item.get("format", ""))
    with path.open("rb") as fh:
        head = fh.read(16)
    if path.stat().st_size != item.get("size"):
        check.fail("大小与目录不符 / size differs from the index")
    if fmt in ("application/json", "application/jsonl"):
        try:
            data = path.read_bytes()
            for part in data.splitlines() if fmt.endswith("l") else [data]:
                json.loads(part)
        except ValueError:
            check.fail("JSON 无法解析 / not readable JSON")
    elif fmt.startswith("text/"):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            check.fail("不是 UTF-8 文本 / not UTF-8 text")
    elif fmt in _MAGIC and not any(test(head) for test in _MAGIC[fmt]):
        check.fail(f"文件头与类型 {fmt} 不符 / content is not {fmt}")


def _authentic(item: dict[str, Any], index: dict[str, Any], root: Path, ledger: _Ledger, check: Check) -> None:
    seqs = [int(s) for s in item.get("attested_by", [])]
    if not seqs:
        check.fail("没有账本事件证明 / no ledger event attests it")
    for seq in seqs:
        if seq in ledger.failed:
            check.fail(ledger.failed[seq])
        elif seq not in ledger.proven:
            check.fail(f"账本事件 {seq} 不在摘录中 / leaf {seq} not in the excerpt")
    events = [ledger.proven[s] for s in seqs if s in ledger.proven]
    subject = item.get("subject") or {}
    if item["kind"] != Kind.LEDGER and any(
            (e["subject"]["type"], e["subject"]["id"]) != (subject.get("type"), subject.get("id")) for e in events):
        check.fail("事件不属于该项 / an event is about something else")
    if item["kind"] == Kind.AV_ORIGINAL and not any(
            e["action"] == "media:original:ingest" and (e.get("after") or {}).get("sha256") == item["sha256"]
            for e in events):
        check.fail("入库事件中没有该摘要 / no ingest event records this digest")
    if item["kind"] == Kind.RECORD_ATTACHMENT and not any(
            item["sha256"] in (after.get("sha256"), (after.get("scan") or {}).get("sha256"))
            for after in ((e.get("after") or {}) for e in events)):
        check.fail("没有记录该附件摘要的附加或签名事件 / no attach or sign event records this digest")
    if item["kind"] == Kind.RECORD_HISTORY and item.get("path"):
        history = json.loads((root / item["path"]).read_bytes())
        if history.get("record_id") != subject.get("id") or \
                history.get("case", {}).get("id") != index.get("case", {}).get("id"):
            check.fail("版本记录所属的记录或案件与账本不符 / the history names another record or case")
    if item["kind"] == Kind.CASE and item.get("path"):
        case = json.loads((root / item["path"]).read_bytes()).get("case", {})
        if case.get("id") != subject.get("id") or case.get("id") != index.get("case", {}).get("id"):
            check.fail("案件编号与账本不符 / the case data names another case")
    if item["kind"] == Kind.AV_METADATA and item.get("path"):
        described = next((i for i in index["items"] if i["number"] == item.get("describes")), None)
        fixity = json.loads((root / item["path"]).read_bytes()).get("固定性 / fixity", {})
        if described is None or fixity.get("sha256") != described["sha256"]:
            check.fail("元数据的固定性摘要与原始文件不符 / fixity digest differs from the original's")


def _item(root: Path, entry: dict[str, Any], index: dict[str, Any], files: _Files, ledger: _Ledger,
          signed: bool) -> ItemReport:
    rep = ItemReport(int(entry["number"]), str(entry.get("title", "")), entry.get("path"), str(entry.get("kind")))
    c = rep.checks
    path = entry.get("path")
    if path is None:
        if entry.get("status") != "disposed":
            c["integrity"].fail("目录未给出路径 / no path in the index")
        else:
            c["usability"].details.append("已依法销毁，保留摘要与账本记录 / disposed of; digest and ledger kept")
    elif not str(path).startswith("data/") or ".." in Path(path).parts:
        c["security"].fail("路径不在 data/ 内 / path escapes data/")
    elif path not in files.digests:
        c["integrity"].fail("文件缺失 / missing")
        c["usability"].fail("无法读取 / cannot be read")
    else:
        c["integrity"].details.extend(files.problems.get(path, []))
        c["integrity"].ok = not files.problems.get(path)
        if files.digests[path]["sha256"] != entry.get("sha256"):
            c["integrity"].fail("目录中的摘要与文件不符 / the index's digest differs from the file")
        if (root / path).is_symlink() or not (root / path).is_file():
            c["security"].fail("不是普通文件 / not a regular file")
        else:
            _usable(root / path, entry, c["usability"])
    if not signed:
        c["security"].fail("检查点签名无效 / checkpoint signature invalid")
        c["authenticity"].fail("无有效签名检查点 / no validly signed checkpoint")
    try:
        _authentic(entry, index, root, ledger, c["authenticity"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        c["authenticity"].fail(f"无法核对 / cannot be checked: {exc}")
    return rep


def verify_bag(root: Path, vkey: str | None = None) -> BagReport:
    """Check the bag at ``root`` (see the module docstring); never raises on a bad bag."""
    report = BagReport(str(root), ItemReport(0, "整个案卷包 / the whole bag", None, "bag"))
    bag = report.bag
    if not (root / "data").is_dir():
        bag.checks["integrity"].fail("不是 BagIt 包（缺少 data/） / not a bag (no data/)")
        return report
    files = _check_payload(root, bag)
    ledger = _check_ledger(root, bag, vkey)
    if ledger.checkpoint is not None:
        report.checkpoint = {"size": ledger.checkpoint.size, "root": ledger.checkpoint.root.hex(),
                             "origin": ledger.checkpoint.origin}
    try:
        index = json.loads((root / "data" / INDEX_FILE).read_bytes())
        entries = list(index["items"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        bag.checks["integrity"].fail(f"卷内目录不可读 / the index is unreadable: {exc}")
        return report
    listed = {str(e.get("path")) for e in entries} | {f"data/{INDEX_FILE}"}
    for rel in sorted(set(files.digests) - listed):
        bag.checks["integrity"].fail(f"{rel}: 不在卷内目录中 / not in the index")
    for bad in [s for s in ledger.failed if s < 0]:
        bag.checks["authenticity"].fail(ledger.failed[bad])
    report.items = [_item(root, e, index, files, ledger, ledger.checkpoint is not None) for e in entries]
    return report


def render(report: BagReport) -> str:
    """A plain-text report: one line per item with the four checks, then every problem."""
    mark = {True: "✓", False: "✗"}
    lines = ["编号  真实性 完整性 可用性 安全性  题名 / title"]
    for item in [report.bag, *report.items]:
        cells = "  ".join(f"  {mark[item.checks[c].ok]}  " for c in CHECKS)
        lines.append(f"{item.number:>4}  {cells}  {item.title}")
    for item in [report.bag, *report.items]:
        for name in CHECKS:
            for detail in item.checks[name].details if not item.checks[name].ok else []:
                lines.append(f"  [{item.number}] {CHECK_LABELS[name]} / {name}: {detail}")
    lines.append("结论 / result: " + ("通过 / passed" if report.ok else "未通过 / FAILED"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args
    rest = [a for a in args if a != "--json"]
    if len(rest) not in (1, 2):
        sys.stderr.write("usage: python -m lawtrail.adapters.casefile_verify BAG [VKEY] [--json]\n")
        return 2
    report = verify_bag(Path(rest[0]), rest[1] if len(rest) == 2 else None)
    sys.stdout.write((json.dumps(report.to_json(), ensure_ascii=False, indent=2) if as_json else render(report)) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
