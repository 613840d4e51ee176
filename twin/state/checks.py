"""A plant state checked against its scenario: ids that exist, and a state that can be.

Every problem is found in one pass and named by its path, with the ids the file gives
(``units[2] (PC1).roll.step``): a unit or store the scenario does not have; a roll on a tool at
a step of its recipe that is not that tool's; a roll in a store whose last step is not the one
before the store; a counter past its maintenance limit; a store holding more rolls than it can,
an accumulator more web; an order further along than it has rolls, or on two lines; a roll in two
places.

Released rolls that are neither finished nor anywhere the state places them are taken to wait at
their line's entry (a plant's systems may not list that queue); the twin's own snapshots list
them in ``queues``.
"""

from __future__ import annotations

from collections.abc import Iterator

from twin.problems import Problem
from twin.scenario import Line, RollStore, Scenario, Station, did_you_mean
from twin.state.model import LastRun, PlantState, QueuedRoll, RollOnTool, StoredRoll, UnitState


def _units(scenario: Scenario) -> dict[str, tuple[Line, Station]]:
    """Every station unit by its name: the station id, or ``PC2#k`` for parallel units."""
    units = {}
    for line in scenario.lines:
        for station in line.stations:
            if station.units == 1:
                units[station.id] = (line, station)
            else:
                for k in range(station.units):
                    units[f"{station.id}#{k + 1}"] = (line, station)
    return units


def _stores(scenario: Scenario) -> dict[str, tuple[Line, RollStore, int]]:
    """Every roll store by id, with its line and the index of the station before it."""
    stores = {}
    for line in scenario.lines:
        for index in range(len(line.stations) - 1):
            buffer = line.buffer_after(index)
            if isinstance(buffer, RollStore):
                stores[buffer.id] = (line, buffer, index)
    return stores


def _step_on(
    scenario: Scenario, line: Line, station: Station, product_id: str, step: int, path: str
) -> Iterator[Problem]:
    """Whether recipe step ``step`` of ``product_id`` runs on ``station`` of ``line``."""
    product = next((p for p in scenario.products if p.id == product_id), None)
    if product is None:
        known = [p.id for p in scenario.products]
        yield Problem(f"{path}.product", did_you_mean("product", product_id, known))
        return
    if step >= len(product.recipe):
        message = (
            f"{product_id} has {len(product.recipe)} recipe steps (0 to {len(product.recipe) - 1})"
        )
        yield Problem(f"{path}.step", message)
        return
    route = scenario.route(product, line) if line in scenario.lines_for(product) else None
    if route is None:
        yield Problem(f"{path}.product", f"line {line.id!r} does not run {product_id}")
        return
    leg = next((leg for leg in route if leg.step_index == step), None)
    if leg is None or leg.station.id != station.id:
        kind = product.recipe[step].station_type
        where = f"on {leg.station.id}" if leg is not None else "elsewhere"
        yield Problem(
            f"{path}.step",
            f"step {step} of {product_id} ({kind}) runs {where}, not on {station.id} "
            f"({station.equipment.type})",
        )


def _roll_matches_order(
    scenario: Scenario, roll: RollOnTool | StoredRoll | QueuedRoll, path: str
) -> Iterator[Problem]:
    order = next((o for o in scenario.orders if o.id == roll.order), None)
    if order is None:
        known = [o.id for o in scenario.orders]
        yield Problem(f"{path}.order", did_you_mean("order", roll.order, known))
    elif order.product != roll.product:
        yield Problem(f"{path}.product", f"order {roll.order} is for {order.product}")
    length = roll.length_m or scenario.roll_length_m
    if isinstance(roll, RollOnTool) and roll.done_m > length + 1e-6:
        yield Problem(f"{path}.done_m", f"is more than the roll's {length:g} m")


def _unit_problems(
    scenario: Scenario, state: PlantState, index: int, unit: UnitState, place: tuple[Line, Station]
) -> Iterator[Problem]:
    line, station = place
    path = f"units[{index}]"
    if unit.until is not None and unit.until <= state.at:
        yield Problem(f"{path}.until", f"is not after the state's moment ({state.at})")
    modes = [f.name for f in station.failures]
    if unit.failure is not None and unit.failure not in modes:
        yield Problem(f"{path}.failure", did_you_mean("failure mode", unit.failure, modes))
    if unit.status == "down" and unit.until is None and not modes:
        yield Problem(f"{path}.until", f"{station.id} has no failure mode to draw a repair from")
    elif unit.status == "down" and unit.until is None and unit.failure is None and len(modes) > 1:
        yield Problem(
            f"{path}.failure",
            f"{station.id} has {len(modes)} failure modes ({', '.join(modes)}): name the one "
            "whose repair is under way, or give 'until'",
        )
    tasks = [t.name for t in station.maintenance]
    if unit.task is not None and unit.task not in tasks:
        yield Problem(f"{path}.task", did_you_mean("maintenance task", unit.task, tasks))
    for name in unit.operating_min:
        if name not in modes:
            yield Problem(f"{path}.operating_min.{name}", did_you_mean("failure mode", name, modes))
    counters = type(station.equipment).usage_counters
    limits = {t.counter: t.limit for t in station.usage_maintenance()}
    for name, value in unit.counters.items():
        if name not in counters:
            yield Problem(f"{path}.counters.{name}", did_you_mean("counter", name, list(counters)))
        elif name in limits and value > limits[name]:
            yield Problem(
                f"{path}.counters.{name}",
                f"{value:g} is past its maintenance limit of {limits[name]:g}",
            )
    if unit.roll is not None:
        yield from _step_on(
            scenario, line, station, unit.roll.product, unit.roll.step, f"{path}.roll"
        )
        yield from _roll_matches_order(scenario, unit.roll, f"{path}.roll")
    if unit.last is not None:
        yield from _last_problems(scenario, line, station, unit.last, f"{path}.last")


def _last_problems(
    scenario: Scenario, line: Line, station: Station, last: LastRun, path: str
) -> Iterator[Problem]:
    yield from _step_on(scenario, line, station, last.product, last.step, path)


def _store_problems(
    scenario: Scenario, state: PlantState, stores: dict[str, tuple[Line, RollStore, int]]
) -> Iterator[Problem]:
    seen: set[str] = set()
    for si, held in enumerate(state.stores):
        path = f"stores[{si}]"
        if held.store in seen:
            yield Problem(f"{path}.store", f"store {held.store!r} is given more than once")
        seen.add(held.store)
        if held.store not in stores:
            yield Problem(f"{path}.store", did_you_mean("roll store", held.store, list(stores)))
            continue
        line, spec, before = stores[held.store]
        if len(held.rolls) > spec.capacity_rolls:
            yield Problem(
                f"{path}.rolls",
                f"{len(held.rolls)} rolls are more than {held.store} holds ({spec.capacity_rolls})",
            )
        upstream = line.stations[before]
        for ri, roll in enumerate(held.rolls):
            where = f"{path}.rolls[{ri}]"
            yield from _roll_matches_order(scenario, roll, where)
            if roll.entered > state.at:
                yield Problem(f"{where}.entered", f"is after the state's moment ({state.at})")
            for problem in _step_on(scenario, line, upstream, roll.product, roll.done_step, where):
                if problem.path.endswith(".step"):  # the store sits after its upstream tool
                    problem = Problem(
                        f"{where}.done_step",
                        f"{problem.message}: a roll in {held.store} has just left {upstream.id}",
                    )
                yield problem


def _queue_problems(scenario: Scenario, state: PlantState) -> Iterator[Problem]:
    lines = {line.id: line for line in scenario.lines}
    seen: set[str] = set()
    for qi, queue in enumerate(state.queues):
        path = f"queues[{qi}]"
        if queue.line in seen:
            yield Problem(f"{path}.line", f"line {queue.line!r} is given more than once")
        seen.add(queue.line)
        line = lines.get(queue.line)
        if line is None:
            yield Problem(f"{path}.line", did_you_mean("line", queue.line, list(lines)))
            continue
        for ri, roll in enumerate(queue.rolls):
            where = f"{path}.rolls[{ri}]"
            yield from _roll_matches_order(scenario, roll, where)
            if roll.released > state.at:
                yield Problem(f"{where}.released", f"is after the state's moment ({state.at})")
            product = next((p for p in scenario.products if p.id == roll.product), None)
            if product is not None and line not in scenario.lines_for(product):
                yield Problem(f"{where}.product", f"line {line.id!r} does not run {product.id}")


def state_problems(state: PlantState, scenario: Scenario) -> list[Problem]:
    """Every way ``state`` does not fit ``scenario``, each by its path (empty when it fits)."""
    problems: list[Problem] = []
    units = _units(scenario)
    named: set[str] = set()
    for index, unit in enumerate(state.units):
        if unit.unit in named:
            problems.append(Problem(f"units[{index}].unit", f"{unit.unit!r} is given twice"))
        named.add(unit.unit)
        place = units.get(unit.unit)
        if place is None:
            hint = did_you_mean("station unit", unit.unit, list(units))
            problems.append(Problem(f"units[{index}].unit", hint))
            continue
        problems += _unit_problems(scenario, state, index, unit, place)
    stores = _stores(scenario)
    problems += _store_problems(scenario, state, stores)
    problems += _queue_problems(scenario, state)
    accumulators = {
        b.id: b for line in scenario.lines for b in line.buffers if not isinstance(b, RollStore)
    }
    for ai, level in enumerate(state.accumulators):
        path = f"accumulators[{ai}]"
        spec = accumulators.get(level.accumulator)
        if spec is None:
            problems.append(
                Problem(
                    f"{path}.accumulator",
                    did_you_mean("accumulator", level.accumulator, list(accumulators)),
                )
            )
        elif level.level_m > spec.capacity_m:
            problems.append(
                Problem(
                    f"{path}.level_m",
                    f"{level.level_m:g} m is more than {spec.id} holds ({spec.capacity_m:g} m)",
                )
            )
    problems += _placement_problems(state, scenario)
    return problems


def _placement_problems(state: PlantState, scenario: Scenario) -> list[Problem]:
    """A roll in two places; an order on two lines, or further along than its rolls allow."""
    problems: list[Problem] = []
    places: dict[str, str] = {}
    segment_of = {
        station.id: "+".join(s.id for s in segment)
        for line in scenario.lines
        for segment in line.segments()
        for station in segment
    }
    line_of = {station.id: line.id for line in scenario.lines for station in line.stations}
    store_line = {buffer.id: line.id for line in scenario.lines for buffer in line.buffers}
    held: dict[str, list[str]] = {}  # order: ids of its rolls in the plant
    lines: dict[str, dict[str, str]] = {}  # order: line -> the path of its first roll there

    def place(roll_id: str, order: str, where: str, path: str, line: str | None) -> None:
        first = places.get(roll_id)
        if first is not None:
            if first != where or where.startswith("in "):  # an inline segment's units share
                problems.append(Problem(f"{path}.id", f"{roll_id} is also {first}"))
            return
        places[roll_id] = where
        held.setdefault(order, []).append(roll_id)
        if line is not None:
            lines.setdefault(order, {}).setdefault(line, path)

    for index, unit in enumerate(state.units):
        if unit.roll is not None:
            station, _, number = unit.unit.partition("#")
            where = f"on {segment_of.get(station, station)}" + (f"#{number}" if number else "")
            on = unit.roll
            place(on.id, on.order, where, f"units[{index}].roll", line_of.get(station))
    for si, store in enumerate(state.stores):
        for ri, roll in enumerate(store.rolls):
            where = f"in store {store.store}"
            path = f"stores[{si}].rolls[{ri}]"
            place(roll.id, roll.order, where, path, store_line.get(store.store))
    for qi, queue in enumerate(state.queues):
        for ri, queued in enumerate(queue.rolls):
            where = f"in {queue.line}'s queue"
            place(queued.id, queued.order, where, f"queues[{qi}].rolls[{ri}]", queue.line)
    for order_id, on_lines in lines.items():
        if len(on_lines) > 1:
            where = " and ".join(f"{line} ({path})" for line, path in on_lines.items())
            problems.append(
                Problem("orders", f"order {order_id} has rolls on {where}: it runs on one line")
            )
    orders = {o.id: o for o in scenario.orders}
    given: set[str] = set()
    for oi, progress in enumerate(state.orders):
        path = f"orders[{oi}]"
        order = orders.get(progress.order)
        if progress.order in given:
            problems.append(Problem(f"{path}.order", f"order {progress.order!r} is given twice"))
        given.add(progress.order)
        if order is None:
            problems.append(
                Problem(f"{path}.order", did_you_mean("order", progress.order, list(orders)))
            )
            continue
        total = scenario.order_rolls(order)
        if progress.released_rolls > total:
            problems.append(
                Problem(f"{path}.released_rolls", f"order {order.id} has {total} rolls")
            )
        in_plant = held.get(order.id, [])
        if progress.finished_rolls + len(in_plant) > progress.released_rolls:
            problems.append(
                Problem(
                    f"{path}.released_rolls",
                    f"{progress.released_rolls} released, but {progress.finished_rolls} finished "
                    f"and {len(in_plant)} on tools, in stores or queued",
                )
            )
        if progress.released_ids:
            released = set(progress.released_ids)
            if len(released) < len(progress.released_ids):
                problems.append(Problem(f"{path}.released_ids", "names a roll more than once"))
            stray = [r for r in in_plant if r not in released and not r.endswith("r")]
            if stray:
                problems.append(
                    Problem(
                        f"{path}.released_ids",
                        f"leaves out {', '.join(stray)}, which the state has in the plant",
                    )
                )
    for order_id, rolls in held.items():
        if order_id in orders and order_id not in given:
            total = scenario.order_rolls(orders[order_id])
            if len(rolls) > total:
                problems.append(
                    Problem(
                        "orders",
                        f"order {order_id} has {len(rolls)} rolls in the plant but only {total} "
                        "in all",
                    )
                )
    return problems


__all__ = ["state_problems"]
