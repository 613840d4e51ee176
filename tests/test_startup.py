"""Commands that need no tables, plots, clusters or web pages do not import pandas, plotly, Dask
or Streamlit (each would add start-up time to every command, issue 12).

Each command runs in a fresh interpreter, which then lists the heavy packages it imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("pandas", "plotly", "dask", "distributed", "streamlit")
PROBE = """
import sys
from twin.cli import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    code = done.code
else:
    code = 0
print("exit", code, "heavy", *[m for m in {heavy} if m in sys.modules])
"""


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "scenarios/baseline.yaml"],
        ["describe", "scenarios/baseline.yaml"],
        ["simulate", "scenarios/validation/two_station_rolls.yaml", "--days", "1", "--no-store"],
    ],
    ids=lambda command: command[0],
)
def test_light_commands_do_not_import_heavy_packages(command: list[str]) -> None:
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "exit 0 heavy", done.stdout + done.stderr


def test_the_probe_sees_a_heavy_import() -> None:
    # the same probe reports pandas once something imports it: the check above can fail
    probe = "import pandas\n" + PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, "validate", "scenarios/baseline.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "heavy pandas" in done.stdout.splitlines()[-1]
