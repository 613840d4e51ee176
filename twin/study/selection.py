"""Which design point is best: a subset selection on common-random-number replications.

Design points of a study share their random numbers replication by replication, so two points
are compared through the differences of their paired replications, whose variance is far smaller
than either point's own. The screening procedure of Nelson, Swann, Goldsman and Song (2001,
"Simple procedures for selecting the best simulated system when the number of alternatives is
large", Operations Research 49(6)) keeps point ``i`` when, for every other point ``j``,

    mean_i >= mean_j - t · s_ij / sqrt(n_ij)        (for a KPI that is better high)

where ``s_ij`` is the standard deviation of the paired differences over the ``n_ij`` shared
replications and ``t`` the one-sided Student quantile at ``1 - alpha / (k - 1)`` (Bonferroni
over the ``k - 1`` comparisons). With normal replication means, the subset holds the truly best
point with probability at least ``1 - alpha`` whatever the correlation the common random
numbers bring. A subset of one point means the data tell it apart from all the others; a larger
subset means they cannot, and for each rival kept the report says about how many replications
would separate it from the leader if the observed difference held.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MAX_SUGGESTED_REPLICATIONS = 100_000
"""Above this many replications a difference is reported as too small to resolve."""


@dataclass(frozen=True)
class Rival:
    """A point the data cannot tell from the leader, and what would tell them apart."""

    point: int
    difference: float
    """Leader's mean minus this point's (in the better direction, so >= 0), KPI units."""
    half_width: float
    """The screening allowance t · s / sqrt(n) the difference had to exceed, KPI units."""
    replications_needed: int | None
    """Replications that would separate them if the difference held (None: no difference;
    above :data:`MAX_SUGGESTED_REPLICATIONS`: too small to resolve)."""


@dataclass(frozen=True)
class Selection:
    """The subset of design points that may be the best, with the confidence it guarantees."""

    kpi: str
    maximise: bool
    confidence: float
    leader: int
    """The point with the best mean."""
    subset: tuple[int, ...]
    """Every point not significantly worse than another (the leader first)."""
    rivals: tuple[Rival, ...]
    replications: int
    """Replications each point had (the fewest among them)."""

    @property
    def decided(self) -> bool:
        """Whether the data single out one point."""
        return len(self.subset) == 1

    def lines(self, labels: Mapping[int, str] | None = None, kpi: str | None = None) -> list[str]:
        """The decision in words, one line each.

        Points are named by ``labels`` (default ``point N``) and the KPI by ``kpi`` (default its
        name).
        """

        def name(point: int) -> str:
            return labels[point] if labels and point in labels else f"point {point}"

        sense = "highest" if self.maximise else "lowest"
        level = f"{self.confidence:.0%}"
        each = f"{self.replications} replications each"
        kpi = kpi or self.kpi
        if self.decided:
            return [
                f"{name(self.leader)} has the {sense} {kpi}, better than every other point "
                f"with {level} confidence ({each})"
            ]
        lines = [
            f"the data cannot tell these {len(self.subset)} points apart on {kpi} ({each}); "
            f"with {level} confidence the one with the {sense} is among them:",
            *(f"  {name(p)}" for p in self.subset),
            f"replications in all that would separate each from {name(self.leader)}, if the "
            "differences held:",
        ]
        lines += [f"  {name(r.point)}: {_needed_words(r.replications_needed)}" for r in self.rivals]
        return lines


def _needed_words(needed: int | None) -> str:
    if needed is None:
        return "none would (no difference seen)"
    if needed > MAX_SUGGESTED_REPLICATIONS:
        return f"more than {MAX_SUGGESTED_REPLICATIONS:,}"
    return f"about {needed:,}"


def _t(alpha: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(1 - alpha, df))


def select_best(
    values: Mapping[int, Mapping[int, float]],
    kpi: str,
    maximise: bool,
    alpha: float = 0.05,
) -> Selection:
    """The subset of points that may be best for ``kpi``.

    ``values[point][replication]`` is the KPI of one replication; replications with the same
    number share their random numbers across points. Points without a finite value are left out;
    a point with one replication cannot be screened and is kept.
    """
    clean = {p: {r: v for r, v in runs.items() if math.isfinite(v)} for p, runs in values.items()}
    clean = {p: runs for p, runs in clean.items() if runs}
    if not clean:
        raise ValueError(f"no replication gives a value of {kpi!r}")
    sign = 1.0 if maximise else -1.0
    means = {p: sign * float(np.mean(list(runs.values()))) for p, runs in clean.items()}
    leader = max(sorted(means), key=lambda p: means[p])
    points = sorted(clean)
    comparisons = max(len(points) - 1, 1)
    kept: list[int] = []
    rivals: list[Rival] = []
    for i in points:
        allowances = {
            j: _allowance(clean[i], clean[j], alpha / comparisons) for j in points if j != i
        }
        if all(means[i] >= means[j] - allowances[j][0] for j in allowances):
            kept.append(i)
            if i != leader:
                width, s, n = allowances[leader]
                gap = means[leader] - means[i]
                rivals.append(Rival(i, gap, width, _needed(gap, s, alpha / comparisons, n)))
    subset = (leader, *sorted(p for p in kept if p != leader))
    return Selection(
        kpi=kpi,
        maximise=maximise,
        confidence=1 - alpha,
        leader=leader,
        subset=subset,
        rivals=tuple(rivals),
        replications=min(len(runs) for runs in clean.values()),
    )


def _allowance(
    first: Mapping[int, float], second: Mapping[int, float], alpha: float
) -> tuple[float, float, int]:
    """(t · s / sqrt(n), s, n) of the paired differences of two points' shared replications."""
    shared = sorted(set(first) & set(second))
    if len(shared) < 2:
        return math.inf, math.inf, len(shared)
    differences = np.array([first[r] - second[r] for r in shared])
    s = float(np.std(differences, ddof=1))
    n = len(shared)
    return _t(alpha, n - 1) * s / math.sqrt(n), s, n


def _needed(gap: float, s: float, alpha: float, n: int) -> int | None:
    """Replications after which ``gap`` would exceed the allowance t · s / sqrt(n)."""
    if gap <= 0 or not math.isfinite(s):
        return None
    if s == 0:
        return n + 1
    from scipy.stats import norm

    # t exceeds the normal quantile, so no n below (z s / gap)^2 will do; count up from there
    needed = max(n + 1, math.ceil((float(norm.ppf(1 - alpha)) * s / gap) ** 2))
    while needed <= MAX_SUGGESTED_REPLICATIONS:
        if _t(alpha, needed - 1) * s / math.sqrt(needed) < gap:
            return needed
        needed += 1
    return MAX_SUGGESTED_REPLICATIONS + 1


def by_point(
    rows: Sequence[tuple[int, int, float]],
) -> dict[int, dict[int, float]]:
    """``values`` for :func:`select_best` from (point, replication, value) rows."""
    values: dict[int, dict[int, float]] = {}
    for point, replication, value in rows:
        values.setdefault(point, {})[replication] = value
    return values


__all__ = ["MAX_SUGGESTED_REPLICATIONS", "Rival", "Selection", "by_point", "select_best"]
