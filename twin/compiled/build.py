"""Build the engine's compiled modules for this code: ``python -m twin.compiled.build``.

``make`` runs it after installing (a no-op when the build of this code is there). It compiles a
copy of the sources with mypyc (in a temporary folder, so no extension ever lies beside the
sources), puts the extensions in the environment's folder for this code's key, and keeps them
only if the compiled engine gives every figure the interpreted one gives on the bundled
scenarios. Where mypyc, a C compiler or Python's headers are missing, or the build fails, it
says so and the engine runs interpreted: nothing else depends on it. Exit code 0 either way,
unless ``--require`` is given (then 1 when no build could be made).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from twin.compiled import (
    CHECK_VARIABLE,
    INTERPRETED_VARIABLE,
    MANIFEST,
    MODULES,
    PACKAGES,
    UNCHECKED,
    build_files,
    builds_folder,
    source_key,
    sources_root,
)

COMPILE_LIMIT_S = 1800
"""How long mypyc and the C compiler may take (about a minute on a 2-core machine)."""
CHECK_LIMIT_S = 600
"""How long the check of the build's figures may take (seconds here)."""

MYPY_CONFIG = """[mypy]
python_version = 3.11
disallow_untyped_defs = True
check_untyped_defs = True
ignore_missing_imports = True
"""
"""mypyc's configuration: the project's, without the pydantic plugin (with it mypyc writes C that
does not build); modules that define pydantic models are not compiled."""

CHECK = """
import dataclasses, json, sys
from twin.bundled import bundled_folder
from twin.compiled import engine
from twin.engine import RunOptions, run_replication
from twin.scenario import load_scenario
runs = {}
for path in sorted(bundled_folder("scenarios").rglob("*.yaml")):
    if path.parent.name == "states":
        continue
    scenario = load_scenario(path)
    for demand in ("orders", "capacity"):
        options = RunOptions.of(scenario, horizon_min=10 * 1440.0, demand=demand, replications=1)
        record = run_replication(scenario, options, 1)
        runs[f"{path.name} {demand}"] = dataclasses.asdict(record)
print(json.dumps({"compiled": engine().compiled, "runs": runs}, sort_keys=True, default=repr))
"""
"""Every bundled scenario, its order book and a capacity run, 10 days: the figures to compare."""


def missing_tool() -> str | None:
    """What the build needs and this machine lacks (mypyc, a C compiler, Python's headers)."""
    if importlib.util.find_spec("mypyc") is None:
        return "mypyc is not installed (it comes with mypy, in the dev extra)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler}) on the PATH"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "Python's headers (Python.h) are not installed"
    return None


def python(
    arguments: list[str], cwd: Path, env: dict[str, str], limit_s: int
) -> subprocess.CompletedProcess[str] | None:
    """Run the interpreter with ``arguments``, output kept; None if it took over ``limit_s``."""
    try:
        return subprocess.run(
            [sys.executable, *arguments],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=limit_s,
        )
    except subprocess.TimeoutExpired:
        return None


def compile_copy(work: Path) -> tuple[dict[str, Path], str] | str:
    """Compile a copy of the sources in ``work``.

    Returns the extensions by module and the name of mypyc's library of them, or what went wrong.
    """
    root = sources_root()
    for package in PACKAGES:
        shutil.copytree(root / package, work / package, symlinks=True)
    (work / "mypy.ini").write_text(MYPY_CONFIG)
    sources = [name.replace(".", "/") + ".py" for name in MODULES]
    env = {**os.environ, "PYTHONPATH": str(work), "MYPY_FORCE_COLOR": "0"}
    built = python(["-m", "mypyc", *sources], work, env, COMPILE_LIMIT_S)
    if built is None:
        return f"mypyc did not finish within {COMPILE_LIMIT_S // 60} minutes"
    if built.returncode != 0:
        lines = (built.stdout + built.stderr).strip().splitlines()
        return "mypyc failed:\n    " + "\n    ".join(lines[-12:])
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    files = {name: work / (name.replace(".", "/") + suffix) for name in MODULES}
    libraries = sorted(work.glob(f"*__mypyc{suffix}"))
    if len(libraries) != 1 or not all(path.is_file() for path in files.values()):
        return "mypyc finished, but not every extension it should have made is there"
    library = libraries[0].name.removesuffix(suffix)
    files[library] = libraries[0]
    return files, library


def figures(env: dict[str, str]) -> dict[str, object]:
    """The :data:`CHECK` figures of a run in a fresh interpreter with ``env``."""
    done = python(["-c", CHECK], Path(tempfile.gettempdir()), env, CHECK_LIMIT_S)
    if done is None:
        return {"error": [f"it did not finish within {CHECK_LIMIT_S // 60} minutes"]}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def same_figures() -> str | None:
    """What differs between the unchecked build of this code and the interpreted engine.

    None if it gives every figure the interpreted engine gives.
    """
    base = {k: v for k, v in os.environ.items() if k not in (INTERPRETED_VARIABLE, CHECK_VARIABLE)}
    interpreted = figures({**base, INTERPRETED_VARIABLE: "1"})
    compiled = figures({**base, CHECK_VARIABLE: "1"})
    if "error" in compiled or "error" in interpreted:
        return f"the check failed to run: {compiled.get('error') or interpreted.get('error')}"
    if not compiled["compiled"]:
        return "the check ran interpreted: the build did not load"
    runs = (interpreted["runs"], compiled["runs"])
    if runs[0] != runs[1]:
        assert isinstance(runs[0], dict) and isinstance(runs[1], dict)
        differ = [name for name in runs[0] if runs[0][name] != runs[1].get(name)]
        return f"its figures differ from the interpreted engine's on {', '.join(differ)}"
    return None


def build() -> str | None:
    """Make the build of this code if it is not there.

    None when it is there afterwards, else why not.
    """
    key = source_key()
    folder = builds_folder()
    target = folder / key
    if build_files(target) is not None:
        print(f"compiled engine: up to date ({target})")
        return None
    missing = missing_tool()
    if missing is not None:
        return missing
    print("compiled engine: compiling the engine's modules with mypyc (about a minute)")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="r2r-compile-") as work:
        made = compile_copy(Path(work))
        if isinstance(made, str):
            return made
        files, library = made
        stage = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder))
        for path in files.values():
            shutil.copy2(path, stage / path.name)
    names = {name: path.name for name, path in files.items()}
    (stage / UNCHECKED).write_text(json.dumps({"files": names, "library": library}, indent=1))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(stage, target)
    differs = same_figures()
    if differs is not None:
        shutil.rmtree(target, ignore_errors=True)
        return f"the compiled engine was not kept: {differs}"
    os.replace(target / UNCHECKED, target / MANIFEST)
    for other in folder.iterdir():
        if other.is_dir() and other.name != key:
            shutil.rmtree(other, ignore_errors=True)  # builds of code that is gone
    print(f"compiled engine: built and checked (every figure as interpreted): {target}")
    return None


def main() -> int:
    """Build, or say why not; exit 1 only with ``--require`` and no build."""
    try:
        problem = build()
    except OSError as error:  # a full disk, a folder that may not be written
        problem = f"{error.strerror or error} ({error.filename or 'the build folder'})"
    if problem is None:
        return 0
    print(f"compiled engine: not built, the engine runs interpreted: {problem}")
    return 1 if "--require" in sys.argv[1:] else 0


if __name__ == "__main__":
    sys.exit(main())
