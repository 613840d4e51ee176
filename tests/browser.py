"""What the browser tests share: the system Chromium, the app served on a free port, a page.

Playwright drives the system Chromium (``make test`` installs it where it can, ``.ci/run``
always); its own browsers are not used. ``$R2R_CHROMIUM`` names another browser. Where there is
no Chromium the browser tests are skipped, saying how to install it, except under ``CI=true``,
where a missing browser is an error. The app runs this checkout's code (``PYTHONPATH``), not
whatever copy of the package is installed. Screenshots go to ``$R2R_SCREENSHOTS`` if set (to
look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

BROWSER_ENV = "R2R_CHROMIUM"
SCREENSHOTS_ENV = "R2R_SCREENSHOTS"
INSTALL = "sudo apt-get install chromium (make test does this where it may; .ci/run always)"


def in_ci() -> bool:
    """Whether this is a CI run, where nothing the tests need may be missing."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:
    if in_ci():
        raise
    pytest.skip(
        "the browser tests need Playwright: pip install playwright (make install does)",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_chromium() -> tuple[str | None, str]:
    """The Chromium to drive (``$R2R_CHROMIUM``, else chromium on the PATH), or None and why."""
    named = os.environ.get(BROWSER_ENV)
    if named is not None:
        found = shutil.which(named)
        return found, f"${BROWSER_ENV}={named!r} is not an executable"
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found, ""
    return None, "Chromium is not installed (no chromium on the PATH)"


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser's path; skips the browser tests (fails them under CI=true) without one."""
    found, why = find_chromium()
    if found is None:
        message = f"the browser tests need Chromium: {why}; install it with: {INSTALL}"
        if in_ci():
            pytest.fail(f"{message} (CI=true: a missing browser is an error)", pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def app_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served by ``streamlit run`` on a free port, with a store of its own."""
    tmp_path = tmp_path_factory.mktemp("app")
    port = free_port()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "R2R_STORE": str(tmp_path / "store.sqlite"), "PYTHONPATH": path}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                assert server.poll() is None, "streamlit exited"
                assert time.monotonic() < deadline, "streamlit did not start"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def page(chromium: str) -> Iterator[Page]:
    """A fresh browser page, 1400 x 1000."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``$R2R_SCREENSHOTS`` (created) or the test's temporary folder."""
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def set_number(page: Page, label: str, value: str) -> None:
    """Type a value into the number field labelled ``label`` and leave it."""
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def no_exception(page: Page) -> None:
    """The page shows no Streamlit exception box."""
    assert page.locator('[data-testid="stException"]').count() == 0


def snap(page: Page, path: Path) -> None:
    """A screenshot of the whole page: Streamlit scrolls its main block, not the window."""
    main = page.locator('[data-testid="stMain"]')
    height = int(main.evaluate("m => m.scrollHeight")) if main.count() else 1000
    size = page.viewport_size or {"width": 1400, "height": 1000}
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.wait_for_timeout(500)  # charts redraw to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


__all__ = [
    "ROOT",
    "Page",
    "app_url",
    "chromium",
    "expect",
    "find_chromium",
    "in_ci",
    "no_exception",
    "page",
    "set_number",
    "shots",
    "snap",
]
