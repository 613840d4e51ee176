"""Loading scenarios: every mistake reported by its path; hostile documents refused."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BUNDLED_SCENARIOS, SCENARIOS, SMALL_PLANT, VALIDATION
from twin.scenario import (
    MAX_DOCUMENT_BYTES,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_from_document,
)


def problems_of(document: Any) -> list[str]:
    """Each problem as ``path: message``, its path by position (ids are tested on their own)."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_document(document, "test.yaml")
    return [f"{p.path}: {p.message}" if p.path else p.message for p in caught.value.problems]


def test_small_plant_loads(small_plant: dict[str, Any]) -> None:
    scenario = scenario_from_document(small_plant)
    assert [s.id for s in scenario.lines[0].stations] == ["OX", "PE", "AN"]
    # '5d' = 5 × 1440 min
    assert scenario.orders[0].due == 7200.0
    assert scenario.run.horizon == 7 * 1440.0
    assert scenario.warnings == []


@pytest.mark.parametrize("path", BUNDLED_SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_load(path: Any) -> None:
    scenario = load_scenario(path)
    assert scenario.lines


def test_negative_speed_is_reported_with_its_path(small_plant: dict[str, Any]) -> None:
    small_plant["lines"][0]["stations"][2]["equipment"]["max_speed_m_min"] = -1
    assert problems_of(small_plant) == [
        "lines[0].stations[2].equipment.max_speed_m_min: must be > 0 (got -1)"
    ]


def test_every_problem_is_listed_at_once(small_plant: dict[str, Any]) -> None:
    small_plant["lines"][0]["stations"][0]["equipment"]["heated_length_m"] = 0
    del small_plant["products"][0]["web_width_m"]
    small_plant["orders"][1]["colour"] = "red"
    small_plant["run"]["replications"] = 0
    assert sorted(problems_of(small_plant)) == sorted(
        [
            "lines[0].stations[0].equipment.heated_length_m: must be > 0 (got 0)",
            "products[0].web_width_m: is required",
            "orders[1].colour: is not a known field",
            "run.replications: must be >= 1 (got 0)",
        ]
    )


def test_unknown_station_type_names_the_known_ones(small_plant: dict[str, Any]) -> None:
    small_plant["lines"][0]["stations"][1]["equipment"]["type"] = "pecdv"
    (problem,) = problems_of(small_plant)
    assert problem.startswith("lines[0].stations[1].equipment: unknown type 'pecdv'")
    assert "did you mean 'pecvd'?" in problem
    assert "oxidation" in problem and "slitting" in problem


def test_unknown_references_are_reported(small_plant: dict[str, Any]) -> None:
    small_plant["orders"][0]["product"] = "si_nii"
    small_plant["lines"][0]["calendar"] = "weekdays"
    small_plant["lines"][0]["buffers"][0]["max_wait"] = {"prelith": "2h"}
    assert sorted(problems_of(small_plant)) == sorted(
        [
            "orders[0].product: unknown product 'si_nii' (did you mean 'si_ni'?)",
            "lines[0].calendar: unknown calendar 'weekdays'",
            "lines[0].buffers[0].max_wait.prelith: unknown product 'prelith'",
        ]
    )


def test_buffers_must_join_consecutive_stations(small_plant: dict[str, Any]) -> None:
    small_plant["lines"][0]["buffers"][1]["between"] = ["OX", "AN"]
    problems = problems_of(small_plant)
    assert (
        "lines[0].buffers[1].between: ['OX', 'AN'] are not two consecutive stations of line 'A' "
        "(its stations in order: OX, PE, AN)" in problems
    )
    assert (
        "lines[0].buffers: no buffer between 'PE' and 'AN'; give one roll_store or accumulator "
        "per consecutive pair" in problems
    )


def test_duplicate_ids_are_reported(small_plant: dict[str, Any]) -> None:
    small_plant["orders"][1]["id"] = "O1"
    assert problems_of(small_plant) == ["orders[1].id: order id 'O1' is used more than once"]


def test_process_window_is_checked_with_its_source(small_plant: dict[str, Any]) -> None:
    small_plant["products"][0]["recipe"][2]["temperature_c"] = 650
    assert problems_of(small_plant) == [
        "products[0].recipe[2].temperature_c: anneal temperature 650 °C is outside 100–600 °C "
        "(000, claim 1)"
    ]


def test_recipe_that_no_line_can_run(small_plant: dict[str, Any]) -> None:
    small_plant["products"][0]["recipe"].append(
        {"station_type": "slitting", "lanes": 4, "lane_width_mm": 200}
    )
    assert problems_of(small_plant) == [
        "products[0].recipe: no line can run this recipe (oxidation → pecvd → anneal → slitting): "
        "no line has those station types in that order"
    ]


def test_usage_maintenance_needs_a_counter_of_the_station(small_plant: dict[str, Any]) -> None:
    small_plant["lines"][0]["stations"][0]["maintenance"] = [
        {
            "kind": "usage",
            "name": "clean",
            "counter": "wall_deposit_um_m",
            "limit": 10,
            "duration": 60,
        }
    ]
    assert problems_of(small_plant) == [
        "lines[0].stations[0].maintenance[0].counter: a oxidation station has no counter "
        "'wall_deposit_um_m' (its counters: none)"
    ]


def test_times_are_checked(small_plant: dict[str, Any]) -> None:
    small_plant["orders"][1]["due"] = "12h"  # released at 1d
    small_plant["orders"][0]["due"] = "2026-12-20"  # a date without the scenario's start
    small_plant["run"]["warmup"] = "8d"
    assert sorted(problems_of(small_plant)) == sorted(
        [
            "orders[1].due: is before the release",
            "orders[0].due: a date needs the scenario's start (start: ...)",
            "run.warmup: must be shorter than run.horizon",
        ]
    )


def test_dates_count_from_the_start(small_plant: dict[str, Any]) -> None:
    small_plant["start"] = "2026-12-07T06:00:00"
    small_plant["orders"][0]["due"] = "2026-12-09"
    scenario = scenario_from_document(small_plant)
    # 2026-12-09T00:00 - 2026-12-07T06:00 = 1 d 18 h = 2520 min
    assert scenario.minutes(scenario.orders[0].due) == pytest.approx(2520.0)


def test_bad_duration_string(small_plant: dict[str, Any]) -> None:
    small_plant["run"]["horizon"] = "a week"
    (problem,) = problems_of(small_plant)
    assert problem.startswith("run.horizon: 'a week' is not a duration")


def test_route_passes_by_stations_without_a_step(small_plant: dict[str, Any]) -> None:
    # A product without the oxide step still runs on the line: OX is passed by.
    small_plant["products"].append(
        {
            "id": "si_cu",
            "web_width_m": 1.0,
            "recipe": [
                {"station_type": "pecvd", "si_thickness_um": 14, "density_g_cm3": 1.7},
                {"station_type": "anneal", "temperature_c": 575, "dwell": 10},
            ],
        }
    )
    scenario = scenario_from_document(small_plant)
    route = scenario.route(scenario.product("si_cu"), scenario.lines[0])
    assert route is not None
    assert [leg.station.id for leg in route] == ["PE", "AN"]


def test_with_changes_revalidates(small_plant: dict[str, Any]) -> None:
    scenario = scenario_from_document(small_plant)
    changed = scenario.with_changes({"lines[0].stations[1].equipment.sources": 6})
    assert changed.lines[0].stations[1].equipment.sources == 6  # type: ignore[union-attr]
    with pytest.raises(ScenarioError, match=r"sources: must be >= 1"):
        scenario.with_changes({"lines[0].stations[1].equipment.sources": 0})


def test_json_and_yaml_give_the_same_scenario(small_plant: dict[str, Any]) -> None:
    from_yaml = parse_scenario(yaml.safe_dump(small_plant), "yaml")
    from_json = parse_scenario(json.dumps(small_plant), "json")
    assert from_yaml == from_json


def test_round_trip_through_json_dump(small_plant: dict[str, Any]) -> None:
    scenario = scenario_from_document(small_plant)
    again = parse_scenario(scenario.model_dump_json(by_alias=True), "json")
    assert again == scenario


# ------------------------------------------------------------------------- hostile documents
def refused(text: str | bytes, fmt: str = "yaml") -> str:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, fmt)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert elapsed < 5, "a hostile document must be refused quickly"
    return str(caught.value)


def test_billion_laughs_is_refused() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    assert "expands to more than" in refused("\n".join(lines))


def test_recursive_alias_is_refused() -> None:
    assert "refers to itself" in refused("name: &a [*a]\n")


def test_deep_nesting_is_refused() -> None:
    assert "nested more than" in refused("[" * 5000 + "]" * 5000)
    assert "nested more than" in refused("[" * 5000 + "]" * 5000, "json")


def test_huge_document_is_refused() -> None:
    assert "larger than" in refused("#" * (MAX_DOCUMENT_BYTES + 1))


def test_python_tags_are_not_executed() -> None:
    message = refused("name: !!python/object/apply:os.system ['echo pwned']\n")
    assert "is not valid YAML" in message


def test_not_utf8_and_not_a_mapping() -> None:
    assert "not UTF-8" in refused(b"\xff\xfe\x00name: x")
    assert "must be a mapping" in refused("- just\n- a list\n")
    assert "is not valid YAML at line 2" in refused("name: x\n  bad: [\n")


def test_unreadable_file(tmp_path: Any) -> None:
    with pytest.raises(ScenarioError, match="cannot read the scenario: no such file"):
        load_scenario(tmp_path / "missing.yaml")


# ------------------------------------------------------------------------------ properties
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


@given(json_values)
@settings(max_examples=200, deadline=None)
def test_random_documents_only_raise_scenario_error(document: Any) -> None:
    with pytest.raises(ScenarioError):
        scenario_from_document(document)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


ALL_PATHS = _paths(SMALL_PLANT)


@given(st.sampled_from(ALL_PATHS), json_values)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_documents_load_or_raise_scenario_error(path: tuple[Any, ...], value: Any) -> None:
    document = json.loads(json.dumps(SMALL_PLANT))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        scenario = scenario_from_document(document)
    except ScenarioError as error:
        assert error.problems
        assert all(str(p) for p in error.problems)
    else:
        assert isinstance(scenario, Scenario)


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_random_text_only_raises_scenario_error(text: str) -> None:
    with pytest.raises(ScenarioError):
        parse_scenario(text)


def test_validation_files_exist() -> None:
    assert (VALIDATION / "two_station_fluid.yaml").exists()


# ------------------------------------------- every problem at once, named as the planner names it
def _baseline_text(*changes: tuple[str, str]) -> str:
    text = (SCENARIOS / "baseline.yaml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_one_pass_lists_every_problem_with_ids_and_where_it_stands() -> None:
    # issue 13: four other mistakes used to hide the 700 °C anneal until they were fixed
    text = _baseline_text(
        ("max_speed_m_min: 10 ", "max_speed_m_min: -5 "),
        ("temperature_c: 450", "temperature_c: 700"),
        ("product: NiSi-A3, length_m: 6000", "product: NiSi-A4, length_m: 6000"),
        ("capacity_rolls: 6", "capacity_rols: 6"),
        ("due: 2026-12-12T14:00:00", "due: 2026-14-12T14:00:00"),
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="baseline.yaml")
    shown = [str(p) for p in caught.value.problems]
    lines = text.splitlines()
    for problem in caught.value.problems:
        assert problem.line is not None and problem.column is not None
        where = lines[problem.line - 1][problem.column - 1 :]
        key = problem.path.rsplit(".", 1)[-1]
        # a value stands at its key; a missing one at the mapping or item that lacks it
        assert where.startswith((key, "{", "- ")), (problem, where)
    assert any(
        s.startswith("lines[0] (INL1).stations[0] (OX1).equipment.max_speed_m_min: must be > 0")
        for s in shown
    ), shown
    assert any(
        s.startswith("products[0] (NiSi-A3).recipe[3].temperature_c: anneal temperature 700 °C")
        for s in shown
    ), shown
    assert any("unknown product 'NiSi-A4' (did you mean 'NiSi-A3'?)" in s for s in shown), shown
    assert any(
        ".capacity_rols: is not a known field (did you mean 'capacity_rolls'?)" in s for s in shown
    ), shown
    assert any("'2026-14-12T14:00:00' is not a date: month must be in 1..12" in s for s in shown), (
        shown
    )


def test_a_bad_date_names_its_path(small_plant: dict[str, Any]) -> None:
    small_plant["start"] = "2026-12-07T06:00"
    small_plant["orders"][0]["due"] = "2026-14-12"
    assert problems_of(small_plant) == [
        "orders[0].due: '2026-14-12' is not a date: month must be in 1..12"
    ]


@pytest.mark.parametrize(
    ("written", "minutes"),
    [("8 hours", 480.0), ("2 days", 2880.0), ("90 min", 90.0), ("8h", 480.0), ("1 week", 10080.0)],
)
def test_durations_in_words(small_plant: dict[str, Any], written: str, minutes: float) -> None:
    small_plant["orders"][0]["due"] = written
    assert scenario_from_document(small_plant).orders[0].due == minutes


def test_m_is_metres_not_minutes(small_plant: dict[str, Any]) -> None:
    small_plant["orders"][0]["due"] = "45m"
    [problem] = problems_of(small_plant)
    assert problem.startswith("orders[0].due: '45m': 'm' means metres here; write minutes as")
