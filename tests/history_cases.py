"""Plants and experiments shared by the history tests and benchmarks/bench_history.py."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twin.engine import RunOptions, StateChange, run_replication
from twin.history import EventLog, records_log
from twin.history.episodes import station_histories
from twin.history.fitting import Sample, fit_durations, fit_family
from twin.scenario import Scenario, scenario_from_document

DATA = Path(__file__).resolve().parent / "data" / "history"


def one_station_lines(
    count: int, ttf: dict[str, Any], ttr: dict[str, Any], horizon: str, seed: int = 1
) -> Scenario:
    """``count`` independent one-station lines kept busy, each with the same failure mode."""
    lines, orders = [], []
    days = float(horizon.removesuffix("d"))
    length = (
        round(days * 1440 * 10 * 1.05 / 20_000) * 20_000
    )  # a little more than the horizon makes
    for k in range(count):
        lines.append(
            {
                "id": f"L{k}",
                "stations": [
                    {
                        "id": f"S{k}",
                        "equipment": {"type": "generic", "speed_m_min": 10},
                        "failures": [
                            {"name": "fault", "ttf": ttf, "ttr": ttr, "needs_crew": False}
                        ],
                    }
                ],
            }
        )
        orders.append(
            {"id": f"O{k}", "product": "P", "length_m": length, "line": f"L{k}", "due": "400d"}
        )
    document = {
        "name": f"{count} one-station lines",
        "roll_length_m": 20_000,  # long rolls: few roll boundaries, a fast simulation
        "products": [{"id": "P", "web_width_m": 1.0, "recipe": [{"station_type": "generic"}]}],
        "lines": lines,
        "orders": orders,
        "run": {"horizon": horizon, "seed": seed, "quality": False},
    }
    return scenario_from_document(document, "one-station lines")


def twin_log(scenario: Scenario, seed: int | None = None) -> EventLog:
    """One replication of ``scenario`` from an empty plant, as an event log."""
    records, _ = recorded_run(scenario, seed)
    return records_log(records, scenario.run.horizon)


@dataclass(frozen=True)
class CensoringOutcome:
    """Estimates of a mean time to failure from many short logs, with and without censoring."""

    truth: float
    ours: list[float]
    ours_covered: list[bool]
    naive: list[float]
    naive_covered: list[bool]
    too_few: int

    @property
    def ours_ratio(self) -> float:
        """Median of our estimates over the truth."""
        return float(np.median(self.ours)) / self.truth

    @property
    def naive_ratio(self) -> float:
        """Median of the naive estimates over the truth."""
        return float(np.median(self.naive)) / self.truth

    @property
    def ours_coverage(self) -> float:
        """Share of our 95 % intervals that contain the truth."""
        return float(np.mean(self.ours_covered))

    @property
    def naive_coverage(self) -> float:
        """Share of the naive 95 % intervals that contain the truth."""
        return float(np.mean(self.naive_covered))


def censoring_experiment(seeds: int, stations: int = 10) -> CensoringOutcome:
    """Mean time to failure 200 h against two-month logs: a few failures per station each."""
    truth = 200 * 60.0
    scenario = one_station_lines(
        stations,
        {"dist": "exponential", "mean": "200h"},
        {"dist": "exponential", "mean": "2h"},
        "60d",
    )
    ours, ours_covered, naive, naive_covered = [], [], [], []
    too_few = 0
    for seed in range(1, seeds + 1):
        log = twin_log(scenario, seed)
        for history in station_histories(log, scenario).values():
            durations = history.ttf["fault"]
            fit = fit_durations(durations.sample(), families=["exponential"])
            if fit.best is None:
                too_few += 1
                continue
            mean = fit.best.parameter("mean")
            ours.append(mean.value)
            ours_covered.append(mean.covers(truth))
            exact = durations.sample().exact  # what ignoring censored up-periods leaves
            crude = fit_family("exponential", Sample.of(exact, exact))
            assert crude is not None
            naive_mean = crude.parameter("mean")
            naive.append(naive_mean.value)
            naive_covered.append(naive_mean.covers(truth))
    return CensoringOutcome(truth, ours, ours_covered, naive, naive_covered, too_few)


def recorded_run(
    scenario: Scenario, seed: int | None = None, horizon_min: float | None = None
) -> tuple[list[StateChange], dict[str, float]]:
    """One replication from an empty plant: the engine's state changes (causes, rolls, products,
    steps and metres) and its figures by their dotted names."""
    options = RunOptions.of(
        scenario, demand="orders", seed=seed, horizon_min=horizon_min, event_log=True
    )
    record = run_replication(scenario, options, 0)
    return record.events or [], record.flatten()


def doubled(document: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    """A copy of ``document`` with the repair mean at ``path`` doubled (minutes or '2h')."""
    copy_ = copy.deepcopy(document)
    node = copy_
    for key in path[:-1]:
        node = node[key]
    value = node[path[-1]]
    minutes = float(value[:-1]) * 60 if isinstance(value, str) and value.endswith("h") else value
    node[path[-1]] = 2 * minutes
    return copy_


__all__ = [
    "DATA",
    "CensoringOutcome",
    "censoring_experiment",
    "doubled",
    "math",
    "one_station_lines",
    "recorded_run",
    "twin_log",
]
