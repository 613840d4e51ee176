"""What changed between two scenario documents: each difference by the path a planner names."""

from __future__ import annotations

import copy

import yaml

from tests.conftest import SCENARIOS, SMALL_PLANT
from twin import Change, changed_paths, parse_scenario


def test_the_bundled_large_accumulator_variant_differs_in_its_three_accumulators() -> None:
    base = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    large = yaml.safe_load((SCENARIOS / "baseline_large_accumulator.yaml").read_text())
    found = {c.path: (c.kind, c.before, c.after) for c in changed_paths(base, large)}
    for accumulator in ("ACC1", "ACC2", "ACC3"):
        assert found[f"lines[INL1].buffers[{accumulator}].capacity_m"] == ("changed", 50, 400)
    assert set(found) == {
        "name",
        *(f"lines[INL1].buffers[ACC{k}].capacity_m" for k in (1, 2, 3)),
    }


def test_items_are_named_by_id_and_added_removed_or_reordered_once() -> None:
    before = copy.deepcopy(SMALL_PLANT)
    after = copy.deepcopy(SMALL_PLANT)
    after["orders"].append({"id": "O3", "product": "si_ni", "length_m": 1000, "due": "7d"})
    del after["orders"][0]
    after["lines"][0]["stations"][1]["equipment"]["sources"] = 5
    after["lines"][0]["buffers"].reverse()
    after["run"]["horizon"] = "7d"  # the same text: no difference
    after["roll_length_m"] = 1000.0  # the same number: no difference
    found = changed_paths(before, after)
    assert Change("orders[O1]", "removed", before["orders"][0], None) in found
    assert Change("orders[O3]", "added", None, after["orders"][-1]) in found
    assert Change("lines[A].stations[PE].equipment.sources", "changed", 4, 5) in found
    assert Change("lines[A].buffers", "reordered", ["S1", "S2"], ["S2", "S1"]) in found
    assert len(found) == 4


def test_every_changed_path_sets_the_variant_from_its_parent() -> None:
    before = copy.deepcopy(SMALL_PLANT)
    after = copy.deepcopy(SMALL_PLANT)
    after["lines"][0]["stations"][0]["equipment"]["max_speed_m_min"] = 7
    after["lines"][0]["buffers"][1]["capacity_rolls"] = 6
    changes = {c.path: c.after for c in changed_paths(before, after) if c.kind == "changed"}
    assert set(changes) == {
        "lines[A].stations[OX].equipment.max_speed_m_min",
        "lines[A].buffers[S2].capacity_rolls",
    }
    parent = parse_scenario(yaml.safe_dump(before))
    assert parent.with_changes(changes) == parse_scenario(yaml.safe_dump(after))
