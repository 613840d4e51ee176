"""Refactoring keeps behaviour: every KPI of the bundled scenarios as recorded before (issue 12).

``tests/data/kpi_reference.json`` holds each metric of a 30-day, 5-replication run of the baseline,
its extra-source variant and the validation lines, recorded by ``tests/reference/record_kpis.py``
before the engine was reshaped. A refactor must reproduce them; the tolerance (1e-9 relative) only
admits a changed order of floating-point additions. A commit that moves a KPI on purpose records
the file again and says why.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.reference.record_kpis import REFERENCE, SCENARIOS, record


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _differences(expected: dict[str, float | None], got: dict[str, float | None]) -> list[str]:
    wrong = [f"{k}: missing" for k in expected if k not in got]
    wrong += [f"{k}: new" for k in got if k not in expected]
    wrong += [
        f"{k}: {expected[k]!r} -> {got[k]!r}"
        for k in expected
        if k in got and not _close(expected[k], got[k])
    ]
    return wrong


@pytest.fixture(scope="module")
def now() -> dict[str, list[dict[str, dict[str, float | None]]]]:
    return record()


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_kpi_is_as_recorded(name: str, now: dict) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))[name]
    assert len(now[name]) == len(reference)
    for replication, (expected, got) in enumerate(zip(reference, now[name], strict=True)):
        for part in ("metrics", "orders", "bottleneck"):
            wrong = _differences(expected[part], got[part])
            assert not wrong, f"replication {replication} {part}: " + "; ".join(wrong[:10])
