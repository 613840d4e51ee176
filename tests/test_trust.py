"""Issue 11: no file the user did not mean is read, no finished work is lost, no input crashes.

One test (or a few) per numbered failure of the issue, each reproducing it as it was reported.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import ROOT, SCENARIOS, SMALL_PLANT, VALIDATION
from twin import files
from twin.cli import app
from twin.files import FileError, read_input
from twin.scenario import (
    MAX_DOCUMENT_BYTES,
    ScenarioError,
    parse_document,
    parse_scenario,
    scenario_from_document,
)
from twin.store import Store
from twin.study import parse_study

runner = CliRunner()
FLUID = VALIDATION / "two_station_fluid.yaml"
SECRET = "hunter2-secret-line"


def run(*arguments: str) -> Any:
    return runner.invoke(app, list(arguments))


def problems_of(document: Any) -> list[str]:
    """Each problem as ``path: message``, its path by position (ids are tested on their own)."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_document(document, "test.yaml")
    return [f"{p.path}: {p.message}" if p.path else p.message for p in caught.value.problems]


# ------------------------------------------------------------- 1. only the files the user meant
def test_a_study_naming_a_private_file_does_not_print_its_lines(tmp_path: Path) -> None:
    private = tmp_path / "shadow"
    private.write_text("".join(f"{SECRET}-{k}:*:20228:0:99999:7:::\n" for k in range(5)))
    study = tmp_path / "study.yaml"
    study.write_text(f"name: s\nscenario: {private}\n")
    result = run("study", str(study), "--store", str(tmp_path / "s.sqlite"))
    assert result.exit_code == 2
    assert "is not a scenario" in result.output
    assert SECRET not in result.output


@pytest.mark.parametrize("command", [["validate"], ["trace", "X/1"], ["describe"]])
def test_devices_and_folders_are_refused_before_reading(command: list[str], tmp_path: Path) -> None:
    for path, kind in (("/dev/zero", "a device"), (str(tmp_path), "a folder")):
        result = run(*command, path)
        assert result.exit_code == 2, result.output
        assert f"is {kind}" in result.output


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    result = run("validate", str(pipe))
    assert result.exit_code == 2
    assert "is a pipe" in result.output


def test_the_reader_reads_at_most_the_cap_and_one_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as stream:
        stream.truncate(10 * MAX_DOCUMENT_BYTES)  # a sparse 50 MB file
    read: list[int] = []
    real_read = os.read

    def counting(descriptor: int, size: int) -> bytes:
        chunk = real_read(descriptor, size)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(files.os, "read", counting)
    with pytest.raises(FileError, match="larger than 5 MB"):
        read_input(big, limit=MAX_DOCUMENT_BYTES, what="scenario")
    assert sum(read) == MAX_DOCUMENT_BYTES + 1


# ----------------------------------------------------- 2. a bad output path loses no finished run
def test_an_output_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    (tmp_path / "some_dir").mkdir()
    result = run(
        "simulate", str(FLUID), "--events", str(tmp_path / "some_dir"), "--store", str(store)
    )
    assert result.exit_code == 2
    assert "--events" in result.output and "is a folder" in result.output
    assert not store.exists() or Store(store).runs() == []  # no run was started


@pytest.mark.parametrize("option", ["--events", "--genealogy"])
def test_an_output_that_is_the_input_or_the_store_is_refused(option: str, tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(FLUID.read_text())
    store = tmp_path / "s.sqlite"
    for target in (scenario, store):
        result = run("simulate", str(scenario), option, str(target), "--store", str(store))
        assert result.exit_code == 2, result.output
    assert scenario.read_text() == FLUID.read_text()


def test_a_write_that_fails_keeps_the_finished_run_and_exits_2(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    result = run("simulate", str(FLUID), "--events", "/dev/full", "--store", str(store))
    assert result.exit_code == 2
    assert "/dev/full" in result.output and "no space left on device" in result.output
    [info] = Store(store).runs()
    assert info.status == "finished" and info.tasks_done == info.tasks_total


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["schedule", str(VALIDATION / "roll_coupled_three_tools.yaml"), "--no-store"], "--out"),
        (["schema"], "--output"),
    ],
)
def test_other_commands_check_their_output_first(
    command: list[str], option: str, tmp_path: Path
) -> None:
    result = run(*command, option, str(tmp_path))
    assert result.exit_code == 2
    assert "is a folder" in result.output


def test_study_plots_must_be_a_folder(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    study.write_text(f"name: s\nscenario: {FLUID}\nreplications: 1\n")
    a_file = tmp_path / "plots"
    a_file.write_text("not a folder")
    result = run("study", str(study), "--plots", str(a_file), "--store", str(tmp_path / "s.db"))
    assert result.exit_code == 2
    assert "this option takes a folder" in result.output


# ------------------------------------------------------------- 5. valid scenarios do not crash
def _small(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(SMALL_PLANT)
    change(document)
    return document


def _failure(document: dict[str, Any], **fields: Any) -> None:
    document["lines"][0]["stations"][1]["failures"][0].update(fields)


CRASHERS = {
    "weibull shape 1e-9": (
        lambda d: _failure(d, ttf={"dist": "weibull", "shape": 1e-9, "scale": 100}),
        "lines[0].stations[1].failures[0].ttf.shape: must be >= 0.1",
    ),
    "time to failure 0": (
        lambda d: _failure(d, ttf={"dist": "fixed", "value": 0}),
        "lines[0].stations[1].failures[0].ttf: the mean operating time to failure must be at least",
    ),
    "horizon 1e400": (
        lambda d: d.setdefault("run", {}).update(horizon="1e400"),
        "run.horizon: '1e400' is not a finite duration",
    ),
    "calibration dwell inf": (
        lambda d: d["lines"][0]["stations"][0]["equipment"].update(
            calibration_dwell_min=float("inf")
        ),
        "lines[0].stations[0].equipment.calibration_dwell_min: must be a finite number",
    ),
}


@pytest.mark.parametrize("name", list(CRASHERS))
def test_values_that_crashed_are_refused_with_their_path(name: str) -> None:
    change, expected = CRASHERS[name]
    problems = problems_of(_small(change))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_process_time_of_0_is_refused_with_its_path() -> None:
    document = yaml.safe_load((VALIDATION / "two_station_rolls.yaml").read_text())
    document["lines"][0]["stations"][0]["equipment"]["process_time"] = {"dist": "fixed", "value": 0}
    assert problems_of(document) == [
        "lines[0].stations[0].equipment.process_time: the mean time per roll must be at least "
        "0.01 min (its mean is 0)"
    ]


def test_a_tagged_value_that_is_no_timestamp_is_refused_where_it_stands() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("name: !!timestamp 2001-12-14x\n")
    [problem] = caught.value.problems
    assert problem.message == (
        "the document is not valid YAML at line 1, column 7: this value cannot be read as "
        "!!timestamp"
    )


@pytest.mark.parametrize("command", ["validate", "describe", "simulate", "schedule"])
def test_a_tiny_order_runs_through_every_command(command: str, tmp_path: Path) -> None:
    document = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    document["orders"][0]["length_m"] = 0.000001
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(document))
    extra = {
        "simulate": ["--days", "1", "--replications", "1", "--no-store"],
        "schedule": ["--time-limit", "10", "--no-store"],
    }.get(command, [])
    result = run(command, str(path), *extra)
    assert result.exit_code == 0, result.output


def test_a_book_of_too_many_rolls_is_refused_at_load() -> None:
    document = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    document["roll_length_m"] = 0.001  # 190 million rolls: the twin would never finish
    assert problems_of(document) == [
        "roll_length_m: the order book needs 190,900,000 rolls of 0.001 m, more than the "
        "100,000 accepted: make the rolls longer or the book smaller"
    ]


def test_an_id_with_a_dot_is_refused_at_load() -> None:
    # issue 12: "INL.1" validated, then crashed simulate when KPI names were split on dots
    problems = problems_of(_small(lambda d: d["lines"][0].update(id="INL.1")))
    assert problems[0].startswith("lines[0].id: must be an identifier")


# ------------------------------------------------------------------ 6. study files that crashed
@pytest.mark.parametrize(
    ("factor", "path", "message"),
    [
        ({"path": "name[0]", "values": [1]}, "factors[0].path", "'name[0]'"),
        ({"path": ".", "values": [1]}, "factors[0].path", "is not a path"),
        ({"path": "lines[0]", "range": [0, float("inf")], "levels": 2}, "factors[0].range", ""),
        (
            {"path": "lines[0].stations[0].units", "range": [10, 2**64], "levels": 2},
            "factors[0]",
            "",
        ),
    ],
)
def test_study_factors_that_crashed_are_refused_with_their_path(
    factor: dict[str, Any], path: str, message: str
) -> None:
    text = json.dumps(
        {"name": "s", "scenario": str(VALIDATION / "two_station_rolls.yaml"), "factors": [factor]}
    )
    with pytest.raises(ScenarioError) as caught:
        parse_study(text, "study.json")
    assert any(p.path.startswith(path) and message in p.message for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]


# ------------------------------------------------------------------ 7. hostile genealogy files
HOSTILE_GENEALOGIES = {
    "rolls not a list": {"rolls": {"a": 1}},
    "a roll without its id": {"rolls": [{"order": "O"}]},
    "a lane that is a number": {"rolls": [{"id": "R", "lanes": [5]}]},
    "a station with text times": {"rolls": [{"id": "R", "stations": [{"start_min": "soon"}]}]},
    "defects of the wrong shape": {"rolls": [{"id": "R", "defects": "many"}]},
    "nested very deep": "DEEP",
}


@pytest.mark.parametrize("name", list(HOSTILE_GENEALOGIES))
def test_hostile_genealogy_files_are_refused_with_their_problems(name: str, tmp_path: Path) -> None:
    document = HOSTILE_GENEALOGIES[name]
    path = tmp_path / "genealogy.json"
    if document == "DEEP":
        path.write_text('{"rolls": ' + "[" * 100_000 + "]" * 100_000 + "}")
    else:
        path.write_text(json.dumps(document))
    result = run("trace", "R", str(path))
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output


def test_a_genealogy_problem_is_named_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "genealogy.json"
    path.write_text(json.dumps(HOSTILE_GENEALOGIES["a station with text times"]))
    result = run("trace", "R", str(path))
    assert "rolls[0].stations[0].start_min: must be a number (got 'soon')" in result.output


# --------------------------------------------------------------------- 9. YAML parsed once, safe
def test_the_parser_gives_what_pyyaml_gives_for_every_bundled_file() -> None:
    for path in [*sorted(SCENARIOS.rglob("*.yaml")), *sorted((ROOT / "studies").glob("*.yaml"))]:
        text = path.read_text(encoding="utf-8")
        assert parse_document(text) == yaml.safe_load(text), path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "base: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\n",
            {"base": {"x": 1, "y": 2}, "m": {"x": 1, "y": 3}},
        ),
        ("m: {<<: [{a: 1}, {a: 2, b: 2}], c: 3}\n", {"m": {"a": 1, "b": 2, "c": 3}}),
        ("a: 0x1F\nb: yes\nc: 1_000\nd: ~\n", {"a": 31, "b": True, "c": 1000, "d": None}),
        ("due: 2026-14-12\n", {"due": "2026-14-12"}),  # no date: the field says so, by its path
    ],
)
def test_yaml_features_read_as_pyyaml_reads_them(text: str, expected: Any) -> None:
    assert parse_document(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [*a]\n", "refers to itself"),
        ("[" * 5000 + "]" * 5000, "nested more than 40 levels deep"),
        ("x: !!python/object:os.system ls\n", "is not accepted here"),
        ("a: 1\n---\nb: 2\n", "holds more than one document"),
        (
            "l0: &l0 [x]\n"
            + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9)),
            "expands to more than",
        ),
    ],
)
def test_hostile_yaml_is_still_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_document(text)


# --------------------------------------------------------- 11. write errors are the user's to fix
def test_an_export_to_a_full_device_exits_2_with_the_reason(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    assert run("simulate", str(FLUID), "--store", str(store)).exit_code == 0
    result = run("export", "s-0001", "--out", "/dev/full", "--store", str(store))
    assert result.exit_code == 2
    assert "/dev/full: cannot write: the disk is full" in result.output


# ---------------------------------------------------------------------- 12. every problem a path
def test_an_empty_key_has_a_path_that_says_so() -> None:
    problems = problems_of(_small(lambda d: d["lines"][0].update({"": 1})))
    assert 'lines[0][""]: is not a known field' in problems


def test_a_too_long_description_reads_like_the_other_problems() -> None:
    problems = problems_of(_small(lambda d: d.update(description="x" * 20_001)))
    assert problems == ["description: must have at most 20000 characters"]
