"""Optional parts: a command that needs an extra which is not installed names it, exit code 2.

Each case runs the real command in a fresh interpreter in which the extra's package cannot be
imported (it is hidden in ``sys.modules``, as Python does for a package that is not there).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, VALIDATION
from twin import Store
from twin.extras import InstallError, installed, require

FLUID = VALIDATION / "two_station_fluid.yaml"
_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
sys.argv = ["r2r", *sys.argv[2:]]
from twin.cli import main
main()
"""


def r2r_without(hidden: list[str], *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT, ",".join(hidden), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


def assert_names_the_extra(result: subprocess.CompletedProcess[str], extra: str) -> None:
    assert result.returncode == 2, result.stderr
    assert f"pip install 'r2r-twin[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(
        f"name: speeds\nscenario: {FLUID}\nreplications: 1\nhorizon: 6h\n"
        "factors: [{name: s, values: [6, 8],\n"
        "           path: 'lines[0].stations[1].equipment.speed_m_min'}]\n",
        encoding="utf-8",
    )
    return path


def test_require_names_the_extra_and_the_install_command() -> None:
    assert installed("json") and not installed("no_such_module_r2r")
    with pytest.raises(InstallError, match=r"pip install 'r2r-twin\[excel\]'"):
        require("no_such_module_r2r", "excel", "an Excel export")


def test_the_dashboard_without_streamlit() -> None:
    assert_names_the_extra(r2r_without(["streamlit"], "dashboard", "--port", "1"), "dashboard")


def test_an_excel_export_without_openpyxl(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    simulated = r2r_without([], "simulate", FLUID, "--days", "0.1", "--store", store)
    assert simulated.returncode == 0, simulated.stderr
    out = tmp_path / "x.xlsx"
    result = r2r_without(
        ["openpyxl"], "export", "s-0001", "--format", "xlsx", "--out", out, "--store", store
    )
    assert_names_the_extra(result, "excel")
    assert not out.exists()


def test_a_dask_study_without_dask_is_refused_before_it_starts(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    result = r2r_without(
        ["distributed"], "study", study_file(tmp_path), "--executor", "dask", "--store", store
    )
    assert_names_the_extra(result, "dask")
    assert Store(store).runs() == []


def test_a_study_without_plotly_runs_without_its_plots(tmp_path: Path) -> None:
    store, plots = tmp_path / "s.sqlite", tmp_path / "plots"
    study = study_file(tmp_path)
    result = r2r_without(["plotly"], "study", study, "--workers", "1", "--store", store)
    assert result.returncode == 0, result.stderr
    assert "no plots" in result.stderr and "pip install 'r2r-twin[plots]'" in result.stderr
    asked = r2r_without(
        ["plotly"], "study", study, "--workers", "1", "--store", store, "--plots", plots
    )
    assert_names_the_extra(asked, "plots")
    assert len(Store(store).runs()) == 1 and not plots.exists()  # refused before it ran
