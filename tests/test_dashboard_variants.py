"""The Variants page and the Compare page with variants: derive, keep, see the differences."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard import variants
from tests.conftest import SCENARIOS
from twin import ScenarioError, Store, load_scenario

BASELINE = SCENARIOS / "baseline.yaml"
ACC2 = "lines[INL1].buffers[ACC2].capacity_m"


def page(name: str) -> AppTest:
    return AppTest.from_string(
        f"from dashboard.views.{name} import page\npage()", default_timeout=60
    )


def current(at: AppTest, path: Path = BASELINE) -> AppTest:
    at.session_state["document"] = yaml.safe_load(path.read_text())
    at.session_state["scenario_label"] = path.name
    at.session_state["scenario"] = load_scenario(path)
    at.session_state["problems"] = []
    return at.run()


def derive(at: AppTest, changes: dict[str, str], name: str) -> AppTest:
    for path, value in changes.items():
        at.selectbox(key="variant-path").set_value(path).run()
        at.text_input(key="variant-value").set_value(value).run()
        at.button(key="variant-add").click().run()
    at.text_input(key="variant-name").set_value(name).run()
    return at.button(key="variant-derive").click().run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_a_variant_is_kept_with_its_parent_and_shows_its_differences() -> None:
    at = current(page("variants"))
    at.selectbox(key="variant-path").set_value(ACC2).run()
    assert at.text_input(key="variant-value").value == "50"  # its value now, to edit
    derive(at, {ACC2: "400", "lines[RCCU].stations[PC2].units": "3"}, "baseline, big ACC2, 3 PC2")
    no_exception(at)
    root, child = Store().variants()
    assert (root.parent, child.parent) == (None, root.id)
    assert child.name == "baseline, big ACC2, 3 PC2"
    assert child.changes == {ACC2: 400, "lines[RCCU].stations[PC2].units": 3}
    document = Store().variant_document(child.id)
    assert document["lines"][0]["buffers"][1]["capacity_m"] == 400
    differences = next(t.value for t in at.table if t.value.index.name == "path")
    assert differences.loc[ACC2].tolist() == ["changed", "50", "400"]
    assert differences.loc["lines[RCCU].stations[PC2].units"].tolist() == ["changed", "2", "3"]
    assert set(differences.index) == {ACC2, "lines[RCCU].stations[PC2].units", "name"}
    assert any(f"as {child.id}, a variant of {root.id}" in s.value for s in at.success)


def test_a_variant_of_a_variant_has_the_stored_variant_as_parent() -> None:
    at = current(page("variants"))
    derive(at, {ACC2: "400"}, "big ACC2")
    first = Store().variants()[1]
    at.selectbox(key="variant-chosen").set_value(first.id).run()
    at.button(key="variant-current").click().run()
    assert at.session_state["variant"] == first.id
    derive(at, {"lines[INL1].buffers[ACC1].capacity_m": "200"}, "big ACC2 and ACC1")
    no_exception(at)
    tree = variants.tree(Store().variants())
    assert [(n.info.name, n.depth) for n in tree] == [
        ("Baseline anode plant (3 lines, 15 stations)", 0),
        ("big ACC2", 1),
        ("big ACC2 and ACC1", 2),
    ]
    differences = next(t.value for t in at.table if t.value.index.name == "path")
    assert set(differences.index) == {"lines[INL1].buffers[ACC1].capacity_m", "name"}


def test_a_change_that_breaks_the_scenario_is_refused_by_its_path() -> None:
    at = current(page("variants"))
    derive(at, {ACC2: "-5"}, "broken")
    no_exception(at)
    problems = next(t.value for t in at.table if t.value.index.name == "path" and "message"
                    in t.value.columns).reset_index()  # fmt: skip
    assert problems["path"].tolist() == ["lines[0].buffers[1].capacity_m"]
    assert Store().variants() == []


def test_values_are_read_as_yaml_and_a_path_given_twice_is_a_problem() -> None:
    rows = pd.DataFrame([{"path": "a.b", "value": "8h"}, {"path": "c", "value": "[mon, tue]"}])
    assert variants.read_changes(rows) == {"a.b": "8h", "c": ["mon", "tue"]}
    twice = pd.DataFrame([{"path": "a", "value": "1"}, {"path": "a", "value": "2"}])
    with pytest.raises(ScenarioError) as error:
        variants.read_changes(twice)
    assert error.value.problems[0].message == "is changed twice (row 2)"


def test_stored_variants_are_compared_on_the_compare_page() -> None:
    at = current(page("variants"))
    derive(at, {ACC2: "400"}, "big ACC2")
    root, child = Store().variants()
    at.button(key="variant-compare-go").click().run()  # no app: the page says where to go
    no_exception(at)
    chosen = at.session_state["compare-scenarios"]
    assert chosen == [
        variants.choice_label(root.id, root.name),
        variants.choice_label(child.id, child.name),
    ]
    compare = current(page("compare"))
    compare.session_state["compare-scenarios"] = chosen
    compare.run()
    assert compare.multiselect(key="compare-scenarios").value == chosen
    compare.number_input(key="compare-days").set_value(1.0)
    compare.number_input(key="compare-replications").set_value(2)
    compare.button[0].click().run()
    deadline = time.monotonic() + 60
    while not compare.dataframe:
        assert time.monotonic() < deadline
        time.sleep(0.2)
        compare.run()
    no_exception(compare)
    plant = compare.dataframe[0].value
    assert list(dict.fromkeys(plant["scenario"])) == chosen[:2]
    assert "difference [95 % CI]" in plant.columns
    names = {run.name for run in Store().runs(kind="simulation")}
    assert names == {root.name, child.name}  # stored under the scenarios' names
