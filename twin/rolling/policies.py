"""Re-planning policies: when the plan a plant runs by is made again.

- ``rules``: no plan; the tools dispatch by the scenario's rule (the plant without a scheduler);
- ``static``: one schedule made at the start, executed to the end;
- ``every:8h`` (or ``every:shift``, ``every:day``): a new schedule every so often;
- ``event:failure=2h,risk=0.5``: a new schedule when a tool has been down longer than the given
  time, or when an open order's risk crosses the threshold (either may be left out).

An order's *risk* is the share of its slack that its delay has used: how far its rolls run behind
the plan, over the time between its planned completion and its due date. At 1 the delay has eaten
all the slack: unless the plan changes, the order will be late.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from stations.units import parse_duration

Kind = Literal["rules", "static", "every", "event"]

NAMED_PERIODS = {"shift": 480.0, "day": 1440.0, "week": 10080.0}
"""Periods by name, minutes (a shift is eight hours)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """When to re-plan; build one with :func:`parse_policy`."""

    kind: Kind
    every_min: float | None = None
    """Re-planning period (``every``)."""
    failure_min: float | None = None
    """Re-plan once a tool has been down this long (``event``)."""
    risk: float | None = None
    """Re-plan once an order's risk reaches this (``event``)."""

    @property
    def name(self) -> str:
        """How the policy is written (``every:8h``), the name reports use."""
        if self.kind == "every":
            assert self.every_min is not None
            return f"every:{_duration(self.every_min)}"
        if self.kind == "event":
            parts = []
            if self.failure_min is not None:
                parts.append(f"failure={_duration(self.failure_min)}")
            if self.risk is not None:
                parts.append(f"risk={self.risk:g}")
            return "event:" + ",".join(parts)
        return self.kind

    @property
    def plans(self) -> bool:
        """Whether the policy runs the scheduler at all."""
        return self.kind != "rules"

    def describe(self) -> str:
        """The policy in words."""
        if self.kind == "rules":
            return "no schedule: each tool takes its next roll by the dispatching rule"
        if self.kind == "static":
            return "one schedule made at the start, executed to the end"
        if self.kind == "every":
            assert self.every_min is not None
            return f"a new schedule every {_in_words(self.every_min)}"
        triggers = []
        if self.failure_min is not None:
            triggers.append(f"a tool has been down {_in_words(self.failure_min)}")
        if self.risk is not None:
            triggers.append(f"an order has used {self.risk:.0%} of its slack")
        return "a new schedule when " + " or ".join(triggers)


DEFAULT_POLICIES = ("rules", "static", "every:day", "event:failure=2h,risk=0.5")


def _in_words(minutes: float) -> str:
    """A period as people say it: 'day', 'week', '8 h', '30 min'."""
    names = {1440.0: "day", 10080.0: "week"}
    if minutes in names:
        return names[minutes]
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


def _duration(minutes: float) -> str:
    for unit, size in (("d", 1440.0), ("h", 60.0)):
        if minutes >= size and minutes % size == 0:
            return f"{minutes / size:g}{unit}"
    return f"{minutes:g}min"


def parse_policy(text: str) -> Policy:
    """A policy from its written form; ValueError says what is wrong and what is allowed."""
    written = text.strip()
    kind, _, rest = written.partition(":")
    if kind in ("rules", "static") and not rest:
        return Policy(kind)  # type: ignore[arg-type]
    if kind == "every" and rest:
        every = NAMED_PERIODS.get(rest.strip()) or _minutes(rest, written)
        if every < 1:
            raise ValueError(f"{written!r}: re-planning more often than every minute")
        return Policy("every", every_min=every)
    if kind == "event" and rest:
        failure = risk = None
        for part in rest.split(","):
            name, _, value = part.partition("=")
            name = name.strip()
            if name == "failure":
                failure = _minutes(value, written)
            elif name == "risk":
                try:
                    risk = float(value)
                except ValueError:
                    raise ValueError(f"{written!r}: risk={value!r} is not a number") from None
                if not 0 < risk <= 10:
                    raise ValueError(f"{written!r}: risk is a share of the slack, above 0")
            else:
                raise ValueError(f"{written!r}: unknown trigger {name!r} (failure=..., risk=...)")
        return Policy("event", failure_min=failure, risk=risk)
    raise ValueError(
        f"{written!r} is not a policy: use rules, static, every:PERIOD (8h, shift, day) or "
        "event:failure=DURATION,risk=SHARE"
    )


def _minutes(value: str, written: str) -> float:
    if not re.search(r"\d", value):
        raise ValueError(f"{written!r}: {value!r} is not a duration (8h, 30min, 1d)")
    try:
        minutes = parse_duration(value.strip())
    except ValueError as error:
        raise ValueError(f"{written!r}: {error}") from None
    if minutes <= 0:
        raise ValueError(f"{written!r}: the duration must be positive")
    return minutes


__all__ = ["DEFAULT_POLICIES", "NAMED_PERIODS", "Policy", "parse_policy"]
