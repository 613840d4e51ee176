"""The dashboard end to end: the real app in headless Chromium runs a short simulation.

Playwright drives the system Chromium (``make test`` installs it where it can, ``.ci/run``
always); its own browsers are not used. ``$R2R_CHROMIUM`` names another browser. Where there is
no Chromium these tests are skipped, saying how to install it, except under ``CI=true``, where a
missing browser is an error.
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
    tmp_path = tmp_path_factory.mktemp("app")
    port = free_port()
    env = {**os.environ, "R2R_STORE": str(tmp_path / "store.sqlite")}
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
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def set_number(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def test_a_short_simulation_in_the_browser(app_url: str, page: Page, tmp_path: Path) -> None:
    page.goto(f"{app_url}/simulate")
    expect(page.get_by_role("button", name="Run simulation")).to_be_visible(timeout=60_000)
    set_number(page, "Horizon, days", "1")
    set_number(page, "Replications", "2")
    page.get_by_role("button", name="Run simulation").click()
    cards = page.locator('[data-testid="stMetric"]')
    expect(cards.first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Bottleneck (active-period method)")).to_be_visible()
    assert cards.count() >= 3
    assert "[" in cards.first.inner_text()  # mean [95 % CI]
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "simulate.png"), full_page=True)
    assert (tmp_path / "simulate.png").stat().st_size > 10_000
    # the run is in the store, and the History page lists it
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("Export as")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_an_uploaded_scenario_with_mistakes_lists_them_by_path(
    app_url: str, page: Page, tmp_path: Path
) -> None:
    text = (ROOT / "scenarios" / "validation" / "two_station_fluid.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("web_width_m: 1.0", "web_width_m: -1", 1))
    page.goto(app_url)
    expect(page.get_by_text("Bundled scenario")).to_be_visible(timeout=60_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    expect(page.get_by_text("bad.yaml: 1 problem(s)")).to_be_visible(timeout=30_000)
    problems = page.locator('[data-testid="stTable"]').first
    expect(problems).to_contain_text("products[0].web_width_m", timeout=10_000)
    expect(problems).to_contain_text("must be > 0 (got -1)")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "scenario-problems.png"))
