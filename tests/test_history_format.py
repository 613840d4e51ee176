"""The event-log format: the twin's logs read back, MES exports through a column map, bad rows."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tests.history_cases import DATA
from twin.engine import RunOptions, simulate
from twin.files import FileError
from twin.history import (
    ColumnMap,
    ColumnMapError,
    LogError,
    LogFileError,
    LogRecord,
    events_frame,
    load_column_map,
    read_event_log,
    write_event_log,
)
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
THREE_TOOLS = ROOT / "scenarios" / "validation" / "roll_coupled_three_tools.yaml"
HEADER = "time,station,state,cause\n"


@pytest.fixture(scope="module")
def plant():  # type: ignore[no-untyped-def]
    return load_scenario(THREE_TOOLS)


def csv(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_twins_log_is_valid_input_in_csv_and_parquet(tmp_path: Path, plant) -> None:  # type: ignore[no-untyped-def]
    result = simulate(plant, RunOptions.of(plant, replications=1, event_log=True))
    records = result.events or []
    write_event_log(records, tmp_path / "log.csv", plant.start, plant.run.horizon)
    write_event_log(records, tmp_path / "log.parquet", plant.start, plant.run.horizon)
    from_csv = read_event_log(tmp_path / "log.csv", plant)
    from_parquet = read_event_log(tmp_path / "log.parquet", plant)
    columns = ["unit", "station", "state", "start", "end"]
    pd.testing.assert_frame_equal(from_csv.frame[columns], from_parquet.frame[columns])
    assert from_csv.end_min == pytest.approx(plant.run.horizon)
    assert from_csv.rows == len(records)
    # every unit's states tile the log: they sum to its span
    spans = from_csv.frame.assign(d=lambda f: f["end"] - f["start"]).groupby("unit")["d"].sum()
    assert spans.to_numpy() == pytest.approx(plant.run.horizon)
    # no start in the scenario: written from 2000-01-01
    header, first = (tmp_path / "log.csv").read_text().splitlines()[:2]
    assert header == "time,end,station,unit,state,cause,roll,order,product,step,metres"
    assert first.startswith("2000-01-01T00:00:00.000,")


def test_writer_takes_full_state_records_and_offsets_an_aware_start() -> None:
    import datetime as dt

    records = [
        LogRecord(0.0, "PC2", "PC2#2", "working", None, "SO-1/1", "SO-1", "A", 1, 0.0),
        LogRecord(90.5, "PC2", "PC2#2", "down", "arc", "SO-1/1", "SO-1", "A", 1, 450.25),
    ]
    start = dt.datetime(2026, 12, 7, 6, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    frame = events_frame(records, start, 120.0)
    assert list(frame["time"]) == ["2026-12-07T05:00:00.000Z", "2026-12-07T06:30:30.000Z"]
    assert list(frame["end"]) == ["2026-12-07T06:30:30.000Z", "2026-12-07T07:00:00.000Z"]
    assert list(frame["cause"]) == ["", "arc"] and list(frame["metres"]) == [0.0, 450.25]


def test_a_column_map_reads_an_mes_export_as_is(tmp_path: Path, plant) -> None:  # type: ignore[no-untyped-def]
    mapping = csv(
        tmp_path,
        "columns: {time: Zeitpunkt, station: Anlage, state: Status, cause: Grund}\n"
        "states: {LAEUFT: working, WARTET: starved, STOERUNG: down}\n"
        "stations: {PECVD-01: PC}\n"
        "time_zone: Europe/Berlin\n"
        'time_format: "%d.%m.%Y %H:%M"\n'
        'delimiter: ";"\n',
        "map.yaml",
    )
    log = csv(
        tmp_path,
        "Zeitpunkt;Anlage;Status;Grund\n"
        "07.12.2026 06:00;PECVD-01;LAEUFT;\n"
        "07.12.2026 08:30;PECVD-01;STOERUNG;arc\n"
        "07.12.2026 09:00;PECVD-01;WARTET;\n"
        "07.12.2026 10:00;OX;LAEUFT;\n",
    )
    columns = load_column_map(mapping)
    read = read_event_log(log, plant, columns)
    assert read.origin == pd.Timestamp("2026-12-07T05:00:00Z")  # 06:00 in Berlin is 05:00 UTC
    pc = read.frame[read.frame["unit"] == "PC"]
    assert list(pc["state"]) == ["working", "down", "starved"]
    assert list(pc["start"]) == [0.0, 150.0, 180.0] and list(pc["end"]) == [150, 180, 240]
    assert list(pc["cause"]) == ["", "arc", ""]


def test_daylight_saving_repeat_is_inferred_per_unit(tmp_path: Path, plant) -> None:  # type: ignore[no-untyped-def]
    log = csv(
        tmp_path,
        "time,station,state\n"
        "2026-10-25T01:30:00,PC,working\n2026-10-25T02:30:00,PC,starved\n"
        "2026-10-25T02:10:00,PC,working\n2026-10-25T03:00:00,PC,starved\n",
    )
    read = read_event_log(log, plant, ColumnMap(time_zone="Europe/Berlin"))
    assert list(read.frame["start"]) == [0.0, 60.0, 100.0, 150.0]


def test_each_kind_of_bad_row_gives_its_message_with_the_row_number(tmp_path: Path, plant) -> None:  # type: ignore[no-untyped-def]
    log = csv(
        tmp_path,
        "time,end,station,state,metres\n"
        "2026-12-07T06:00:00,2026-12-07T07:00:00,PC,working,0\n"  # row 2: good
        "2026-12-07T06:10:00,2026-12-07T07:00:00,XX,working,0\n"  # row 3: unknown station
        "2026-12-07T06:20:00,2026-12-07T07:00:00,OX,RUNNING,0\n"  # row 4: unmapped state
        "yesterday,2026-12-07T07:00:00,AN,working,0\n"  # row 5: time cannot be parsed
        "2026-12-07T06:40:00,2026-12-07T06:50:00,PC,starved,0\n"  # row 6: overlaps row 2
        "2026-12-07T05:00:00,2026-12-07T05:10:00,PC,working,0\n"  # row 7: goes backwards
        "2026-12-07T08:00:00,2026-12-07T09:00:00,OX,working\n"  # row 8: a field short
        "2026-12-07T08:00:00,2026-12-07T09:00:00,AN,working,lots\n"  # row 9: metres
        "2026-12-07T09:00:00,2026-12-07T08:00:00,AN,working,0\n"  # row 10: ends before start
        "2026-12-07T10:00:00,2026-12-07T11:00:00,XX,down,0\n",  # row 11: unknown station
    )
    with pytest.raises(LogError) as caught:
        read_event_log(log, plant)
    problems = {p.path: p.message for p in caught.value.problems}
    assert problems["rows 3, 11"] == "unknown station 'XX' (2 rows)"
    assert problems["row 4"].startswith("unmapped state name 'RUNNING'")
    assert problems["row 5"].startswith(
        "time is not a date-time (expected ISO 8601; got 'yesterday'"
    )
    assert problems["row 6"] == "overlaps the state before it on PC"
    assert problems["row 7"] == "time goes backwards for PC"
    assert problems["row 8"] == "has fewer fields than the header's 5"
    assert problems["row 9"] == "metres is not a number"
    assert problems["row 10"] == "ends before it starts"
    assert "9 bad of 10 rows" in str(caught.value.source)


def test_skip_bad_rows_reports_what_it_skipped(tmp_path: Path, plant) -> None:  # type: ignore[no-untyped-def]
    log = csv(
        tmp_path,
        HEADER
        + "2026-12-07T06:00:00,PC,working,\n"
        + "2026-12-07T06:10:00,XX,working,\n"
        + "2026-12-07T07:00:00,PC,down,arc\n"
        + "2026-12-07T06:30:00,PC,starved,\n",
    )
    read = read_event_log(log, plant, skip_bad_rows=True)
    assert read.skipped_rows == 2 and read.rows == 4
    assert [str(p) for p in read.skipped] == [
        "row 3: unknown station 'XX'",
        "row 5: time goes backwards for PC",
    ]
    assert list(read.frame["state"]) == ["working", "down"]


def test_parallel_units_must_be_named(tmp_path: Path) -> None:
    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    log = csv(
        tmp_path,
        "time,station,unit,state\n2026-12-07T06:00:00,PC2,,working\n"
        "2026-12-07T06:00:00,PC2,PC2#2,working\n2026-12-07T06:00:00,PC2,PC2#3,working\n",
    )
    with pytest.raises(LogError) as caught:
        read_event_log(log, baseline)
    messages = {p.path: p.message for p in caught.value.problems}
    assert messages["row 2"].startswith("station PC2 has 2 parallel units")
    assert messages["row 4"] == "unknown unit 'PC2#3'"


def test_files_that_are_no_log_are_refused_without_echoing_them(tmp_path: Path, plant) -> None:  # type: ignore[no-untyped-def]
    secret = csv(tmp_path, "root:x:0:0:secret-password\n", "passwd")
    with pytest.raises(LogFileError) as caught:
        read_event_log(secret, plant)
    assert "secret" not in str(caught.value) and "has no column" in str(caught.value)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00secret")
    with pytest.raises(LogFileError) as caught:
        read_event_log(binary, plant)
    assert "secret" not in str(caught.value)
    with pytest.raises(FileError, match="is a folder; a log must be a file"):
        read_event_log(tmp_path, plant)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="is a pipe; a log must be a file"):
        read_event_log(fifo, plant)
    with pytest.raises(FileError, match="cannot read the log: no such file"):
        read_event_log(tmp_path / "missing.csv", plant)
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"PAR1 secret")
    with pytest.raises(LogFileError, match="not a Parquet file"):
        read_event_log(fake, plant)


def test_a_bad_column_map_lists_its_mistakes(tmp_path: Path) -> None:
    mapping = csv(
        tmp_path,
        "columns: {when: Zeit}\nstates: {RUN: running}\ntime_zone: Mars/Olympus\n",
        "map.yaml",
    )
    with pytest.raises(ColumnMapError) as caught:
        load_column_map(mapping)
    paths = {p.path for p in caught.value.problems}
    assert {"columns.when", "states.RUN", "time_zone"} <= paths


def test_test_data_plants_load() -> None:
    for path in DATA.glob("*.yaml"):
        load_scenario(path)
