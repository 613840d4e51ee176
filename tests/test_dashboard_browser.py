"""Issue 17's panels end to end in headless Chromium: playback, four-way compare, a variant.

The playback is checked against the event log: the twin is deterministic, so the test runs the
same replication the page ran (the baseline, 3 days, the scenario's seed) with its buffer log
and counts by hand each store's rolls (entries minus exits up to the moment) and each
accumulator's level (on the straight line between its two logged entries) at the moment the
page shows after the slider moved. Screenshots of each page go to ``$R2R_SCREENSHOTS``
(tests/browser.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard.layout import PlantLayout
from tests.browser import (
    Page,
    app_url,
    chromium,
    expect,
    no_exception,
    page,
    set_number,
    shots,
    snap,
)
from tests.conftest import SCENARIOS
from tests.test_dashboard_plant import level_at
from twin import BufferChange, RunOptions, SimulationResult, load_scenario, simulate
from twin.state import state_text

__all__ = ["app_url", "chromium", "page", "shots"]  # fixtures, found by pytest here

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
LAYOUT = PlantLayout.of(BASELINE)
DAYS = 3
PAGES = {
    "scenario": "Scenario",
    "variants": "Variants",
    "plant": "Plant",
    "simulate": "Simulate",
    "schedule": "Schedule",
    "compare": "Compare",
    "studies": "Studies",
    "history": "History",
    "calibrate": "Calibrate",
}
"""Each page's address and its title."""
WAIT_MS = 60_000
OTHERS = (
    "baseline_large_accumulator.yaml",
    "baseline_extra_pecvd_source.yaml",
    "baseline_two_shifts.yaml",
)
"""The bundled scenarios compared with the one being edited (the baseline)."""
ACC2 = "lines[INL1].buffers[ACC2].capacity_m"
SNAPSHOT_MIN = 8 * 1440
"""The state file's moment: 2026-12-15 06:00, 8 days after the baseline's start."""
STEP = dt.timedelta(minutes=10)
"""The playback slider's step."""


@pytest.fixture(scope="module")
def replication() -> SimulationResult:
    """The run the Simulate page makes with 3 days and 1 replication, with its logs."""
    options = RunOptions.of(
        BASELINE, replications=1, horizon_min=DAYS * 1440, event_log=True, genealogy=True
    )
    return simulate(BASELINE, options)


def rolls_at(log: list[BufferChange], store: str, minute: float) -> int:
    """The rolls in ``store`` just after ``minute``: its entries minus its exits by then."""
    inside: set[str] = set()
    for change in (c for c in log if c.buffer == store and c.minute <= minute and c.roll):
        if change.change == "in":
            inside.add(change.roll or "")
        else:
            inside.discard(change.roll or "")
    return len(inside)


def part_full(
    log: list[BufferChange], accumulator: str, after: float, unlike: float = -1.0
) -> float:
    """The first slider moment after ``after`` when ``accumulator`` is neither empty nor full.

    Moments are 10 min apart from the start; the level there, read off the log by hand, is
    more than 1 m from ``unlike``.
    """
    capacity = next(b.capacity for b in LAYOUT.buffers.values() if b.id == accumulator)
    minute = after - after % 10

    def wanted(level: float) -> bool:
        return 1 < level < capacity - 1 and abs(level - unlike) > 1

    while not wanted(level_at(log, accumulator, minute)):
        minute += 10
        assert minute < DAYS * 1440, f"{accumulator} is never part full after {after} min"
    return minute


def table_rows(page: Page, first_header: str) -> dict[str, list[str]]:
    """A ``st.table`` whose first header is ``first_header``: its rows by their first cell."""
    table = page.locator('[data-testid="stTable"] table').filter(
        has=page.locator("th", has_text=first_header)
    )
    rows: dict[str, list[str]] = {}
    for row in table.first.locator("tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("th, td").all()]
        rows[cells[0]] = cells[1:]
    return rows


def shown_moment(page: Page) -> dt.datetime:
    """The moment the playback says it shows (``The plant at 2026-12-08 07:10``)."""
    heading = page.get_by_text("The plant at ", exact=False).first.inner_text()
    return dt.datetime.strptime(heading.split("The plant at ")[1][:16], "%Y-%m-%d %H:%M")


def slide_to(page: Page, minute: float, horizon_min: float, start: dt.datetime) -> dt.datetime:
    """Click the playback slider's track where ``minute`` is, then step to it with the keys."""
    track = page.locator('[data-testid="stSlider"] [role="group"] > div').first
    box = track.bounding_box()
    assert box is not None
    before = shown_moment(page)
    page.mouse.click(box["x"] + minute / horizon_min * box["width"], box["y"] + box["height"] / 2)
    expect(page.get_by_text(f"The plant at {before:%Y-%m-%d %H:%M}")).to_have_count(
        0, timeout=WAIT_MS
    )
    settled(page)
    for _ in range(10):
        steps = round((start + dt.timedelta(minutes=minute) - shown_moment(page)) / STEP)
        if steps == 0:
            break
        page.get_by_role("slider").press("ArrowRight" if steps > 0 else "ArrowLeft")
        settled(page)
    return shown_moment(page)


def settled(page: Page) -> None:
    """Wait until the rerun has drawn everything: no element is left from the run before."""
    page.wait_for_timeout(300)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=WAIT_MS)


def simulate_in_browser(page: Page, url: str, days: str, replications: str) -> None:
    page.goto(f"{url}/simulate")
    expect(page.get_by_role("button", name="Run simulation")).to_be_visible(timeout=WAIT_MS)
    set_number(page, "Horizon, days", days)
    set_number(page, "Replications", replications)
    page.get_by_role("button", name="Run simulation").click()
    expect(page.locator('[data-testid="stMetric"]').first).to_be_visible(timeout=WAIT_MS)


def test_the_playback_shows_each_store_and_accumulator_as_the_event_log_has_them(
    app_url: str, page: Page, shots: Path, replication: SimulationResult
) -> None:
    simulate_in_browser(page, app_url, str(DAYS), "1")
    page.get_by_role("link", name="Plant").click()
    expect(page.get_by_text("working share").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=WAIT_MS)
    no_exception(page)
    snap(page, shots / "plant-diagram.png")
    page.get_by_label("Details of (or click a box)").click()
    page.keyboard.type("PC1")
    page.keyboard.press("Enter")
    expect(page.get_by_text("OEE")).to_be_visible(timeout=WAIT_MS)
    settled(page)
    no_exception(page)
    snap(page, shots / "plant-station.png")
    page.get_by_text("Playback of replication 1").click()
    expect(page.get_by_role("slider")).to_be_attached(timeout=WAIT_MS)
    log = replication.buffer_events or []
    start = (BASELINE.start or dt.datetime(2000, 1, 1)).replace(tzinfo=None)
    seen: list[tuple[dict[str, int], dict[str, float]]] = []
    for share, name in ((0.3, "playback-1.png"), (0.7, "playback-2.png")):
        first = seen[0][1]["ACC1"] if seen else -1.0
        target = part_full(log, "ACC1", share * DAYS * 1440, unlike=first)
        moment = slide_to(page, target, DAYS * 1440, start)
        assert moment == start + dt.timedelta(minutes=target)
        minute = (moment - start).total_seconds() / 60
        assert 0 < minute < DAYS * 1440
        stores, accumulators = table_rows(page, "store"), table_rows(page, "accumulator")
        assert set(stores) == {b.id for b in LAYOUT.buffers.values() if b.kind == "roll_store"}
        assert set(accumulators) == {
            b.id for b in LAYOUT.buffers.values() if b.kind != "roll_store"
        }
        for store, cells in stores.items():
            assert int(cells[0]) == rolls_at(log, store, minute), (store, moment)
        for accumulator, cells in accumulators.items():
            expected = level_at(log, accumulator, minute)
            assert float(cells[0]) == pytest.approx(expected, abs=0.051), (accumulator, moment)
        seen.append(
            (
                {s: int(c[0]) for s, c in stores.items()},
                {a: float(c[0]) for a, c in accumulators.items()},
            )
        )
        no_exception(page)
        snap(page, shots / name)
    (stores_1, levels_1), (stores_2, levels_2) = seen
    assert stores_1 != stores_2 and levels_1 != levels_2  # the slider moved the picture


def test_four_scenarios_compared_side_by_side(app_url: str, page: Page, shots: Path) -> None:
    page.goto(f"{app_url}/compare")
    picker = page.get_by_label(
        "Scenarios (the first is the base): the one being edited, bundled ones, stored variants"
    )
    expect(picker).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Remove baseline.yaml").click()
    for name in OTHERS:
        picker.click()
        page.get_by_role("option", name=name).click()
        page.keyboard.press("Escape")
    set_number(page, "Horizon, days", "2")
    set_number(page, "Replications", "2")
    page.get_by_role("button", name="Run them").click()
    expect(page.get_by_role("heading", name="Plant", exact=True)).to_be_visible(timeout=WAIT_MS)
    no_exception(page)
    chart = page.locator(".js-plotly-plot").first
    for name in OTHERS:  # each difference to the base is drawn, with its name
        expect(chart).to_contain_text(f"{name} − the scenario being edited", timeout=WAIT_MS)
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(4)  # plant, 3 lines
    snap(page, shots / "compare-four.png")


def test_a_variant_derived_on_the_page_shows_its_changed_paths(
    app_url: str, page: Page, shots: Path
) -> None:
    page.goto(f"{app_url}/variants")
    path = page.get_by_label("Value to change (its path)")
    expect(path).to_be_visible(timeout=WAIT_MS)
    settled(page)
    path.click()
    page.keyboard.type("ACC2].capacity")
    page.get_by_role("option", name=ACC2, exact=True).click()
    value = page.get_by_label("New value (YAML)")
    expect(value).to_have_value("50", timeout=WAIT_MS)  # the baseline's, to be changed
    settled(page)
    value.fill("400")
    value.press("Enter")
    settled(page)
    page.get_by_role("button", name="Add").click()
    pending = page.locator('[data-testid="stTable"]').filter(has_text="new value")
    expect(pending).to_contain_text("400", timeout=WAIT_MS)
    settled(page)
    name = page.get_by_label("Name of the variant")
    name.fill("bigger ACC2")
    name.press("Enter")
    settled(page)
    page.get_by_role("button", name="Derive and keep it").click()
    expect(page.get_by_text("Kept 'bigger ACC2'")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("its differences from its parent")).to_be_visible(timeout=WAIT_MS)
    settled(page)
    differences = table_rows(page, "change")
    assert differences == {  # the value given (50 m in baseline.yaml) and the name
        ACC2: ["changed", "50", "400"],
        "name": ["changed", BASELINE.name, "bigger ACC2"],
    }
    no_exception(page)
    snap(page, shots / "variant-diff.png")


def test_each_page_opens_at_its_own_address(app_url: str, page: Page) -> None:
    for address, title in PAGES.items():
        page.goto(f"{app_url}/{address}")
        heading = page.get_by_role("heading", name=title, exact=True).first
        expect(heading).to_be_visible(timeout=WAIT_MS)
        assert page.get_by_text("Page not found").count() == 0, address
        no_exception(page)


@pytest.fixture(scope="module")
def state_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline's plant after 8 days (2026-12-15 06:00), as the twin's snapshot writes it."""
    options = RunOptions.of(
        BASELINE, replications=1, horizon_min=SNAPSHOT_MIN, snapshot_at_min=SNAPSHOT_MIN
    )
    snapshot = simulate(BASELINE, options).snapshot
    assert snapshot is not None
    path = tmp_path_factory.mktemp("state") / "plant-now.yaml"
    path.write_text(state_text(snapshot, path))
    return path


def test_the_schedule_gantt_reads_in_dates(app_url: str, page: Page, shots: Path) -> None:
    page.goto(f"{app_url}/schedule")
    expect(page.get_by_role("button", name="Run the optimiser")).to_be_visible(timeout=WAIT_MS)
    set_number(page, "Time limit, s", "3")
    page.get_by_role("button", name="Run the optimiser").click()
    expect(page.get_by_text("Orders, the riskiest first")).to_be_visible(timeout=WAIT_MS)
    settled(page)
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_contain_text("Dec 132026", timeout=WAIT_MS)  # ticks: dates, not minutes
    expect(chart).to_contain_text("INL1 · OX1+PC1+AL1+AN1")  # rows: line · machine
    no_exception(page)
    snap(page, shots / "gantt.png")
    page.get_by_text("a week").first.click()
    settled(page)
    snap(page, shots / "gantt-week.png")


def test_the_plan_from_a_state_file_starts_at_its_moment(
    app_url: str, page: Page, shots: Path, state_file: Path
) -> None:
    page.goto(f"{app_url}/schedule")
    expect(page.get_by_text("From a plant state: the plan from now")).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("From a plant state: the plan from now").click()
    uploads = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    expect(uploads).to_have_count(2, timeout=WAIT_MS)
    uploads.first.set_input_files(str(state_file))
    expect(page.get_by_text("the plant at 2026-12-15 06:00 (checked)")).to_be_visible(
        timeout=WAIT_MS
    )
    set_number(page, "Time limit, s", "4")
    page.get_by_role("button", name="Plan from the state").click()
    expect(page.get_by_text("The plan from 2026-12-15 06:00")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Machines in web order")).to_be_visible(timeout=WAIT_MS)
    settled(page)
    expect(page.locator(".js-plotly-plot").first).to_contain_text("from 2026-12-15 06:00")
    no_exception(page)
    snap(page, shots / "state-plan.png")


def test_a_state_file_is_drawn_as_the_plant_now(
    app_url: str, page: Page, shots: Path, state_file: Path
) -> None:
    page.goto(f"{app_url}/plant")
    expect(page.get_by_text("A plant state file")).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("A plant state file").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(state_file))
    expect(page.get_by_text("This is the plant now: 2026-12-15 06:00")).to_be_visible(
        timeout=WAIT_MS
    )
    settled(page)
    no_exception(page)
    snap(page, shots / "plant-state.png")
