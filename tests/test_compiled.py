"""The engine's compiled build (twin.compiled): the same figures, and never a stale extension.

``make`` builds the engine's hot modules with mypyc for the code it is run on. What a user relies
on: the compiled engine gives every figure the interpreted one gives; an edited source is never
run from an extension built before the edit; an unfinished or broken build is not used; and
``R2R_INTERPRETED=1`` runs the engine interpreted. Where no build could be made (no C compiler),
the tests that need one are skipped, except under CI, which must have built it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from twin.bundled import bundled_folder
from twin.compiled import (
    INTERPRETED_VARIABLE,
    MANIFEST,
    MODULES,
    build,
    build_files,
    builds_folder,
    engine,
    source_key,
    sources_root,
)
from twin.compiled.build import figures

ROOT = sources_root()
HAVE_BUILD = build_files(builds_folder() / source_key()) is not None

needs_build = pytest.mark.skipif(
    not HAVE_BUILD and os.environ.get("CI") != "true",
    reason="no compiled build of this code (no C compiler?): `make compiled` builds it",
)

PROBE = """
import json
import twin
import twin.engine.tool
from twin.compiled import engine
print(json.dumps({"compiled": engine().compiled, "label": engine().label(),
                  "file": twin.engine.tool.__file__}))
"""


def probe(root: Path, **env: str) -> dict[str, object]:
    """How a fresh interpreter importing the twin from ``root`` runs the engine."""
    environment = {k: v for k, v in os.environ.items() if k != INTERPRETED_VARIABLE}
    environment.update(env, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def copy_sources(folder: Path) -> Path:
    """A copy of the twin's and stations' sources under ``folder``."""
    for package in ("twin", "stations"):
        shutil.copytree(ROOT / package, folder / package, symlinks=True)
    return folder


@needs_build
def test_the_compiled_engine_gives_every_figure_the_interpreted_one_gives() -> None:
    """Every bundled scenario, its order book and a capacity run, 10 days: records identical."""
    base = {k: v for k, v in os.environ.items() if k != INTERPRETED_VARIABLE}
    compiled = figures(base)
    interpreted = figures({**base, INTERPRETED_VARIABLE: "1"})
    assert compiled["compiled"] is True
    assert interpreted["compiled"] is False
    runs = compiled["runs"]
    scenarios = [
        p for p in bundled_folder("scenarios").rglob("*.yaml") if p.parent.name != "states"
    ]
    assert isinstance(runs, dict) and len(runs) == 2 * len(scenarios) >= 16  # two questions each
    assert runs == interpreted["runs"]


@needs_build
def test_this_code_runs_compiled_and_interpreted_when_asked() -> None:
    """The tests themselves run the compiled engine; the variable turns it off."""
    assert engine().compiled or os.environ.get(INTERPRETED_VARIABLE) == "1"
    compiled = probe(ROOT)
    assert compiled["compiled"] is True
    assert str(compiled["file"]).endswith(".so")
    interpreted = probe(ROOT, **{INTERPRETED_VARIABLE: "1"})
    assert interpreted["compiled"] is False
    assert str(interpreted["file"]).endswith("tool.py")
    assert "R2R_INTERPRETED is set" in str(interpreted["label"])


@needs_build
def test_an_edited_source_is_never_run_from_the_build_before_the_edit(tmp_path: Path) -> None:
    """A copy of the very code uses the build; the same copy with one comment added does not."""
    copy = copy_sources(tmp_path)
    assert source_key(copy) == source_key()
    assert probe(copy)["compiled"] is True
    tool = copy / "twin" / "engine" / "tool.py"
    tool.write_text(tool.read_text() + "\n# an edit\n")
    assert source_key(copy) != source_key()
    edited = probe(copy)
    assert edited["compiled"] is False
    assert str(edited["file"]) == str(tool)
    assert "no build of this code" in str(edited["label"])


def test_the_key_follows_every_source_of_twin_and_stations(tmp_path: Path) -> None:
    """Not only the compiled modules: their types come from the scenario and the stations."""
    copy = copy_sources(tmp_path)
    key = source_key(copy)
    for edited in ("stations/__init__.py", "twin/scenario/__init__.py"):
        path = copy / edited
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert source_key(copy) != key, edited
        path.write_bytes(original)
    assert source_key(copy) == key
    (copy / "twin" / "engine" / "new.py").write_text("")
    assert source_key(copy) != key


def test_an_unfinished_or_incomplete_build_is_not_used(tmp_path: Path) -> None:
    """No manifest (a build cut short), a module missing, or a file gone: no build."""
    suffix = ".so"
    names = {name: name + suffix for name in MODULES} | {"lib__mypyc": "lib__mypyc" + suffix}
    for file in names.values():
        (tmp_path / file).write_bytes(b"")
    assert build_files(tmp_path) is None  # no manifest yet
    manifest = tmp_path / MANIFEST
    manifest.write_text(json.dumps({"files": names, "library": "lib__mypyc"}))
    found = build_files(tmp_path)
    assert found is not None and found[1] == "lib__mypyc"
    assert set(found[0]) == set(MODULES) | {"lib__mypyc"}
    (tmp_path / names[MODULES[0]]).unlink()
    assert build_files(tmp_path) is None
    (tmp_path / names[MODULES[0]]).write_bytes(b"")
    incomplete = {k: v for k, v in names.items() if k != MODULES[-1]}
    manifest.write_text(json.dumps({"files": incomplete, "library": "lib__mypyc"}))
    assert build_files(tmp_path) is None
    manifest.write_text("{not json")
    assert build_files(tmp_path) is None


def test_without_a_c_compiler_make_says_so_and_the_engine_runs_interpreted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No build is made or left behind; ``make`` goes on (exit 0) unless a build is required."""
    monkeypatch.setattr(build, "builds_folder", lambda: tmp_path)
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", ["build"])
    assert build.main() == 0
    said = capsys.readouterr().out
    assert "not built, the engine runs interpreted: no C compiler" in said
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(sys, "argv", ["build", "--require"])
    assert build.main() == 1


def test_the_check_names_the_runs_whose_figures_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check compares every figure of every scenario, and names the runs that differ."""
    same = {"a.yaml orders": {"x": 1.0}, "b.yaml capacity": {"x": 2.0}}
    differ = {"a.yaml orders": {"x": 1.0}, "b.yaml capacity": {"x": 2.0000001}}
    answers = {
        "1": {"compiled": False, "runs": same},
        "check": {"compiled": True, "runs": differ},
    }

    def fake(env: dict[str, str]) -> dict[str, object]:
        return answers["1" if env.get(INTERPRETED_VARIABLE) == "1" else "check"]

    monkeypatch.setattr(build, "figures", fake)
    assert build.same_figures() == (
        "its figures differ from the interpreted engine's on b.yaml capacity"
    )
    answers["check"] = {"compiled": True, "runs": same}
    assert build.same_figures() is None
    answers["check"] = {"compiled": False, "runs": same}
    assert build.same_figures() == "the check ran interpreted: the build did not load"
