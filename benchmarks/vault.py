"""Vault benchmark: ``lawtrail ingest`` beside ``cp`` of the same files, measured in the same run
on the same file system, so the ingest's cost reads as a ratio (DESIGN.md rule 10, issue 4 "Speed").

``python -m benchmarks.vault [--quick] [--big-mib N] [--photos N] [--only cli|photos|http] [--dir PATH]``; results are
recorded in ``docs/benchmarks.md``.

* big file: ``lawtrail ingest BIG --device …`` (a subprocess: start-up, hashing, write, fsync,
  probe, database row and event included) vs ``cp BIG copy`` followed by an fsync of the copy;
  plain ``cp`` (no fsync) is reported too. The source is read once beforehand so every
  contender reads it from the page cache. The ingest's peak RSS comes from ``os.wait4``.
* photos: ``lawtrail ingest FOLDER`` of N JPEGs of ≈ 200 KB with EXIF vs ``cp -r FOLDER copy``
  (and ``cp -r`` followed by ``sync -f``).
* HTTP upload: the same big file through ``lawtrail serve`` (uvicorn on loopback, a fresh data
  folder) with a streaming httpx client speaking the tus upload API (create, one PATCH streamed
  from the file in 4 MiB blocks; timed from the creation to the answer of the last PATCH, which
  includes the fsync, the link into the store, the probe, the row and the event) vs ``cp`` +
  fsync of that file measured again just before; the server's peak RSS is read from
  ``/proc/<pid>/status`` (VmHWM) before it is stopped.

The input files are generated once and cached in ``--dir`` (default
``$TMPDIR/lawtrail-bench-vault``); the big file is written to disk in 4 MiB blocks, never held
in memory. The data folder and the copies are made afresh in the same folder each run.
"""

# ruff: noqa: S603, S607 (the benchmark runs cp, sync and lawtrail on its own inputs)

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from io import BytesIO
from pathlib import Path

import httpx
from PIL import Image
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from benchmarks.report import Result, render
from lawtrail.domain.uploads import encode_metadata

_SCRIPT = shutil.which("lawtrail", path=str(Path(sys.executable).parent))
LAWTRAIL = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "lawtrail.cli.main"]
DEVICE = "BENCH-CAM-1"
ADMIN_PASSWORD = "Bench-admin-2026"
QUICK = {"big_mib": 64, "photos": 200}
FULL_SIZES = {"big_mib": 2048, "photos": 10_000}
BLOCK = 4 << 20
MIB = 1 << 20


# --- inputs ------------------------------------------------------------------------------------


def make_big(path: Path, mib: int, console: Console) -> None:
    """A file of ``mib`` MiB of pseudo-random bytes (incompressible), written block by block."""
    if path.exists() and path.stat().st_size == mib * MIB:
        return
    rng = random.Random(7)  # noqa: S311 (benchmark data, not secrets)
    tmp = path.with_suffix(".part")
    columns = (TextColumn(f"writing {path.name}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress, tmp.open("wb") as f:
        task = progress.add_task("big", total=mib)
        for _ in range(0, mib, BLOCK // MIB):
            f.write(rng.randbytes(min(BLOCK, mib * MIB - f.tell())))
            progress.advance(task, BLOCK // MIB)
    tmp.rename(path)


def _photo_exif(n: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Hikvision", "DSJ-T9"
    stamp = f"2026:11:{20 + n // 86400 % 8:02d} {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
    exif[0x0132] = stamp
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003], ifd[0x9011], ifd[0xA431] = stamp, "+08:00", f"HK2026X{n:05d}"
    return exif


def make_photos(folder: Path, count: int, console: Console) -> None:
    """``count`` distinct JPEGs of ≈ 200 KB (noisy 640×480, quality 80) with EXIF time and serial."""
    done = folder / ".complete"
    if done.exists() and done.read_text() == str(count):
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(11)  # noqa: S311
    width, height = 640, 480
    columns = (TextColumn("making photos"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("photos", total=count)
        for n in range(count):
            image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
            buf = BytesIO()
            image.save(buf, "JPEG", quality=80, exif=_photo_exif(n))
            sub = folder / f"{n // 1000:02d}"
            sub.mkdir(exist_ok=True)
            (sub / f"IMG_{n:05d}.jpg").write_bytes(buf.getvalue())
            progress.advance(task)
    done.write_text(str(count))


# --- helpers -------------------------------------------------------------------------------------


def run_timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run ``cmd``; return (wall seconds, the child's peak RSS in bytes). Fail loudly on error."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}… failed (exit {proc.returncode}): {err.strip()}")
    return elapsed, usage.ru_maxrss * 1024  # KiB on Linux


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def settle(*paths: Path) -> None:
    """Remove ``paths`` and flush the file system, untimed, so no write-back spills into the next timing."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    subprocess.run(["sync"], check=True)


def warm(path: Path) -> None:
    """Read every file under ``path`` once, so each contender reads its input from the page cache."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for p in files:
        with p.open("rb") as f:
            while f.read(BLOCK):
                pass


def new_site(folder: Path) -> dict[str, str]:
    """A fresh data folder with one device; return the environment pointing the CLI at it."""
    shutil.rmtree(folder, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWTRAIL_")}
    env.update(LAWTRAIL_DATA_DIR=str(folder), LAWTRAIL_PASSWORD_MIN_LENGTH="12")  # noqa: S106 (a length, not a password)
    for args in (("init", "--admin-password", ADMIN_PASSWORD),
                 ("device", "add", DEVICE, "--type", "body_camera", "--unit", "ADMIN")):
        subprocess.run([*LAWTRAIL, *args], env=env, check=True, capture_output=True)
    return env


# --- the figures ---------------------------------------------------------------------------------


def bench_big(folder: Path, big: Path, console: Console) -> list[Result]:
    size = big.stat().st_size
    copy = folder / "copy.bin"
    settle(copy)
    warm(big)
    console.print("big file: cp + fsync …")
    start = time.perf_counter()
    subprocess.run(["cp", str(big), str(copy)], check=True)
    fsync_path(copy)
    cp_sync = time.perf_counter() - start
    settle(copy)

    console.print("big file: lawtrail ingest …")
    env = new_site(folder / "site-big")
    subprocess.run(["sync"], check=True)
    warm(big)
    ingest, rss = run_timed([*LAWTRAIL, "ingest", str(big), "--device", DEVICE, "--json"], env)
    settle(folder / "site-big")

    console.print("big file: plain cp …")
    warm(big)
    start = time.perf_counter()
    subprocess.run(["cp", str(big), str(copy)], check=True)
    cp_plain = time.perf_counter() - start
    settle(copy)

    mb = size / 1e6
    ingest_rate, sync_rate, plain_rate = mb / ingest, mb / cp_sync, mb / cp_plain
    ratio = ingest_rate / sync_rate
    label = f"{size / (1 << 30):.2f} GiB" if size >= 1 << 30 else f"{size / MIB:.0f} MiB"
    return [
        Result(f"CLI ingest of one {label} file", ingest_rate, sync_rate, "cp + fsync", "MB/s",
               "≥ 0.85× cp", ratio >= 0.85),
        Result("  same, against plain cp (no fsync)", ingest_rate, plain_rate, "plain cp", "MB/s", "—", None),
        Result("  peak RSS of the ingest process", rss / MIB, None, "", "MiB", "< 100 MiB", rss < 100 * MIB),
    ]


def bench_photos(folder: Path, photos: Path, console: Console) -> list[Result]:
    count = sum(1 for p in photos.rglob("*.jpg"))
    copy = folder / "photos-copy"
    settle(copy)
    warm(photos)
    console.print(f"photos: cp -r of {count:,} files …")
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(photos), str(copy)], check=True)
    cp_plain = time.perf_counter() - start
    settle(copy)
    start = time.perf_counter()
    subprocess.run(["cp", "-r", str(photos), str(copy)], check=True)
    subprocess.run(["sync", "-f", str(copy)], check=True)
    cp_sync = time.perf_counter() - start
    settle(copy)

    console.print(f"photos: lawtrail ingest of {count:,} files …")
    env = new_site(folder / "site-photos")
    subprocess.run(["sync"], check=True)
    warm(photos)
    ingest, rss = run_timed([*LAWTRAIL, "ingest", str(photos), "--device", DEVICE, "--json"], env)
    settle(folder / "site-photos")
    rate = count / ingest
    return [
        Result(f"CLI ingest of {count:,} photos (≈ 200 KB, EXIF)", rate, count / cp_plain, "cp -r", "files/s",
               "≥ 200 files/s", rate >= 200),
        Result("  same, against cp -r + sync -f", rate, count / cp_sync, "cp -r + sync", "files/s", "—", None),
        Result("  peak RSS of the ingest process", rss / MIB, None, "", "MiB", "—", None),
    ]


def _server_peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*LAWTRAIL, "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**env, "LAWTRAIL_LOG_LEVEL": "WARNING"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("lawtrail serve did not start")


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb", buffering=0) as f:
        while block := f.read(BLOCK):
            yield block


def _upload(url: str, token: str, big: Path) -> float:
    """Create and send ``big`` in one streamed PATCH; return the seconds it took."""
    size = big.stat().st_size
    headers = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    meta = encode_metadata({"filename": big.name, "device": DEVICE})
    with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
        start = time.perf_counter()
        created = client.post("/api/v1/uploads", headers={"Upload-Length": str(size), "Upload-Metadata": meta})
        if created.status_code != 201:
            raise SystemExit(f"upload creation failed: {created.status_code} {created.text}")
        done = client.patch(created.headers["Location"], content=_blocks(big), headers={
            "Upload-Offset": "0", "Content-Length": str(size), "Content-Type": "application/offset+octet-stream"})
        elapsed = time.perf_counter() - start
    if done.status_code != 204 or done.headers.get("Lawtrail-Status") != "stored":
        raise SystemExit(f"upload failed: {done.status_code} {done.text}")
    return elapsed


def bench_http(folder: Path, big: Path, console: Console) -> list[Result]:
    size = big.stat().st_size
    copy = folder / "copy.bin"
    settle(copy)
    warm(big)
    console.print("HTTP upload: cp + fsync …")
    start = time.perf_counter()
    subprocess.run(["cp", str(big), str(copy)], check=True)
    fsync_path(copy)
    cp_sync = time.perf_counter() - start
    settle(copy)

    console.print("HTTP upload: lawtrail serve + streaming tus client …")
    env = new_site(folder / "site-http")
    issued = subprocess.run([*LAWTRAIL, "user", "token", "admin", "--name", "bench", "--json"], env=env,
                            check=True, capture_output=True, text=True)
    token = json.loads(issued.stdout)["token"]
    server, url = _start_server(env)
    try:
        subprocess.run(["sync"], check=True)
        warm(big)
        elapsed = _upload(url, token, big)
        rss = _server_peak_rss(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    settle(folder / "site-http")
    mb = size / 1e6
    rate, sync_rate = mb / elapsed, mb / cp_sync
    label = f"{size / (1 << 30):.2f} GiB" if size >= 1 << 30 else f"{size / MIB:.0f} MiB"
    return [
        Result(f"HTTP upload (tus, loopback) of one {label} file", rate, sync_rate, "cp + fsync", "MB/s",
               "≥ 0.6× cp", rate / sync_rate >= 0.6),
        Result("  peak RSS of the server process", rss / MIB, None, "", "MiB", "—", None),
    ]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench-vault", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, figures meaningless")
    parser.add_argument("--big-mib", type=int, help="size of the big file in MiB (default 2048)")
    parser.add_argument("--photos", type=int, help="number of photos (default 10,000)")
    parser.add_argument("--only", choices=("cli", "photos", "http"), action="append",
                        help="run only these figures (repeatable; default all)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "lawtrail-bench-vault",
                        help="where inputs are cached and copies go (one file system)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL_SIZES
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def run(args: argparse.Namespace, console: Console) -> list[Result]:
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / f"big-{args.big_mib}MiB.bin"
    photos = folder / f"photos-{args.photos}"
    only = set(args.only or ("cli", "photos", "http"))
    results: list[Result] = []
    if only & {"cli", "http"}:
        make_big(big, args.big_mib, console)
    if "cli" in only:
        results += bench_big(folder, big, console)
    if "photos" in only:
        make_photos(photos, args.photos, console)
        results += bench_photos(folder, photos, console)
    if "http" in only:
        results += bench_http(folder, big, console)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    console = Console(width=max(Console().width, 150))
    results = run(args, console)
    console.print(render("lawtrail vault benchmark", results, args.quick))
    console.print(f"inputs cached in {args.dir}; children's max RSS so far "
                  f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
