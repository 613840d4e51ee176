"""Studies that decide (issue 13, part 4): factors by id, linked paths, named levels, and a
statistical choice of the best design point on the common-random-number replications."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.conftest import SCENARIOS
from twin.scenario import load_scenario, value_at
from twin.study import StudyPlan, StudySpec
from twin.study.selection import select_best


def _values(rows: dict[int, list[float]]) -> dict[int, dict[int, float]]:
    return {point: dict(enumerate(runs)) for point, runs in rows.items()}


def test_the_subset_is_worked_out_by_hand() -> None:
    # Point 1 is point 0 less exactly 1 in every replication: the paired differences have no
    # spread, so it is out at once. Point 2 leads (mean 11.75 against 11.5), but its paired
    # differences from point 0, (0.5, -0.5, 2, -1), have s = sqrt(5.25 / 3) = 1.3229; with
    # t(0.975, 3) = 3.1824 (alpha 0.05 split over k - 1 = 2 comparisons) the allowance is
    # 3.1824 * 1.3229 / 2 = 2.105 > 0.25, so point 0 stays in.
    values = _values({0: [10, 12, 11, 13], 1: [9, 11, 10, 12], 2: [10.5, 11.5, 13, 12]})
    selection = select_best(values, "output", maximise=True)
    assert selection.leader == 2
    assert selection.subset == (2, 0)
    assert selection.confidence == 0.95
    [rival] = selection.rivals
    assert rival.point == 0
    assert rival.difference == pytest.approx(0.25)
    assert rival.half_width == pytest.approx(3.1824 * math.sqrt(5.25 / 3) / 2, rel=1e-3)
    # the smallest n with t(0.975, n - 1) * s / sqrt(n) < 0.25, found by counting up
    s = math.sqrt(5.25 / 3)
    from scipy.stats import t

    n = 5
    while t.ppf(0.975, n - 1) * s / math.sqrt(n) >= 0.25:
        n += 1
    assert rival.replications_needed == n


def test_a_constant_improvement_is_decided_with_two_replications() -> None:
    # common random numbers: the same noise in both points, so their difference is exact
    selection = select_best(_values({0: [100, 140], 1: [101, 141]}), "output", maximise=True)
    assert selection.decided and selection.leader == 1


def test_lower_is_better_for_lead_time() -> None:
    selection = select_best(_values({0: [5, 6, 7], 1: [4, 5, 6]}), "lead_time_h", maximise=False)
    assert selection.subset == (1,)


def test_identical_points_cannot_be_told_apart() -> None:
    selection = select_best(_values({0: [1, 2, 3], 1: [1, 2, 3]}), "x", maximise=True)
    assert set(selection.subset) == {0, 1}
    assert selection.rivals[0].replications_needed is None


def test_the_best_point_is_in_the_subset_at_least_95_percent_of_the_time() -> None:
    # Four points with a shared replication effect (common random numbers) and independent
    # noise; point 0 is truly best by 0.3 noise standard deviations. Over 400 studies of 10
    # replications it must be kept in at least 95 % of them (a binomial 2-sigma margin: 93 %).
    rng = np.random.default_rng(7)
    truth = np.array([10.3, 10.0, 10.0, 9.8])
    kept = 0
    for _ in range(400):
        shared = rng.normal(0, 3, size=10)
        rows = {p: list(truth[p] + shared + rng.normal(0, 1, size=10)) for p in range(4)}
        kept += 0 in select_best(_values(rows), "x", maximise=True).subset
    assert kept / 400 >= 0.93


def _spec(**study: object) -> StudySpec:
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    return StudySpec.model_validate(
        {"name": "s", "scenario": scenario, "replications": 1, "horizon": "1d", **study}
    )


def test_a_factor_may_set_several_paths_named_by_id() -> None:
    paths = [f"lines[INL1].buffers[ACC{k}].capacity_m" for k in (1, 2, 3)]
    plan = StudyPlan.of(_spec(factors=[{"name": "acc", "paths": paths, "values": [80, 400]}]))
    assert plan.points == [{"acc": 80}, {"acc": 400}]
    for point, value in enumerate((80, 400)):
        document = __import__("json").loads(plan.batch.documents[point])
        assert [value_at(document, p) for p in paths] == [value] * 3
        # the same buffers by position: lines[0].buffers[0..2]
        assert [document["lines"][0]["buffers"][k]["capacity_m"] for k in range(3)] == [value] * 3


def test_named_levels_are_sets_of_changes() -> None:
    levels = [
        {"name": "base"},
        {"name": "5 sources", "changes": {"lines[INL1].stations[PC1].equipment.sources": 5}},
        {"name": "third PC2", "changes": {"lines[RCCU].stations[PC2].units": 3}},
    ]
    plan = StudyPlan.of(_spec(factors=[{"name": "option", "levels": levels}]))
    assert [p["option"] for p in plan.points] == ["base", "5 sources", "third PC2"]
    documents = [__import__("json").loads(d) for d in plan.batch.documents]
    sources = [d["lines"][0]["stations"][1]["equipment"]["sources"] for d in documents]
    units = [d["lines"][1]["stations"][1]["units"] for d in documents]
    assert sources == [4, 5, 4] and units == [2, 2, 3]


def test_the_long_table_has_a_row_per_point_and_kpi(tmp_path: object) -> None:
    from twin.store import TaskOutcome
    from twin.study import StudyResult

    outcomes = [
        TaskOutcome(p, r, {"a": 1.0 + p + r, "b": 2.0}, {}, 0.0) for p in range(2) for r in range(3)
    ]
    result = StudyResult(
        "st-1", "s", ["f"], ["a", "b"], [{"f": 1}, {"f": 2}], outcomes, objective="a", maximise=True
    )
    long = result.long_table()
    assert list(long.columns) == ["point", "f", "kpi", "mean", "low", "high", "n"]
    assert len(long) == 4
    row = long[(long.point == 1) & (long.kpi == "a")].iloc[0]
    assert row["mean"] == pytest.approx(3.0) and row["n"] == 3
    assert result.decision().leader == 1
