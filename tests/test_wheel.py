"""The wheel, installed outside the repository, carries the bundled scenarios and studies.

The wheel is built from a copy of the sources without a build environment of its own, and
installed without its dependencies into a fresh venv that sees this venv's packages: nothing is
downloaded, and the test takes seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SOURCES = ("pyproject.toml", "README.md", "twin", "stations", "dashboard", "scenarios", "studies")

_LISTS = """
import json
from dashboard.common import bundled_files, bundled_scenarios
from twin import bundled_folder, load_study
study = load_study(bundled_folder("studies") / "pecvd_accumulator.yaml")
print(json.dumps({
    "scenarios": sorted(bundled_scenarios()),
    "studies": sorted(bundled_files("R2R_STUDIES", "studies", "*.yaml")),
    "folder": str(bundled_folder("scenarios")),
    "study_scenario": study.scenario.name,
}))
"""


def run(*command: object, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_installed_wheel_lists_and_validates_the_bundled_scenarios(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(origin, source / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("R2R_", "PYTHON"))}
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        wheels,
        source,
        cwd=tmp_path,
        env=env,
    )
    (wheel,) = wheels.glob("r2r_twin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for bundled in (
        "scenarios/baseline.yaml",
        "scenarios/validation/two_station_fluid.yaml",
        "studies/pecvd_accumulator.yaml",
    ):
        assert f"twin/bundled/{bundled}" in names

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    purelib = run(
        python,
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        cwd=tmp_path,
        env=env,
    ).strip()
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    # this venv's packages, after the new venv's own: its editable r2r is not among them
    Path(purelib, "dev-packages.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    run(
        *pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp_path, env=env
    )

    found = run(python, "-c", "import twin; print(twin.__file__)", cwd=tmp_path, env=env)
    assert Path(found.strip()).is_relative_to(venv), "twin is imported from the installed wheel"
    lists = json.loads(run(python, "-c", _LISTS, cwd=tmp_path, env=env).splitlines()[-1])
    assert Path(lists["folder"]).is_relative_to(venv)
    assert {"baseline.yaml", "validation/two_station_fluid.yaml"} <= set(lists["scenarios"])
    assert lists["studies"] == ["pecvd_accumulator.yaml"]
    assert lists["study_scenario"]  # the study's ../scenarios/baseline.yaml was found
    folder = Path(lists["folder"])
    for scenario in ("baseline.yaml", "validation/two_station_fluid.yaml"):
        validated = run(venv / "bin" / "r2r", "validate", folder / scenario, cwd=tmp_path, env=env)
        assert "Traceback" not in validated
