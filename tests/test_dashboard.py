"""The dashboard's pages in Streamlit's AppTest: they load, show problems by path, and results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboard import editing
from dashboard.common import duration_words, kpi_card, progress_text
from dashboard.tables import comparison_frame
from twin import (
    RunOptions,
    ScenarioError,
    Store,
    cli,
    compare,
    load_scenario,
    parse_scenario,
    parse_study,
    run_study,
    schedule_plant,
    simulate,
)

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
THREE_TOOLS = "validation/roll_coupled_three_tools.yaml"
BASELINE = "baseline.yaml"
PAGES = ("scenario", "simulate", "schedule", "compare", "studies", "history")


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("R2R_STORE", str(path))
    return path


def page(name: str) -> AppTest:
    return AppTest.from_string(
        f"from dashboard.views.{name} import page\npage()", default_timeout=30
    )


def with_scenario(at: AppTest, label: str) -> AppTest:
    """Load a bundled scenario the way the Scenario page does, then show the page."""
    at.session_state["document"] = yaml.safe_load((ROOT / "scenarios" / label).read_text())
    at.session_state["scenario_label"] = label
    at.session_state["scenario"] = load_scenario(ROOT / "scenarios" / label)
    at.session_state["problems"] = []
    return at.run()


def with_capacity_run(at: AppTest, label: str) -> AppTest:
    """Load a bundled scenario as a capacity run (which has a warm-up), then show the page."""
    document = yaml.safe_load((ROOT / "scenarios" / label).read_text())
    document["run"]["demand"] = "capacity"
    at.session_state["document"] = document
    at.session_state["scenario_label"] = label
    at.session_state["scenario"] = parse_scenario(yaml.safe_dump(document))
    at.session_state["problems"] = []
    return at.run()


def widget(widgets: Any, label: str) -> Any:
    return next(w for w in widgets if w.label == label)


def simulate_on(at: AppTest, settings: dict[str, float]) -> AppTest:
    """Fill the Simulate page's settings (by label) and start the run."""
    for label, value in settings.items():
        widget(at.number_input, label).set_value(value)
    return widget(at.button, "Run simulation").click().run()


def until(at: AppTest, done: Any, seconds: float = 30.0) -> AppTest:
    """Rerun the page until ``done(at)``: a background run ends between reruns."""
    deadline = time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.2)
        at.run()
    return at


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column``."""
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a column {column!r}"
    return frames[0]


def study_from_file(at: AppTest) -> AppTest:
    """The Studies page with a study file chosen (instead of one defined on the page)."""
    return at.radio(key="study-how").set_value("From a study file").run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_without_exception(name: str) -> None:
    at = page(name).run()
    no_exception(at)
    assert at.title[0].value == name.capitalize()


def test_app_starts_on_the_scenario_page_with_its_capacity() -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    no_exception(at)
    assert at.title[0].value == "Scenario"
    assert any("bottleneck" in m.value for m in at.markdown)


def test_a_bad_scenario_shows_its_problems_by_path() -> None:
    at = with_scenario(page("scenario"), THREE_TOOLS)
    text = (ROOT / "scenarios" / THREE_TOOLS).read_text()
    bad = text.replace("max_speed_m_min: 10", "max_speed_m_min: -5", 1)
    assert bad != text
    with pytest.raises(ScenarioError) as expected:
        parse_scenario(bad, source=THREE_TOOLS)
    at.text_area[0].input(bad).run()
    no_exception(at)
    shown = at.table[0].value.reset_index()
    wanted = [(p.path, p.message) for p in expected.value.problems]
    assert list(zip(shown["path"], shown["message"], strict=True)) == wanted
    assert ("lines[0].stations[0].equipment.max_speed_m_min", "must be > 0 (got -5)") in wanted
    assert "problem" in at.error[0].value
    # the other pages say what to do instead of running on a broken scenario
    simulate_page = page("simulate")
    for key in ("document", "scenario_label", "scenario", "problems"):
        simulate_page.session_state[key] = at.session_state[key]
    simulate_page.run()
    no_exception(simulate_page)
    assert "fix them on the Scenario page" in simulate_page.warning[0].value


def test_text_that_is_no_yaml_says_where_and_keeps_the_document() -> None:
    at = with_scenario(page("scenario"), THREE_TOOLS)
    at.text_area[0].input("name: [unclosed\n").run()
    no_exception(at)
    problems = at.table[0].value.reset_index()
    assert list(problems["path"]) == ["(document)"]
    assert problems["message"][0].startswith("the document is not valid YAML at line 2")
    assert at.session_state["document"]["name"] == "Roll-coupled oxidation, PECVD and anneal"


def test_an_edited_table_changes_the_scenario_and_is_validated_again() -> None:
    document = yaml.safe_load((ROOT / "scenarios" / THREE_TOOLS).read_text())
    before = editing.frame_of(document, *editing.TABLES["Stations"])
    after = before.copy()
    after.loc[0, "units"] = 0
    changed = editing.apply_edits(document, before, after)
    assert changed["lines"][0]["stations"][0]["units"] == 0
    assert document["lines"][0]["stations"][0].get("units", 1) == 1
    with pytest.raises(ScenarioError) as error:
        parse_scenario(yaml.safe_dump(changed))
    assert error.value.problems[0].path == "lines[0].stations[0].units"


def test_orders_can_be_added_in_their_table() -> None:
    document = yaml.safe_load((ROOT / "scenarios" / THREE_TOOLS).read_text())
    before = editing.frame_of(document, *editing.TABLES["Orders"])
    extra = {"path": None, "id": "O2", "product": "NiSi-A2", "length_m": 3000.0, "due": "10d"}
    after = pd.concat([before, pd.DataFrame([extra])], ignore_index=True)
    changed = editing.replace_orders(document, after)
    scenario = parse_scenario(yaml.safe_dump(changed))
    assert [o.id for o in scenario.orders] == ["O1", "O2"]
    assert scenario.orders[1].due == 10 * 1440


def test_a_short_simulation_shows_the_kpis_of_the_twin() -> None:
    at = with_scenario(page("simulate"), BASELINE)
    settings = {"Horizon, days": 2.0, "Replications": 2, "Seed": 7}
    simulate_on(at, settings)
    until(at, lambda at: len(at.metric) > 0)
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    baseline = load_scenario(ROOT / "scenarios" / BASELINE)
    direct = simulate(
        baseline,
        RunOptions.of(baseline, replications=2, seed=7, horizon_min=2 * 1440, warmup_min=0),
    )
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown["Output m/h"] == kpi_card("output_m_per_h", direct.kpis["output_m_per_h"])
    assert shown["Yield"] == kpi_card("yield", direct.kpis["yield"])
    assert shown["Yield"][0].endswith("%")
    assert "Bottleneck" in at.info[0].value
    assert direct.bottleneck.station in at.info[0].value


def test_a_schedule_shows_its_order_table() -> None:
    at = with_scenario(page("schedule"), THREE_TOOLS)
    widget(at.number_input, "Time limit, s").set_value(2.0)
    widget(at.button, "Run the optimiser").click().run()
    until(at, lambda at: any("method" in d.value.columns for d in at.dataframe))
    no_exception(at)
    orders = frame_with(at, "tardiness h")
    assert list(orders["order"]) == ["O1"]
    assert {"due", "completion", "status"} <= set(orders.columns)
    rules = frame_with(at, "method")
    assert rules["method"].iloc[0] == "CP-SAT"
    assert {"FIFO", "EDD"} <= set(rules["method"])
    widget(at.number_input, "Replications").set_value(2)
    widget(at.button, "Execute in the twin").click().run()
    until(at, lambda at: any("on time %" in d.value.columns for d in at.dataframe))
    no_exception(at)


def test_a_failing_run_shows_a_sentence_not_a_traceback() -> None:
    at = with_capacity_run(page("simulate"), THREE_TOOLS)
    simulate_on(at, {"Horizon, days": 1.0, "Warm-up, days": 2.0})
    until(at, lambda at: len(at.error) > 0)
    no_exception(at)
    assert at.error[0].value == "Could not finish: the warm-up must be shorter than the horizon"
    assert not at.expander  # details only with R2R_DEBUG


def test_r2r_debug_adds_the_details(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("R2R_DEBUG", "1")
    at = with_capacity_run(page("simulate"), THREE_TOOLS)
    simulate_on(at, {"Horizon, days": 1.0, "Warm-up, days": 2.0})
    until(at, lambda at: len(at.error) > 0)
    assert "Traceback" in at.expander[0].code[0].value


def test_r2r_dashboard_serves_the_bundled_app_on_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(cli.dashboard, "serve", lambda command: started.append(command) or 0)
    result = CliRunner().invoke(cli.app, ["dashboard", "--port", "8600"])
    assert result.exit_code == 0, result.output
    [command] = started
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == APP
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8600"
    assert options["--server.maxUploadSize"] == "5"


# ------------------------------------------------------------------- store, compare, studies
STUDY = """
name: small study
scenario: {scenario}
factors:
  - {{name: store, path: "lines[0].buffers[0].capacity_rolls", values: [2, 4]}}
replications: 2
horizon: 1d
kpis: [output_m_per_h]
objective: output_m_per_h
"""


def saved_simulations(count: int) -> list[str]:
    store = Store()
    scenario = load_scenario(ROOT / "scenarios" / THREE_TOOLS)
    return [
        store.save_simulation(
            scenario,
            simulate(
                scenario,
                RunOptions.of(scenario, replications=2, seed=seed, horizon_min=1440, warmup_min=0),
            ),
            label=f"seed {seed}",
        )
        for seed in range(1, count + 1)
    ]


def test_a_simulation_from_the_dashboard_is_saved_and_history_deletes_it() -> None:
    at = with_scenario(page("simulate"), THREE_TOOLS)
    simulate_on(at, {"Horizon, days": 1.0})
    until(at, lambda at: len(at.metric) > 0)
    [run] = Store().runs()
    assert run.kind == "simulation"
    # issue 17: under the scenario's name, not the file's (validation/roll_coupled_...yaml)
    assert run.name == "Roll-coupled oxidation, PECVD and anneal"
    assert any(run.id in c.value for c in at.caption)
    history = page("history").run()
    no_exception(history)
    assert list(history.dataframe[0].value["id"]) == [run.id]
    history.checkbox(key="history-sure").check().run()
    history.button(key="history-delete").click().run()
    no_exception(history)
    assert Store().runs() == []


def test_compare_shows_two_stored_runs_and_their_difference() -> None:
    first, second = saved_simulations(2)
    store = Store()
    # by default the older run is the base and the newer one is compared with it
    expected = compare([store.simulation(first), store.simulation(second)], [first, second])
    at = page("compare").run()
    at.radio(key="compare-mode").set_value("Stored runs").run()
    no_exception(at)
    shown = at.dataframe[0].value  # the plant's rows: a row per KPI and run
    assert list(dict.fromkeys(shown["KPI"]))[:2] == ["orders on time %", "weighted tardiness h"]
    assert list(shown["scenario"])[:2] == [first, second]
    against = "difference [95 % CI]"
    assert list(shown[against]) == list(comparison_frame(expected, "plant")[against])
    # and each line of the plant has its own table
    assert len(at.dataframe) == 1 + len(store.simulation(first).lines)


def test_a_stored_study_opens_with_its_table(tmp_path: Path) -> None:
    spec = parse_study(
        STUDY.format(scenario=ROOT / "scenarios" / THREE_TOOLS), str(tmp_path / "study.yaml")
    )
    result = run_study(spec, store=Store(), workers=1)
    at = page("studies").run()
    at.button(key="open-study").click().run()
    no_exception(at)
    shown = frame_with(at, "store")
    assert list(shown["store"]) == [2, 4]
    assert list(shown["output_m_per_h"]) == pytest.approx(list(result.table["output_m_per_h"]))


def test_four_scenarios_run_with_the_same_seeds_and_their_defaults() -> None:
    at = with_scenario(page("compare"), THREE_TOOLS).run()
    chosen = ["the scenario being edited", THREE_TOOLS, "validation/two_station_rolls.yaml",
              "validation/two_station_fluid.yaml"]  # fmt: skip
    at.multiselect(key="compare-scenarios").set_value(chosen).run()
    # the settings start from the first scenario's own (14 days, 1 replication, seed 5)
    assert widget(at.number_input, "Horizon, days").value == pytest.approx(14)
    assert widget(at.number_input, "Seed").value == 5
    widget(at.number_input, "Horizon, days").set_value(1.0)
    widget(at.number_input, "Replications").set_value(2)
    widget(at.button, "Run them").click().run()
    until(at, lambda at: len(at.dataframe) > 0)
    no_exception(at)
    assert len(Store().runs(kind="simulation")) == 4
    plant = at.dataframe[0].value
    assert list(dict.fromkeys(plant["scenario"])) == chosen  # each, under each KPI
    assert "difference [95 % CI]" in plant.columns
    assert any("Bonferroni" in c.value for c in at.caption)


@pytest.fixture
def studies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "studies"
    folder.mkdir()
    monkeypatch.setenv("R2R_STUDIES", str(folder))
    return folder


def test_a_study_launched_from_the_dashboard_shows_its_design_points(studies: Path) -> None:
    (studies / "small.yaml").write_text(STUDY.format(scenario=THREE_TOOLS))
    at = study_from_file(page("studies").run())
    no_exception(at)
    widget(at.button, "Launch the study").click().run()
    until(at, lambda at: any("store" in d.value.columns for d in at.dataframe), seconds=60)
    no_exception(at)
    assert list(frame_with(at, "store")["store"]) == [2, 4]
    [run] = Store().runs(kind="study")
    assert any(run.id in c.value for c in at.caption)


@pytest.mark.parametrize(
    "named", ["/etc/passwd", "../../../../../../etc/passwd", str(ROOT / "scenarios" / BASELINE)]
)
def test_a_study_may_name_only_bundled_or_uploaded_scenarios(studies: Path, named: str) -> None:
    # issue 11: on the server a study file must not read any other file, nor echo its lines
    (studies / "sneaky.yaml").write_text(STUDY.format(scenario=named))
    at = study_from_file(page("studies").run())
    no_exception(at)
    problems = at.table[0].value.reset_index()
    assert list(problems["path"]) == ["scenario"]
    [message] = problems["message"]
    assert "neither a bundled scenario nor one uploaded" in message or "absolute path" in message
    assert "root" not in message


def test_a_bad_study_file_lists_its_problems_by_path(studies: Path) -> None:
    study = STUDY.format(scenario=THREE_TOOLS)
    (studies / "bad.yaml").write_text(study.replace("replications: 2", "replications: 0"))
    at = study_from_file(page("studies").run())
    no_exception(at)
    problems = at.table[0].value.reset_index()
    assert list(problems["path"]) == ["replications"]


def test_history_shows_a_stored_schedule_and_simulation() -> None:
    scenario = load_scenario(ROOT / "scenarios" / THREE_TOOLS)
    store = Store()
    result = simulate(
        scenario, RunOptions.of(scenario, replications=2, horizon_min=1440, warmup_min=0)
    )
    store.save_simulation(scenario, result)
    schedule = schedule_plant(scenario, time_limit_s=2).document("tardiness-makespan")
    store.save_schedule(scenario, schedule)
    at = page("history").run()
    at.toggle(key="history-show").set_value(True).run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any("CP-SAT" in m.value for m in at.markdown)  # the newest run: the schedule
    picker = at.selectbox(key="history-run")
    picker.set_value(picker.options[1]).run()
    no_exception(at)
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown["Output m/h"] == kpi_card("output_m_per_h", result.kpis["output_m_per_h"])
    runs = frame_with(at, "created")  # when, to the minute, as the store's own records say
    kept = {run.id: f"{run.created:%Y-%m-%d %H:%M}" for run in store.runs()}
    assert dict(zip(runs["id"], runs["created"], strict=True)) == kept


# ------------------------------------------------------------------------- issue 17: bugs
def app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30)


def sidebar_text(at: AppTest) -> str:
    return (
        " ".join(m.value for m in at.sidebar.markdown)
        + " "
        + " ".join(c.value for c in at.sidebar.caption)
    )


def test_a_second_upload_replaces_the_first_file_s_problems_and_tables() -> None:
    at = app().run()
    no_exception(at)
    assert "Baseline anode plant" in sidebar_text(at)  # the first visit's scenario, named
    text = (ROOT / "scenarios" / "validation" / "two_station_fluid.yaml").read_text()
    bad = text.replace("web_width_m: 1.0", "web_width_m: -1", 1)
    at.file_uploader(key="upload").upload("bad.yaml", bad.encode()).run()
    no_exception(at)
    assert "bad.yaml: 1 problem(s)" in at.error[0].value
    assert "bad.yaml" in sidebar_text(at) and "1 problem" in sidebar_text(at)
    at.file_uploader(key="upload").upload("notyaml.yaml", b"name: [unclosed\n").run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert errors == ["notyaml.yaml: 1 problem(s); fix them below."]
    [problems] = [t.value.reset_index() for t in at.table]
    assert list(problems["path"]) == ["(document)"]
    assert problems["message"][0].startswith("the document is not valid YAML at line 2")
    assert not at.dataframe  # no tables of bad.yaml's stations, buffers or capacity
    assert "notyaml.yaml" in sidebar_text(at) and "bad.yaml" not in sidebar_text(at)
    assert at.text_area[0].value == "name: [unclosed\n"  # its own text, to be fixed
    good = (ROOT / "scenarios" / THREE_TOOLS).read_bytes()
    at.file_uploader(key="upload").upload("three.yaml", good).run()
    no_exception(at)
    assert not at.error and not at.table
    assert "Roll-coupled oxidation, PECVD and anneal" in sidebar_text(at)


def test_progress_says_how_long_is_left_from_the_pace_so_far() -> None:
    # 12 of 180 in 36 s: 3 s each, so 168 more take 504 s = 8 min 24 s
    assert progress_text("study", 12, 180, 36.0) == (
        "study: 12 of 180 · 36 s · about 8 min 24 s left"
    )
    assert progress_text("study", 0, 180, 6.0) == (
        "study: 0 of 180 · 6 s · time left known after the first finishes"
    )
    assert progress_text("study", 180, 180, 540.0) == "study: 180 of 180 · 9 min 00 s"
    assert duration_words(3 * 3600 + 5 * 60) == "3 h 05 min"


def test_capacity_tables_show_rounded_figures_and_per_cent() -> None:
    at = with_scenario(page("scenario"), BASELINE)
    no_exception(at)
    inl1 = frame_with(at, "speed m/min")
    pc1 = inl1.set_index("station").loc["PC1 ◀ bottleneck"]
    # PC1: 3000 nm·m/min × 4 sources / 4000 nm = 3 m/min; a 1500 m roll in 500 min
    assert (pc1["speed m/min"], pc1["per roll min"], pc1["m/h"]) == (3.0, 500.0, 180.0)
    for column in ("changeover %", "availability %"):
        assert all(0 <= v <= 100 and round(v, 1) == v for v in inl1[column])
    for column in ("speed m/min", "per roll min", "m/h", "m²/h", "m/h × avail."):
        assert all(len(f"{v:.10g}".replace(".", "").lstrip("0")) <= 4 for v in inl1[column])
    first = next(d for d in at.dataframe if "speed m/min" in d.value.columns)
    assert '"pinned":true' in first.proto.columns.replace(" ", "")  # the station stays in view


def test_results_of_an_earlier_version_of_the_scenario_say_so() -> None:
    scenario = load_scenario(ROOT / "scenarios" / THREE_TOOLS)
    options = RunOptions.of(scenario, replications=1, horizon_min=600)
    at = with_scenario(page("simulate"), THREE_TOOLS)
    at.session_state["simulation"] = (simulate(scenario, options), scenario, -1)
    at.run()
    no_exception(at)
    assert "before the latest change to the current scenario" in at.warning[0].value


def test_nothing_reads_as_0_not_0_000() -> None:
    from dashboard.common import number

    assert (number(0.0), number(0.5), number(12.34), number(1234.5)) == (
        "0",
        "0.500",
        "12.3",
        "1,234",
    )


def test_differences_read_signed_with_shares_in_percentage_points() -> None:
    from dashboard.tables import difference_text

    assert difference_text("on_time_fraction", 0.034, 0.012, 0.056) == "+3.4 pp [+1.2, +5.6]"
    assert difference_text("lead_time_h", -0.1111, -0.2, 0.0) == "−0.111 [−0.2, 0]"
    assert difference_text("lead_time_h", -0.1111, -0.1111, -0.1111) == (
        "−0.111 (same in every replication)"
    )


def test_the_differences_chart_names_each_scenario_once_even_without_a_first_kpi() -> None:
    # No order is due within a short horizon, so the first KPI (on time) has no difference:
    # each scenario must still be named in the legend, once, from its first panel with points
    from dashboard.charts import differences
    from twin.comparison import Comparison, Difference, Row

    rows = [
        Row("plant", "on_time_fraction", [None, None, None], [None, None]),
        Row(
            "plant",
            "output_m2_per_h",
            [(1.0, 1.0, 1.0)] * 3,
            [Difference(2.0, 1.0, 3.0, True), Difference(-1.0, -2.0, 0.5, True)],
        ),
    ]
    comparison = Comparison(["base", "b", "c"], "orders", 1, 2, 0.975, [], rows)
    figure = differences(comparison)
    named = [trace.name for trace in figure.data if trace.showlegend]
    assert named == ["b − base", "c − base"]
