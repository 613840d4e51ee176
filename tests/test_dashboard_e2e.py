"""The dashboard end to end: the real app in headless Chromium runs a short simulation.

How the browser is found and the app served, and when these tests are skipped: tests/browser.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.browser import ROOT, Page, app_url, chromium, expect, page, set_number

__all__ = ["app_url", "chromium", "page"]  # fixtures, found by pytest here


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
