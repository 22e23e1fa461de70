"""End-to-end fixtures: a data folder with the demo data loaded once per worker and copied for
each user (decision 0049); the real app under uvicorn on a free port over such a copy, driven by
Debian's chromium through Playwright (sync API)."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.services.demo import DEMO_PASSWORD, load_demo
from lawtrail.web.app import create_app

# Assertions wait up to 15 s (Playwright's default is 5 s): on a loaded 2-core machine a page can
# take that long; an assertion that is wrong still fails, only later.
expect.set_options(timeout=15_000)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 900}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class LiveServer:
    url: str
    container: Container


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite data folder (database, vault, uploads) with the demo data loaded once in this
    worker's session, as ``live_server`` used to load it for itself: the demo bureau, people,
    devices and cases, password hashes at the fast Argon2id cost (``fast_hashing``).

    Nothing opens it after this fixture: users take a copy (``demo_folder``). The container is
    closed before the first copy and the fixture checks that SQLite left no ``-wal``/``-shm``
    file beside the database (one would mean an open connection and a copy that could miss
    committed pages), as the migrated templates of decision 0043 do."""
    folder = tmp_path_factory.mktemp("demo-template")
    # database_url="" keeps a LAWTRAIL_DATABASE_URL from the environment out of this SQLite run;
    # fast_hashing: Argon2id at full cost takes ~0.5 s a login here, the suite logs in ~40 times
    # (and load_demo hashes ~20 passwords: 4.6 s of its 8 s at full cost).
    container = build(load_settings(data_dir=folder, demo=True, database_url=""), fast_hashing=True)
    try:
        container.migrate()
        load_demo(container)
    finally:
        container.close()
    sidecars = sorted(p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-shm", "-journal")))
    assert not sidecars, f"the demo template is still open: {sidecars}"
    return folder


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Callable[[str], Path]:
    """``demo_folder(name)``: a new folder holding a copy of the demo data folder, to change at will."""

    def copy(name: str) -> Path:
        folder = tmp_path_factory.mktemp(name)
        shutil.copytree(demo_template, folder, dirs_exist_ok=True)
        return folder

    return copy


@pytest.fixture(scope="session")
def live_server(demo_folder: Callable[[str], Path]) -> Iterator[LiveServer]:
    """The whole app, as `lawtrail serve` runs it, in a background thread, on a copy of the demo."""
    data_dir = demo_folder("lawtrail-data")
    container = build(load_settings(data_dir=data_dir, demo=True, database_url=""), fast_hashing=True)
    container.migrate()  # at head already: a no-op, as at every start of `lawtrail serve --demo`
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(container), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, name="lawtrail-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", container)
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (see DESIGN.md)")
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@dataclass
class Tab:
    """One browser tab logged in as nobody yet, with helpers the tests share."""

    page: Page
    base: str
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        """A full-page screenshot in test-artifacts/screenshots/<name>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")  # sticky bars draw at the scroll offset otherwise
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, username: str, password: str = DEMO_PASSWORD, *, expect_path: str | None = "/") -> None:
        if "/login" not in self.page.url:
            self.go("/login")
        self.page.get_by_label("用户名", exact=True).fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录", exact=True).click()
        if expect_path is not None:
            self.page.wait_for_url(re.compile(re.escape(self.base + expect_path) + r"(\?.*)?$"))

    def logout(self) -> None:
        self.page.locator(".logout-form button").click()
        self.page.wait_for_url(re.compile(r"/login\?reason=logged_out"))

    def nav(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".nav .nav-item span").all_text_contents()]

    def flash(self) -> str:
        return self.page.locator("[data-flash]").inner_text().replace("×", "").strip()


def open_tab(browser: Browser, base: str) -> tuple[Tab, BrowserContext]:
    """A fresh tab with its own cookie jar, at 1366×900, recording console errors and CSP reports.

    Confirm dialogs (data-confirm) are accepted and their messages kept in ``Tab.dialogs``.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(30_000)  # generous: a loaded 2-core machine is slow, never wrong
    tab = Tab(page=context.new_page(), base=base)

    def on_console(msg: ConsoleMessage) -> None:
        # A 4xx page (a refused form, a wrong password) is logged as a failed load: expected.
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            tab.problems.append(msg.text)

    def on_dialog(dialog: Dialog) -> None:
        tab.dialogs.append(dialog.message)
        dialog.accept()

    tab.page.on("console", on_console)
    tab.page.on("pageerror", lambda exc: tab.problems.append(str(exc)))
    tab.page.on("dialog", on_dialog)
    return tab, context


@pytest.fixture
def new_tab(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[], Tab]]:
    """Open fresh tabs for one test; fail the test on script errors or CSP violations."""
    opened: list[tuple[Tab, BrowserContext]] = []

    def make() -> Tab:
        opened.append(open_tab(browser, live_server.url))
        return opened[-1][0]

    yield make
    for _tab, context in opened:
        context.close()
    problems = [p for tab, _context in opened for p in tab.problems]
    assert not problems, f"browser console errors (CSP or script): {problems}"
