"""A 5-station roll-coupled line written the usual way in plain SimPy, salabim and ciw.

The line of issue 12: exponential process times with means 10, 11, 12, 11 and 10 min per roll;
operation-dependent failures (time to failure exponential with mean 500 operating minutes, repair
exponential with mean 25 min, no crew); four stores of 3 rolls between the machines with blocking
after service (a finished roll stays on its machine until the next store has room); a saturated
source (the first machine never waits for a roll). Each returns the rolls per hour the last
machine finished after the warm-up. They import nothing from ``twin`` and serve as references
for the benchmark ``bench_line.py``.

With exponential times to failure that run only while a machine works, the failures during one
roll are a Poisson process in its process time, so "process time plus the repairs of the failures
that fell in it" has the same law as the clocked failures; ciw, which has no operation-dependent
failures, is given service times drawn that way.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import Any

MEANS = (10.0, 11.0, 12.0, 11.0, 10.0)
MTTF, MTTR, STORE = 500.0, 25.0, 3
DAY = 1440.0


def simpy_line(days: float = 100, warmup_days: float = 1, seed: int = 1) -> float:
    """The line in plain SimPy: one process per machine, ``simpy.Store`` buffers."""
    import simpy

    env = simpy.Environment()
    stores = [simpy.Store(env, capacity=STORE) for _ in MEANS[1:]]
    done = [0]
    warmup = warmup_days * DAY

    def machine(k: int) -> Generator[Any, Any, None]:
        rng = random.Random(seed * 100 + k)
        to_failure = rng.expovariate(1 / MTTF)
        while True:
            if k > 0:
                yield stores[k - 1].get()
            left = rng.expovariate(1 / MEANS[k])
            while to_failure < left:
                yield env.timeout(to_failure)
                left -= to_failure
                yield env.timeout(rng.expovariate(1 / MTTR))
                to_failure = rng.expovariate(1 / MTTF)
            yield env.timeout(left)
            to_failure -= left
            if k < len(MEANS) - 1:
                yield stores[k].put("roll")
            elif env.now >= warmup:
                done[0] += 1

    for k in range(len(MEANS)):
        env.process(machine(k))
    env.run(until=days * DAY)
    return done[0] / ((days - warmup_days) * 24)


def salabim_line(days: float = 100, warmup_days: float = 1, seed: int = 1) -> float:
    """The line in salabim (yieldless): a component per machine, ``sim.Store`` buffers."""
    import salabim as sim

    sim.yieldless(True)
    env = sim.Environment(trace=False, random_seed="*")
    stores = [sim.Store(capacity=STORE, monitor=False, env=env) for _ in MEANS[1:]]
    done = [0]
    warmup = warmup_days * DAY

    class Machine(sim.Component):
        def setup(self, k: int) -> None:
            self.k = k
            self.rng = random.Random(seed * 100 + k)

        def process(self) -> None:
            k, rng = self.k, self.rng
            to_failure = rng.expovariate(1 / MTTF)
            while True:
                roll = self.from_store(stores[k - 1]) if k > 0 else sim.Component(env=env)
                left = rng.expovariate(1 / MEANS[k])
                while to_failure < left:
                    self.hold(to_failure)
                    left -= to_failure
                    self.hold(rng.expovariate(1 / MTTR))
                    to_failure = rng.expovariate(1 / MTTF)
                self.hold(left)
                to_failure -= left
                if k < len(MEANS) - 1:
                    self.to_store(stores[k], roll)
                elif env.now() >= warmup:
                    done[0] += 1

    for k in range(len(MEANS)):
        Machine(k=k, env=env)
    env.run(till=days * DAY)
    return done[0] / ((days - warmup_days) * 24)


def ciw_line(days: float = 100, warmup_days: float = 1, seed: int = 1) -> float:
    """The line in ciw: a tandem of nodes with queues of 3 and blocking after service."""
    import ciw

    class WithRepairs(ciw.dists.Distribution):
        """Process time plus the repairs of the failures during it (see the module notes)."""

        def __init__(self, mean: float) -> None:
            self.process_mean = mean

        def sample(self, t: float | None = None, ind: Any = None) -> float:
            process = random.expovariate(1 / self.process_mean)
            repairs, clock = 0.0, random.expovariate(1 / MTTF)
            while clock < process:
                repairs += random.expovariate(1 / MTTR)
                clock += random.expovariate(1 / MTTF)
            return process + repairs

    n = len(MEANS)
    network = ciw.create_network(
        # a saturated source: rolls arrive faster (every 8 min) than the first machine takes
        # them (10.5 min with its repairs), so after the start its queue is never empty
        arrival_distributions=[ciw.dists.Exponential(rate=1 / 8)] + [None] * (n - 1),
        service_distributions=[WithRepairs(mean) for mean in MEANS],
        number_of_servers=[1] * n,
        queue_capacities=[float("inf")] + [STORE] * (n - 1),
        routing=[[1.0 if j == i + 1 else 0.0 for j in range(n)] for i in range(n)],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(days * DAY)
    warmup = warmup_days * DAY
    finished = [r for r in simulation.get_all_records() if r.node == n and r.exit_date >= warmup]
    return len(finished) / ((days - warmup_days) * 24)
