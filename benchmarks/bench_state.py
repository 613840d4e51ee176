"""State loading benchmark (issue 15): a plant state with 200 rolls in stores read and checked
against its scenario in under 1 s.

The baseline's stores hold too few rolls for 200, so the benchmark's scenario is the baseline
with every roll store's capacity raised to 40 and one large order per product (enough rolls to
fill them); each store holds rolls of the products its line runs, each at the recipe step of
the tool before the store. ``read_state`` (file read, YAML parse, schema and every consistency
check) is timed, median of 7 runs in this process.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.scenario import Scenario, scenario_from_document  # noqa: E402
from twin.state import read_state  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
ROLLS = 200
LIMIT_S = 1.0


def plant() -> Scenario:
    """The baseline with 40-roll stores and a 400-roll order per product."""
    document = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    for line in document["lines"]:
        for buffer in line.get("buffers", []):
            if buffer.get("kind") == "roll_store":
                buffer["capacity_rolls"] = 40
    document["orders"] = [
        {"id": f"BIG-{p['id']}", "product": p["id"], "rolls": 400, "release": 0, "due": "30d"}
        for p in document["products"]
    ]
    return scenario_from_document(document)


def state(scenario: Scenario) -> dict[str, Any]:
    """200 rolls spread over the stores, each at the step of the tool before its store."""
    at = scenario.start + dt.timedelta(days=3)
    slots: list[tuple[str, str, int]] = []  # (store, product, done step)
    for line in scenario.lines:
        for index in range(len(line.stations) - 1):
            store = line.buffer_after(index)
            if getattr(store, "capacity_rolls", None) is None:
                continue
            before = line.stations[index]
            for product in scenario.products:
                if line not in scenario.lines_for(product):
                    continue
                route = scenario.route(product, line)
                leg = next((leg for leg in route if leg.station.id == before.id), None)
                if leg is not None:
                    slots.append((store.id, product.id, leg.step_index))
    stores: dict[str, list[dict[str, Any]]] = {}
    counters: dict[str, int] = {}
    for k in range(ROLLS):
        store, product, step = slots[k % len(slots)]
        counters[product] = counters.get(product, 0) + 1
        stores.setdefault(store, []).append(
            {
                "id": f"BIG-{product}/{counters[product]}",
                "order": f"BIG-{product}",
                "product": product,
                "done_step": step,
                "entered": (at - dt.timedelta(minutes=5 * k)).isoformat(),
            }
        )
    return {
        "at": at.isoformat(),
        "stores": [{"store": s, "rolls": rolls} for s, rolls in stores.items()],
        "orders": [{"order": f"BIG-{p}", "released_rolls": n} for p, n in counters.items()],
    }


def main() -> int:
    """Time ``read_state`` on the 200-roll state; exit 1 past the limit."""
    scenario = plant()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.yaml"
        document = state(scenario)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        held = sum(len(s["rolls"]) for s in document["stores"])
        read_state(path, scenario)
        times = []
        for _ in range(7):
            started = time.perf_counter()
            read_state(path, scenario)
            times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    ok = seconds < LIMIT_S
    print(
        f"plant state with {held} rolls in {len(document['stores'])} stores read and checked: "
        f"{seconds:.3f} s (target < {LIMIT_S:g} s) [{'ok' if ok else 'MISSED'}]"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
