"""The Calibrate page end to end: a log uploaded in headless Chromium shows its fits.

Uses the dashboard's browser-test fixtures (system Chromium through Playwright).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.history_cases import DATA, recorded_run
from tests.test_dashboard_e2e import app_url, chromium, page  # noqa: F401  (fixtures)
from twin.history import write_event_log
from twin.scenario import load_scenario


def test_upload_a_log_see_the_fits_and_download(app_url: str, page: Page, tmp_path: Path) -> None:  # noqa: F811
    scenario = load_scenario(DATA / "round_trip.yaml")
    records, _ = recorded_run(scenario, horizon_min=120 * 1440)
    log = tmp_path / "plant-log.csv"
    write_event_log(records, log, scenario.start, 120 * 1440)
    page.goto(app_url)
    expect(page.get_by_text("Bundled scenario")).to_be_visible(timeout=60_000)
    uploads = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploads.first.set_input_files(str(DATA / "round_trip.yaml"))
    expect(page.get_by_text("round_trip.yaml: 'History round trip' is valid")).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("link", name="Calibrate", exact=True).click()
    expect(page.get_by_text("Event log (CSV or Parquet)")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Calibrating History round trip")).to_be_visible()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(log))
    expect(page.get_by_text("plant-log.csv:")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Download calibrated scenario (YAML)")).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 4
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "calibrate.png"), full_page=True)
    assert (tmp_path / "calibrate.png").stat().st_size > 10_000
