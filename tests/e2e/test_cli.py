"""End to end: the real ``lawtrail`` command on a temporary SQLite data folder.

Most commands run in this process through the entry point's own function
(``lawtrail.cli.main.run``, what the installed script calls), with their own ``sys.argv``,
environment, stdin, stdout and stderr (Click's ``CliRunner.isolation``): a Python start and
the CLI's imports cost ~1.5 s of CPU a command, and the suite runs a few hundred commands
(decision 0049). ``Site.run_process`` runs the installed ``lawtrail`` script as a subprocess;
the tests that prove the entry point, the exit statuses 0/1/2 of a real process, the one-line
error on stderr and a hidden prompt without a terminal use it.

What the CLI wrote is checked through the CLI's own ``--json`` lists and, where the CLI cannot
show it (the event trail, a password, a token), by reading the same data folder in-process.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lawtrail.bootstrap import Container, build
from lawtrail.cli.main import run as entry_point
from lawtrail.config import load_settings
from lawtrail.services import auth, demo
from lawtrail.services.demo import DEMO_PASSWORD
from lawtrail.services.demo_scenarios import DEMO_CASES

_SCRIPT = shutil.which("lawtrail", path=str(Path(sys.executable).parent))
LAWTRAIL = [_SCRIPT] if _SCRIPT else [sys.executable, "-m", "lawtrail.cli.main"]
ADMIN_PASSWORD = "Admin-pass-2026"
PASSWORD = "Officer-pass-2026"
ERROR_LINE = re.compile(r"^错误 / error: .+ / .+ \[[a-z_.]+\]$")
_RUNNER = CliRunner()  # UTF-8 streams, like the subprocess runs' text=True here


def run_in_process(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``lawtrail *args`` through the entry point's function, in this process.

    ``env`` is the whole environment the command sees: variables of this process that it does
    not carry are hidden for the run. Exit statuses come from the ``SystemExit`` the entry point
    raises (Click's standalone mode always raises one); an exception that escapes it is a crash
    and fails the test, as a traceback would in a subprocess.
    """
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in env}
    overrides.update(env)
    with _RUNNER.isolation(input=stdin, env=overrides) as (out, err, _mixed):
        saved_argv, sys.argv = sys.argv, ["lawtrail", *args]
        try:
            entry_point()
            code = 0  # unreachable in standalone mode; kept so a change there cannot hide a status
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                sys.stderr.write(f"{exc.code}\n")
        finally:
            sys.argv = saved_argv
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["lawtrail", *args], code, stdout, stderr)


@dataclass
class Site:
    """A data folder and the environment that points the CLI at it."""

    data_dir: Path
    env: dict[str, str]
    seen: dict[tuple[str, int], Any] = field(default_factory=dict)

    def run(self, *args: str, code: int = 0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``lawtrail *args`` in this process (see the module's docstring); assert its exit status."""
        proc = run_in_process(list(args), self.env, stdin)
        assert proc.returncode == code, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        return proc

    def run_process(self, *args: str, code: int = 0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``lawtrail *args`` as a subprocess of the installed script; assert its exit status."""
        proc = subprocess.run(
            [*LAWTRAIL, *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=120,
            start_new_session=True,  # no controlling terminal: hidden prompts read stdin
        )
        assert proc.returncode == code, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def fail(self, *args: str, code: int = 1, process: bool = False) -> str:
        """Run a command that must fail (as a subprocess when ``process``); return its single stderr line."""
        proc = self.run_process(*args, code=code) if process else self.run(*args, code=code)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert ERROR_LINE.match(lines[0]), lines[0]
        assert proc.stdout == ""
        return lines[0]

    @contextmanager
    def container(self) -> Iterator[Container]:
        """The same data folder, opened in this process (to read what the CLI cannot show)."""
        settings = load_settings(data_dir=self.data_dir, database_url="", demo=True)
        c = build(settings)
        try:
            yield c
        finally:
            c.close()

    def listing(self, kind: str) -> Any:
        """``<kind> list --json``, reused while the trail has not grown (bad input writes nothing)."""
        key = (kind, self.event_count())
        if key not in self.seen:
            self.seen[key] = self.json(kind, "list")
        return self.seen[key]

    def event_count(self) -> int:
        with self.container() as c, c.uow() as uow:
            return uow.events.count()


def make_site(root: Path, **extra: str) -> Site:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAWTRAIL_")}
    env.update(LAWTRAIL_DATA_DIR=str(root), LAWTRAIL_PASSWORD_MIN_LENGTH="12", COLUMNS="200", **extra)
    return Site(root, env)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """An initialised folder (bureau JMSCJG, unit ADMIN, user admin) with one camera."""
    s = make_site(tmp_path_factory.mktemp("site"))
    s.run("init", "--admin-password", ADMIN_PASSWORD)
    s.run("device", "add", "JM-ZFJLY-900", "--type", "body_camera", "--unit", "ADMIN")
    return s


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A folder holding the demo data (demo mode: no secret of its own)."""
    s = make_site(tmp_path_factory.mktemp("demo"), LAWTRAIL_DEMO="true")
    s.run("demo")
    return s


def by(rows: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    found = [r for r in rows if r[key] == value]
    assert len(found) == 1, (value, rows)
    return found[0]


# ---- help, init, db ---------------------------------------------------------------------


def test_help_is_in_chinese_and_english(site: Site) -> None:
    out = site.run_process("--help").stdout  # the installed script, exit 0
    assert "初始化数据目录 / Initialise the data folder" in out
    for group in ("unit", "user", "device", "db", "serve", "demo"):
        assert group in out


def test_init_writes_secret_bureau_first_unit_and_admin(site: Site) -> None:
    secret = site.data_dir / "secret.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) >= 32
    units = site.json("unit", "list")
    admin_unit = by(units, "code", "ADMIN")
    assert admin_unit["name"] == "办公室" and admin_unit["kind"] == "business_section"
    admin = by(site.json("user", "list"), "username", "admin")
    assert admin["roles"] == ["admin"] and admin["unit"] == "ADMIN" and admin["active"] is True
    with site.container() as c, c.uow() as uow:
        first = uow.events.list(limit=1000)[-1]
    assert (first.action, first.actor_name) == ("org:bureau:create", "lawtrail init")


def test_init_twice_says_already_initialised(site: Site) -> None:
    before = site.event_count()
    proc = site.run("init", "--admin-password", "Another-pass-2026")
    assert "已初始化" in proc.stdout and "already initialised" in proc.stdout
    assert site.event_count() == before


def test_init_with_weak_password_writes_nothing(tmp_path: Path) -> None:
    s = make_site(tmp_path)
    line = s.fail("init", "--admin-password", "short")
    assert "密码至少12位" in line and "at least 12 characters" in line
    assert s.event_count() == 0
    s.run_process("init", "--admin-password", ADMIN_PASSWORD, "--bureau-code", "TEST", "--bureau-name", "测试局")
    assert [u["username"] for u in s.json("user", "list")] == ["admin"]


def test_demo_refuses_a_folder_of_another_bureau(tmp_path: Path) -> None:
    s = make_site(tmp_path)
    s.run("init", "--admin-password", ADMIN_PASSWORD, "--bureau-code", "TEST", "--bureau-name", "测试局")
    events = s.event_count()
    assert "[demo.folder_in_use]" in s.fail("demo")
    assert s.event_count() == events


def test_demo_in_an_initialised_demo_bureau_changes_nothing(site: Site) -> None:
    events = site.event_count()
    result = site.json("demo")
    assert result["loaded"] is False
    assert result["logins"] == []  # the administrator made by init does not have the demo password
    assert site.event_count() == events


def test_db_upgrade_and_check(site: Site) -> None:
    assert "up to date" in site.run("db", "upgrade").stdout
    assert "matches the code" in site.run("db", "check").stdout


def test_uninitialised_folder_gives_one_line_errors(tmp_path: Path) -> None:
    no_secret = make_site(tmp_path / "a")
    assert "lawtrail init" in no_secret.fail("unit", "list", process=True)  # exit 1 of a real process
    with_secret = make_site(tmp_path / "b", LAWTRAIL_SECRET_KEY="k" * 40)
    assert "[db.unavailable]" in with_secret.fail("unit", "list", process=True)


# ---- units, users, devices --------------------------------------------------------------


def test_unit_add_list_edit_deactivate_reactivate(site: Site) -> None:
    site.run("unit", "add", "ZFJCK", "执法稽查科")
    site.run("unit", "add", "HSJD", "环市街道综合执法办", "--kind", "affiliated_unit")
    site.run("unit", "edit", "HSJD", "--name", "环市街道综合执法办（受委托组织）", "--kind", "entrusted_org")
    site.run("unit", "deactivate", "HSJD")
    units = site.json("unit", "list")
    assert by(units, "code", "ZFJCK") == {"code": "ZFJCK", "name": "执法稽查科", "kind": "business_section",
                                          "kind_label": "业务科室", "active": True}
    hsjd = by(units, "code", "HSJD")
    assert hsjd["name"] == "环市街道综合执法办（受委托组织）"
    assert (hsjd["kind_label"], hsjd["active"]) == ("受委托组织", False)
    site.run("unit", "reactivate", "HSJD")
    table = site.run("unit", "list").stdout
    assert re.search(r"HSJD .*受委托组织 .*启用", table), table
    with site.container() as c, c.uow() as uow:
        trail = [(e.action, e.actor_name) for e in uow.events.list(subject_type="unit", limit=1000)]
    actions = [a for a, _ in trail]
    assert actions.count("org:unit:deactivate") == 1 and actions.count("org:unit:reactivate") == 1
    assert all(re.fullmatch(r"lawtrail-cli \(.+\)|lawtrail init", name) for _, name in trail), trail


def test_user_add_list_and_certificate_status(site: Site) -> None:
    today = date.today()
    site.run("user", "add", "chenzq", "--name", "陈志强", "--unit", "ADMIN", "--role", "officer",
             "--role", "unit_head", "--cert-number", "粤0720180001", "--cert-from", "2024-01-01",
             "--cert-to", (today + timedelta(days=900)).isoformat(), "--password", PASSWORD)
    site.run("user", "add", "lixt", "--name", "李晓婷", "--unit", "ADMIN", "--role", "officer",
             "--password", PASSWORD)
    people = site.json("user", "list")
    chen = by(people, "username", "chenzq")
    assert chen["roles"] == ["officer", "unit_head"]
    assert chen["certificate"]["number"] == "粤0720180001"
    assert (chen["cert_status"], chen["cert_status_label"]) == ("valid", "有效")
    assert by(people, "username", "lixt")["cert_status_label"] == "无执法证"
    site.run("user", "edit", "chenzq", "--cert-to", (today + timedelta(days=10)).isoformat())
    site.run("user", "edit", "lixt", "--name", "李晓婷", "--cert-number", "粤0720190002",
             "--cert-from", "2020-01-01", "--cert-to", (today - timedelta(days=1)).isoformat())
    people = site.json("user", "list")
    assert by(people, "username", "chenzq")["cert_status_label"] == "即将到期"
    assert by(people, "username", "chenzq")["certificate"]["valid_from"] == "2024-01-01"
    assert by(people, "username", "lixt")["cert_status_label"] == "已过期"
    table = site.run("user", "list").stdout
    assert "陈志强" in table and "即将到期" in table


def test_user_deactivate_reactivate_reset_password_and_token(site: Site) -> None:
    site.run("user", "add", "wulh", "--name", "吴丽华", "--unit", "ADMIN", "--role", "archivist",
             "--password", PASSWORD)
    site.run("user", "deactivate", "wulh")
    assert by(site.json("user", "list"), "username", "wulh")["active"] is False
    site.run("user", "reactivate", "wulh")
    assert by(site.json("user", "list"), "username", "wulh")["active"] is True
    site.run("user", "reset-password", "wulh", "--password", "Brand-new-pass-1")
    issued = site.json("user", "token", "wulh", "--name", "采集站01", "--days", "30")
    assert issued["token"].startswith("lt_") and issued["name"] == "采集站01"
    with site.container() as c:
        ctx = c.system_ctx()
        assert auth.token_user(c.uow(), issued["token"], ctx.now).username == "wulh"
        result = auth.login(c.uow(), ctx, c.deps, username="wulh", password="Brand-new-pass-1", ip="test")
        assert result.user.username == "wulh"


def test_reset_password_asks_twice_without_echo(site: Site) -> None:
    site.run("user", "add", "hejg", "--name", "何建国", "--unit", "ADMIN", "--role", "supervisor",
             "--password", PASSWORD)
    # A real process without a controlling terminal: the hidden prompt reads stdin.
    proc = site.run_process("user", "reset-password", "hejg", stdin="Prompted-pass-9\nPrompted-pass-9\n")
    assert "Prompted-pass-9" not in proc.stdout
    with site.container() as c:
        ok = auth.login(c.uow(), c.system_ctx(), c.deps, username="hejg", password="Prompted-pass-9", ip="t")
        assert ok.user.username == "hejg"


def test_device_add_assign_log_status_show(site: Site) -> None:
    site.run("user", "add", "zhangjj", "--name", "张俊杰", "--unit", "ADMIN", "--role", "officer",
             "--password", PASSWORD)
    site.run("device", "add", "JM-ZFJLY-101", "--type", "body_camera", "--unit", "ADMIN",
             "--make", "海康威视", "--model", "DS-MH2311", "--serial", "HK2311A0419")
    site.run("device", "add", "JM-LYSB-101", "--type", "audio_recorder", "--unit", "ADMIN")
    site.run("device", "assign", "JM-ZFJLY-101", "zhangjj")
    rows = site.json("device", "list")
    cam = by(rows, "number", "JM-ZFJLY-101")
    assert {k: cam[k] for k in ("type", "status", "unit", "holder", "serial")} == {
        "type": "body_camera", "status": "in_service", "unit": "ADMIN", "holder": "zhangjj",
        "serial": "HK2311A0419"}
    assert by(rows, "number", "JM-LYSB-101")["holder"] is None
    site.run("device", "log", "JM-ZFJLY-101", "--kind", "maintenance", "--note", "季度保养：清洁镜头")
    site.run("device", "status", "JM-ZFJLY-101", "under_repair", "--reason", "镜头进水")
    shown = site.json("device", "show", "JM-ZFJLY-101")
    assert (shown["status"], shown["holder"], shown["make"]) == ("under_repair", None, "海康威视")
    assert [e["kind"] for e in shown["log"]] == ["status", "holder", "maintenance", "status"]
    assert shown["log"][1]["holder"] == "zhangjj" and shown["log"][2]["note"] == "季度保养：清洁镜头"
    assert shown["log"][3]["status"] == "under_repair"
    assert re.fullmatch(r"lawtrail-cli \(.+\)", shown["log"][2]["actor"])
    site.run("device", "assign", "JM-ZFJLY-101", "--return")
    text = site.run("device", "show", "JM-ZFJLY-101").stdout
    assert "季度保养：清洁镜头" in text and "维修中" in text and "归还" in text


# ---- bad input: one line in both languages, exit 1, nothing written ---------------------

USER = ["user", "add", "ghost", "--name", "某人", "--unit", "ADMIN", "--role", "officer", "--password", PASSWORD]
CERT = ["--cert-number", "粤0720180009", "--cert-from", "2024-01-01", "--cert-to", "2028-12-31"]

BAD_INPUT = {
    "unknown unit": (["user", "add", "ghost", "--name", "某人", "--unit", "NOPE", "--role", "officer",
                      "--password", PASSWORD], "user", "NOPE 不存在", "unknown unit code"),
    "duplicate device number": (["device", "add", "JM-ZFJLY-900", "--type", "camera", "--unit", "ADMIN"],
                                "device", "已存在", "already exists"),
    "malformed certificate number": ([*USER, *CERT[2:], "--cert-number", "12AB"], "user",
                                     "执法证号格式不正确", "malformed certificate number"),
    "validity ends before it starts": ([*USER, *CERT[:2], "--cert-from", "2025-06-01", "--cert-to",
                                        "2025-05-31"], "user", "结束日期早于开始日期", "ends before it starts"),
    "malformed date": ([*USER, *CERT[:4], "--cert-to", "2028/12/31"], "user", "YYYY-MM-DD", "YYYY-MM-DD"),
    "empty unit name": (["unit", "add", "EMPTY", "  "], "unit", "机构名称不能为空", "must not be empty"),
    "empty person name": ([*USER[:3], "--name", "", *USER[5:]], "user", "姓名不能为空", "must not be empty"),
    "unknown device type": (["device", "add", "JM-X-1", "--type", "toaster", "--unit", "ADMIN"], "device",
                            "设备类型须为", "device type must be one of"),
    "empty status reason": (["device", "status", "JM-ZFJLY-900", "lost", "--reason", ""], "device",
                            "原因不能为空", "must not be empty"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_is_refused_in_one_line_and_writes_nothing(site: Site, case: str) -> None:
    args, listed, zh, en = BAD_INPUT[case]
    before, events = site.listing(listed), site.event_count()
    line = site.fail(*args)
    assert zh in line and en in line
    assert site.json(listed, "list") == before
    assert site.event_count() == events


def test_usage_errors_exit_2(site: Site) -> None:
    proc = site.run_process("device", "assign", "JM-ZFJLY-900", code=2)  # exit 2 of a real process
    assert "--return" in proc.stderr


# ---- demo and serve ---------------------------------------------------------------------


def test_demo_loads_a_realistic_bureau_once(demo_site: Site) -> None:
    again = demo_site.json("demo")
    assert again["loaded"] is False and again["bureau"] == "JMSCJG"
    assert again["password"] == DEMO_PASSWORD
    assert {x["username"]: x["role"] for x in again["logins"]} == {
        "officer": "officer", "officer2": "officer", "unithead": "unit_head", "reviewer": "legal_reviewer",
        "leader": "leader", "archivist": "archivist", "supervisor": "supervisor", "admin": "admin"}
    people = demo_site.json("user", "list")
    assert len(people) >= 15
    assert {p["cert_status"] for p in people} >= {"valid", "expiring", "expired", "missing"}
    assert {r for p in people for r in p["roles"]} == {
        "officer", "unit_head", "legal_reviewer", "leader", "archivist", "supervisor", "admin"}
    kinds = {u["kind"] for u in demo_site.json("unit", "list")}
    assert kinds == {"business_section", "affiliated_unit", "entrusted_org"}
    devices = demo_site.json("device", "list")
    assert {d["type"] for d in devices} == {"body_camera", "audio_recorder", "camera", "counter_video"}
    assert [d["number"] for d in devices if d["status"] == "under_repair"] == ["JM-ZFJLY-005"]
    assert by(devices, "number", "JM-ZFJLY-001")["holder"] == "officer"
    with demo_site.container() as c, c.uow() as uow:
        events = uow.events.list(limit=10_000)
    # The loader acts as the system, except the approvals: each opinion is given by its person.
    approvers = {e.actor_name for e in events if e.action.startswith("case:approval:")}
    assert {e.actor_name for e in events} - approvers == {"lawtrail demo"}
    assert approvers <= {p.name for p in demo.PEOPLE} and len(approvers) >= 4
    holders = sum(1 for d in demo.DEVICES if d[-1] is not None)
    changes = 1 + len(demo.UNITS) + len(demo.PEOPLE) + len(demo.DEVICES) + holders + len(demo.DEVICE_LOG) + 1
    changes += sum(x.events for x in DEMO_CASES)  # open, approvals, moves, closing; records, signatures, photos
    assert len(events) == changes  # each change of the demo is one event in the trail


def test_serve_demo_prints_logins_and_serves(demo_site: Site) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([*LAWTRAIL, "serve", "--demo", "--port", str(port)], env=demo_site.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    try:
        printed = _read_until(lines, f"密码 / password of every demo login: {DEMO_PASSWORD}")
        assert f"http://127.0.0.1:{port}/" in printed
        for username in ("officer", "officer2", "unithead", "reviewer", "leader", "archivist",
                         "supervisor", "admin"):
            assert re.search(rf"\b{username}\b", printed)
        assert "分管领导" in printed and "执法监督人员" in printed
        assert _get_status(f"http://127.0.0.1:{port}/openapi.json") == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Forward the server's output line by line (a read on the pipe itself could block forever)."""
    for line in proc.stdout or []:
        lines.put(line)


def _read_until(lines: queue.Queue[str], marker: str, timeout: float = 60) -> str:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            continue
        if marker in seen[-1]:
            return "".join(seen)
    raise AssertionError("server never printed the demo logins:\n" + "".join(seen))


def _get_status(url: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 -- a fixed local http URL
                return int(response.status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
