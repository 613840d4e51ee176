"""The embedded store and exports: runs kept and read back, foreign files refused, exports agree."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.conftest import VALIDATION
from twin import Store, StoreError, export, export_bytes, load_scenario
from twin.cli import app
from twin.engine import RunOptions, simulate
from twin.store import SCHEMA_VERSION, STORE_ENV, default_path

runner = CliRunner()
FLUID = VALIDATION / "two_station_fluid.yaml"
SPEED = "lines[0].stations[1].equipment.speed_m_min"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "r2r.sqlite")


def test_a_simulation_is_kept_with_its_inputs(store: Store) -> None:
    scenario = load_scenario(FLUID)
    result = simulate(scenario, RunOptions.of(scenario, replications=2))
    run_id = store.save_simulation(scenario, result, label="fluid")
    assert run_id == "s-0001"
    assert store.simulation(run_id) == result.model_copy(update={"events": None, "rolls": None})
    assert store.scenario_document(run_id) == scenario.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert store.seed(run_id) == 7
    info = store.info("1")  # by number
    assert (info.id, info.kind, info.name, info.status) == (
        run_id,
        "simulation",
        "fluid",
        "finished",
    )
    assert (info.tasks_done, info.tasks_total) == (2, 2)


def test_runs_newest_first_ids_by_prefix_and_delete(store: Store) -> None:
    scenario = load_scenario(FLUID)
    first = store.save_schedule(scenario, {"objective": "makespan", "solution": {}})
    second = store.save_simulation(
        scenario, simulate(scenario, RunOptions.of(scenario, replications=1))
    )
    assert (first, second) == ("sc-0001", "s-0002")
    assert [r.id for r in store.runs()] == [second, first]
    assert [r.id for r in store.runs("schedule")] == [first]
    assert store.schedule("sc") == {"objective": "makespan", "solution": {}}
    with pytest.raises(StoreError, match="is a schedule, not a simulation"):
        store.simulation(first)
    with pytest.raises(StoreError, match="ambiguous"):
        store.info("s")
    store.delete(first)
    assert [r.id for r in store.runs()] == [second]
    with pytest.raises(StoreError, match="no run 'sc-0001'"):
        store.info(first)


def test_the_default_path_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(STORE_ENV, raising=False)
    assert default_path() == tmp_path / "r2r-store.sqlite"
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "elsewhere.sqlite"))
    assert Store().path == tmp_path / "elsewhere.sqlite"


def foreign_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE runs (id TEXT)")
    connection.execute("INSERT INTO runs VALUES ('x')")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(os.urandom(4096)), "not an SQLite database"),
        (lambda p: p.write_bytes(b""), "not an SQLite database"),
        (foreign_sqlite, "another application"),
    ],
    ids=["random bytes", "empty", "foreign sqlite"],
)
def test_a_file_that_is_not_a_store_is_refused_and_untouched(
    tmp_path: Path, make: Any, message: str
) -> None:
    path = tmp_path / "r2r-store.sqlite"
    make(path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=message) as caught:
        Store(path)
    assert str(path) in str(caught.value)
    result = runner.invoke(app, ["runs", "--store", str(path)])
    assert result.exit_code == 2
    assert "is not an r2r store" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_damaged_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r2r.sqlite"
    Store(path).close()
    data = bytearray(path.read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # keep the header, scramble the pages
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="is damaged"):
        Store(path)
    assert path.read_bytes() == bytes(data)


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r2r.sqlite"
    Store(path).close()
    connection = sqlite3.connect(path)
    connection.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
    )
    connection.commit()
    connection.close()
    with pytest.raises(StoreError, match=f"newer r2r \\(store schema {SCHEMA_VERSION + 1}"):
        Store(path)


def test_a_new_store_records_its_schema_and_application(tmp_path: Path) -> None:
    path = tmp_path / "new" / "r2r.sqlite"
    Store(path).close()
    connection = sqlite3.connect(path)
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    application = connection.execute("PRAGMA application_id").fetchone()[0]
    journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert meta["schema_version"] == str(SCHEMA_VERSION) and meta["application"] == "r2r"
    assert application == 0x52325254 and journal == "wal"


# ------------------------------------------------------------------------------------ export
def _study(tmp_path: Path) -> tuple[Store, str]:
    study = tmp_path / "study.yaml"
    study.write_text(
        f"name: fluid\nscenario: {FLUID}\nreplications: 2\nhorizon: 12h\n"
        "factors:\n  - {name: speed, path: 'lines[0].stations[1].equipment.speed_m_min', "
        "values: [6, 9]}\n",
        encoding="utf-8",
    )
    path = tmp_path / "r2r.sqlite"
    options = ["--store", str(path), "--workers", "1", "--plots", str(tmp_path / "plots")]
    result = runner.invoke(app, ["study", str(study), *options])
    assert result.exit_code == 0, result.output
    return Store(path), "st-0001"


def test_the_excel_export_holds_the_numbers_of_the_json_export(tmp_path: Path) -> None:
    store, study_id = _study(tmp_path)
    name, content = export_bytes(store, study_id, "json")
    assert name == "st-0001.json"
    document = json.loads(content)
    assert document["run"]["id"] == study_id and document["seed"] == 7
    workbook_path = export(store, study_id, "xlsx", tmp_path / "study.xlsx")
    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    assert workbook.sheetnames == ["summary", "replications", "run"]
    for table in ("summary", "replications"):
        rows = list(workbook[table].iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        records = document["tables"][table]
        assert list(header) == list(records[0])
        assert len(body) == len(records) == (2 if table == "summary" else 4)
        for row, record in zip(body, records, strict=True):
            for cell, value in zip(row, record.values(), strict=True):
                assert cell == (pytest.approx(value) if isinstance(value, float) else value)
    summary = document["tables"]["summary"]
    assert [r["speed"] for r in summary] == [6, 9]
    csv = export(store, study_id, "csv", tmp_path / "study.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].split(",")[:3] == ["point", "speed", "output_m2_per_h"]


def test_a_simulation_exports_its_estimates(store: Store) -> None:
    scenario = load_scenario(FLUID)
    result = simulate(scenario, RunOptions.of(scenario, replications=3))
    run_id = store.save_simulation(scenario, result)
    document = json.loads(export_bytes(store, run_id, "json")[1])
    kpis = {row["kpi"]: row for row in document["tables"]["kpis"]}
    assert kpis["kpis.output_m2_per_h"]["mean"] == result.kpis["output_m2_per_h"].mean
    assert kpis["lines.L.wip_rolls"]["ci_high"] == result.lines["L"].wip_rolls.ci_high
    assert {row["station"] for row in document["tables"]["stations"]} == {"M1", "M2"}
    schedule = store.save_schedule(scenario, {"objective": "makespan"})
    with pytest.raises(ValueError, match="exports as JSON only"):
        export_bytes(store, schedule, "csv")
    assert json.loads(export_bytes(store, schedule, "json")[1])["schedule"] == {
        "objective": "makespan"
    }


# ---------------------------------------------------------------------------------- variants
def _version_1(path: Path) -> None:
    """Make ``path`` a store as release 1 wrote it: the runs, no variants table, schema 1."""
    Store(path).close()
    connection = sqlite3.connect(path)
    connection.executescript(
        "DROP TABLE variants; UPDATE meta SET value = '1' WHERE key = 'schema_version'; "
        "PRAGMA user_version = 1;"
    )
    connection.close()


def _schema(path: Path) -> tuple[int, str, bool]:
    connection = sqlite3.connect(path)
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    meta = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    return version, meta, "variants" in tables


def test_a_variant_is_kept_with_its_parent_and_its_document(store: Store) -> None:
    base = load_scenario(FLUID)
    root = store.save_variant(base)
    faster = base.with_changes({SPEED: 9})
    child = store.save_variant(faster, name="faster M2", parent=root, changes={SPEED: 9})
    assert (root, child) == ("v-0001", "v-0002")
    infos = store.variants()
    assert [(v.id, v.name, v.parent) for v in infos] == [
        (root, base.name, None),
        (child, "faster M2", root),
    ]
    assert infos[1].changes == {SPEED: 9}
    assert store.variant_document(child)["lines"][0]["stations"][1]["equipment"]["speed_m_min"] == 9
    assert store.find_variant(faster) == child and store.find_variant(base) == root
    with pytest.raises(StoreError, match="no scenario variant 'v-0009'"):
        store.save_variant(base, parent="v-0009")
    assert store.runs() == []  # variants are not runs


def test_a_version_1_store_is_read_as_it_is_and_migrated_by_its_first_variant(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    _version_1(path)
    scenario = load_scenario(FLUID)
    options = RunOptions.of(scenario, replications=2, horizon_min=600)
    run_id = Store(path).save_simulation(scenario, simulate(scenario, options))
    old = Store(path)
    assert old.variants() == [] and old.find_variant(scenario) is None
    assert _schema(path) == (1, "1", False)  # reading and keeping runs change no schema
    variant = old.save_variant(scenario)
    assert _schema(path) == (SCHEMA_VERSION, str(SCHEMA_VERSION), True)
    again = Store(path)
    assert [v.id for v in again.variants()] == [variant]
    assert again.simulation(run_id).replications == 2  # the runs kept before are still there


def test_a_migration_that_fails_halfway_leaves_the_store_at_version_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twin.store.runs

    path = tmp_path / "old.sqlite"
    _version_1(path)
    broken = (*twin.store.runs.VARIANT_TABLES, "CREATE INDEX broken ON no_such_table (x)")
    monkeypatch.setattr(twin.store.runs, "VARIANT_TABLES", broken)
    with pytest.raises(sqlite3.OperationalError):
        Store(path).save_variant(load_scenario(FLUID))
    assert _schema(path) == (1, "1", False)  # the table made before the failure rolled back
    monkeypatch.undo()
    assert Store(path).variants() == []
