"""Generated and mutated input documents: scenarios, studies and genealogies.

Every case starts from a real document (the bundled scenarios, a small plant, the bundled study,
a genealogy the twin wrote) and applies a few mutations of the kinds that found the failures of
issue 11: extreme and non-finite numbers, wrong types, empty and odd keys, ids with dots, missing
and repeated parts, bad dates and durations, hostile paths, YAML tags, aliases, deep nesting,
and damaged text. A case is fully determined by its seed, so a failure found once is found again.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import random
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

NUMBERS: list[Any] = [
    0, -1, 1, 0.5, 1e-9, 1e-300, 1e9, 1e300, 2**31, 2**63, 2**64, -(2**63),
    float("inf"), float("-inf"), float("nan"), 0.000001, 20, 1000, 100_000, 10**7,
]  # fmt: skip
STRINGS: list[Any] = [
    "", " ", "x", "1e400", "-1", "8h", "2d", "0min", "1m", "90 min", "2 days", "nan", "inf",
    "INL.1", "a" * 70, "é", "2026-14-12", "2026-02-30", "25:61", "mon", "../../etc/passwd",
    "/dev/zero", "/etc/shadow", "1e-9h", "3 weeks", "  8h  ", "-0", "0x1F", "yes",
]  # fmt: skip
OTHERS: list[Any] = [
    None, True, False, [], {}, [1, 2], {"": 1}, {"id": "X"}, {"dist": "fixed", "value": 0},
    {"dist": "weibull", "shape": 1e-9, "scale": 100}, dt.date(2026, 12, 1),
    dt.datetime(2026, 12, 1, 6, 0), [[[]]],
]  # fmt: skip
TEXT_SNIPPETS = [
    "!!timestamp 2001-12-14x", "!!binary aGVsbG8=", "!!python/object:os.system ls", "!!set {a}",
    "&a [*a]", "*missing", "!!float .inf", "!!int 0x1F", "{{{{", "]]]", "'\x00'", "\t", "? [a]",
]  # fmt: skip


@functools.cache
def scenario_seeds() -> tuple[tuple[str, str], ...]:
    """The documents mutations start from: every bundled scenario and a small plant, as JSON."""
    from tests.conftest import BUNDLED_SCENARIOS, SMALL_PLANT

    seeds = [("small plant", json.dumps(SMALL_PLANT, default=str))]
    for path in BUNDLED_SCENARIOS:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        seeds.append((str(path.relative_to(ROOT)), json.dumps(document, default=str)))
    return tuple(seeds)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in ``node`` (mapping keys and list positions)."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*path, index))
    return found


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _ids(document: Any) -> list[str]:
    return [v for p in _places(document) if p and p[-1] == "id" for v in [_get(document, p)]]


def _value(rng: random.Random, document: Any, current: Any) -> Any:
    """A replacement value: extreme, mistyped, borrowed from elsewhere, or scaled."""
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(NUMBERS)
    if roll < 0.5:
        return rng.choice(STRINGS)
    if roll < 0.6:
        return copy.deepcopy(rng.choice(OTHERS))
    if roll < 0.7 and (ids := _ids(document)):
        return rng.choice(ids)
    if roll < 0.85 and isinstance(current, int | float) and not isinstance(current, bool):
        return current * rng.choice([0, -1, 1e-6, 1e-3, 10, 1e6, 0.999999, 1.000001])
    borrowed = _get(document, rng.choice(_places(document)))
    small = len(json.dumps(borrowed, default=str)) < 2000  # no copying a part into itself
    return copy.deepcopy(borrowed) if small else rng.choice(NUMBERS)


def nudge(document: Any, rng: random.Random) -> Any:
    """``document`` with one number scaled (by 10^-3 to 10^3) or set to 0: often still valid."""
    document = copy.deepcopy(document)
    numbers = [
        p
        for p in _places(document)
        if p and isinstance(v := _get(document, p), int | float) and not isinstance(v, bool)
    ]
    if numbers:
        path = rng.choice(numbers)
        parent = _get(document, path[:-1])
        value = parent[path[-1]]
        factor = rng.choice([0.0, 1e-3, 0.01, 0.1, 0.5, 2, 10, 100, 1000])
        parent[path[-1]] = type(value)(value * factor) if isinstance(value, int) else value * factor
    return document


def mutate(document: Any, rng: random.Random, count: int | None = None) -> Any:
    """``document`` after ``count`` (1–4 by default) random structural mutations."""
    document = copy.deepcopy(document)
    for _ in range(count or rng.randint(1, 4)):
        places = [p for p in _places(document) if p]
        if not places:
            return rng.choice([None, [], "x", 5])
        path = rng.choice(places)
        parent = _get(document, path[:-1])
        key = path[-1]
        action = rng.random()
        if action < 0.55:
            parent[key] = _value(rng, document, parent[key])
        elif action < 0.7:
            del parent[key]
        elif action < 0.8 and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))  # a repeated item: repeated ids
        elif action < 0.9 and isinstance(parent, dict):
            parent[rng.choice(["", " ", "colour", "a.b", "x" * 80, "lines", "0"])] = _value(
                rng, document, None
            )
        elif isinstance(parent[key], list):
            parent[key] = [] if rng.random() < 0.5 else parent[key] * rng.choice([2, 50])
        else:
            parent[key] = _value(rng, document, parent[key])
    return document


def damage(text: str, rng: random.Random) -> str:
    """Text-level damage: a tag, an alias, a cut, a stray byte, a deep nest or an alias bomb."""
    action = rng.random()
    if action < 0.35:
        lines = text.splitlines()
        index = rng.randrange(len(lines)) if lines else 0
        if lines and ":" in lines[index]:
            head, _, tail = lines[index].partition(":")
            lines[index] = f"{head}: {rng.choice(TEXT_SNIPPETS)}{' ' + tail if tail else ''}"
        return "\n".join(lines) + "\n"
    if action < 0.5:
        return text[: rng.randrange(len(text) + 1)]
    if action < 0.65:
        position = rng.randrange(len(text) + 1)
        return (
            text[:position]
            + rng.choice(["\x00", "\ufeff", "\t", "\r", "é", "%", "@"])
            + text[position:]
        )
    if action < 0.75:
        return text + "deep: " + "[" * rng.choice([50, 2000, 20000]) + "\n"
    if action < 0.85:
        bomb = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))
        return text + "l0: &l0 [x]\n" + bomb
    return text.replace(":", rng.choice([" :", "::", ": :", ":"]), rng.randint(1, 3))


def render(document: Any, rng: random.Random) -> tuple[str, str]:
    """``document`` as YAML or JSON text (``fmt``), damaged now and then."""
    if rng.random() < 0.3:
        return json.dumps(document, default=str), "json"
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if rng.random() < 0.25:
        text = damage(text, rng)
    return text, "yaml"


def scenario_case(seed: int) -> tuple[str, str, str]:
    """Case ``seed``: (the document it started from, its text, its format)."""
    rng = random.Random(seed)
    name, seed_text = rng.choice(scenario_seeds())
    document = json.loads(seed_text)
    roll = rng.random()
    if roll < 0.45:
        for _ in range(rng.randint(1, 3)):
            document = nudge(document, rng)
    elif roll < 0.95:
        document = mutate(document, rng)
    text, fmt = render(document, rng)
    return name, text, fmt


# ------------------------------------------------------------------------------------ studies
STUDY_SEED: dict[str, Any] = {
    "name": "fuzzed study",
    "scenario": "validation/roll_coupled_three_tools.yaml",
    "factors": [
        {"name": "store", "path": "lines[0].buffers[0].capacity_rolls", "values": [2, 4]},
        {"name": "speed", "path": "lines[0].stations[0].equipment.speed_m_min", "range": [5, 10],
         "levels": 2},
    ],
    "design": "full_factorial",
    "replications": 2,
    "horizon": "1d",
    "kpis": ["output_m_per_h"],
    "objective": "output_m_per_h",
}  # fmt: skip
FACTOR_PATHS = [
    "name[0]", ".", "", "lines", "lines[0]", "lines[99].units", "lines[0].stations[0]", "a..b",
    "lines[-1].id", "lines[0].buffers[0].capacity_rolls[0]", "run.horizon", "lines[x]",
    "lines[0].stations[M1].units", "orders[0].length_m", "description", "lines[0]]",
]  # fmt: skip
RANGES = [[0, float("inf")], [10, 2**64], [1, 1], [5, 1], [-1e308, 1e308], [0, 1e-12], ["a", 1]]


def study_case(seed: int) -> str:
    """Study case ``seed`` as YAML (or JSON) text."""
    rng = random.Random(seed)
    document = copy.deepcopy(STUDY_SEED)
    if rng.random() < 0.5:
        document["scenario"] = rng.choice(
            ["baseline.yaml", "/etc/shadow", "../../../../etc/passwd", "/dev/zero", "nowhere.yaml",
             {"name": "inline"}, 5]
        )  # fmt: skip
    for _ in range(rng.randint(1, 3)):
        factors = document.get("factors")
        factor = rng.choice(factors) if isinstance(factors, list) and factors else {}
        factor = factor if isinstance(factor, dict) else {}
        roll = rng.random()
        if roll < 0.3:
            factor["path"] = rng.choice(FACTOR_PATHS)
        elif roll < 0.5:
            factor.pop("values", None)
            factor["range"] = copy.deepcopy(rng.choice(RANGES))
            factor["levels"] = rng.choice([2, 3, 1000, 0, None])
        elif roll < 0.6:
            document["design"] = rng.choice(
                ["one_at_a_time", {"kind": "latin_hypercube", "samples": rng.choice([1, 3, 10**6])},
                 "nonsense", {"kind": "latin_hypercube"}]
            )  # fmt: skip
        else:
            document = mutate(document, rng, 1)
    text, _ = render(document, rng)
    return text


# -------------------------------------------------------------------------------- genealogies
@functools.cache
def genealogy_seed() -> str:
    """A genealogy the twin writes: one replication of a day of the baseline."""
    from twin.engine import RunOptions, simulate
    from twin.scenario import load_scenario

    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    result = simulate(
        scenario,
        RunOptions.of(scenario, replications=1, horizon_min=1440, warmup_min=0, genealogy=True),
    )
    return json.dumps({"scenario": result.scenario, "seed": result.seed, "rolls": result.rolls})


def genealogy_case(seed: int) -> str:
    """Genealogy case ``seed`` as JSON text (damaged now and then)."""
    rng = random.Random(seed)
    document = json.loads(genealogy_seed())
    document["rolls"] = document["rolls"][:3]
    document = mutate(document, rng)
    text = json.dumps(document, default=str)
    if rng.random() < 0.15:
        text = text[: rng.randrange(len(text) + 1)]
    if rng.random() < 0.05:
        text = "[" * 100_000 + "]" * 100_000
    return text
