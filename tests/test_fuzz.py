"""The fuzz campaign's small profile (issue 11): ``make fuzz`` runs the full one.

About 500 generated and mutated scenarios, studies and genealogies go through the loaders, and a
few dozen through the CLI entry points: no exception but the documented validation error, no
exit code but 0 or 2, no message without a path, nothing slower than 10 s.
"""

from __future__ import annotations

from tests.fuzz import campaign


def test_the_small_fuzz_profile_finds_no_violation() -> None:
    summary = campaign.Summary()
    for outcome in campaign.campaign(campaign.PROFILES["small"], seed=1, workers=2):
        summary.add(outcome)
    assert sum(summary.cases.values()) == sum(campaign.PROFILES["small"].values())
    assert summary.accepted["scenario"] > 30  # the valid cases also ran through describe, simulate
    assert not summary.failed, "\n".join(
        f"{o.target} {o.seed}: {o.violations[0]}" for o in summary.failed[:10]
    )
