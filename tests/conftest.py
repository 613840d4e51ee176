"""Shared fixtures: paths to bundled scenarios and a small valid document to mutate."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BUNDLED_SCENARIOS = [
    path
    for path in sorted(SCENARIOS.rglob("*.yaml"))
    if "states" not in path.relative_to(SCENARIOS).parts  # plant states, not scenarios
]
VALIDATION = SCENARIOS / "validation"

SMALL_PLANT: dict[str, Any] = {
    "name": "small plant",
    "roll_length_m": 1000,
    "products": [
        {
            "id": "si_ni",
            "web_width_m": 1.0,
            "recipe": [
                {"station_type": "oxidation", "temperature_c": 700, "oxide_thickness_um": 0.95},
                {
                    "station_type": "pecvd",
                    "si_thickness_um": 4,
                    "cap": {"material": "SiNx", "thickness_nm": 15},
                },
                {"station_type": "anneal", "temperature_c": 475, "dwell": "10min"},
            ],
        }
    ],
    "lines": [
        {
            "id": "A",
            "stations": [
                {
                    "id": "OX",
                    "equipment": {
                        "type": "oxidation",
                        "web_width_m": 1.2,
                        "max_speed_m_min": 5,
                        "heated_length_m": 60,
                    },
                },
                {
                    "id": "PE",
                    "equipment": {
                        "type": "pecvd",
                        "web_width_m": 1.2,
                        "max_speed_m_min": 10,
                        "sources": 4,
                        "dynamic_rate_nm_m_min": 3000,
                        "cap_sources": 1,
                    },
                    "failures": [
                        {
                            "ttf": {"dist": "exponential", "mean": "90h"},
                            "ttr": {"dist": "exponential", "mean": "10h"},
                        }
                    ],
                },
                {
                    "id": "AN",
                    "equipment": {
                        "type": "anneal",
                        "web_width_m": 1.2,
                        "max_speed_m_min": 10,
                        "heated_length_m": 30,
                    },
                },
            ],
            "buffers": [
                {"kind": "roll_store", "id": "S1", "between": ["OX", "PE"], "capacity_rolls": 4},
                {"kind": "roll_store", "id": "S2", "between": ["PE", "AN"], "capacity_rolls": 4},
            ],
        }
    ],
    "orders": [
        {"id": "O1", "product": "si_ni", "length_m": 3000, "due": "5d"},
        {"id": "O2", "product": "si_ni", "length_m": 1500, "release": "1d", "due": "6d"},
    ],
    "run": {"horizon": "7d", "seed": 3},
}


@pytest.fixture
def small_plant() -> dict[str, Any]:
    """A fresh copy of a valid three-tool plant document."""
    return copy.deepcopy(SMALL_PLANT)


@pytest.fixture(autouse=True)
def store_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that keep their runs (r2r simulate) write to a store of the test's own."""
    monkeypatch.setenv("R2R_STORE", str(tmp_path / "r2r-store.sqlite"))


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the suite uses."""
    config.addinivalue_line("markers", "slow: takes more than a few seconds; runs in make test")
