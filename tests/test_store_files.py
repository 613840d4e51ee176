"""The store's file on a real disk: full, read-only, damaged, on a bad path, and first used by many.

Every test runs the real ``r2r`` command (or real processes) on a real file system. The full and
read-only disks are small tmpfs mounts made here (a loop-mounted ext4 image if tmpfs cannot be
mounted); where neither can be mounted (not root), those tests are skipped and say why.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCENARIOS, VALIDATION
from twin.store import Store

FLUID = VALIDATION / "two_station_fluid.yaml"
SHORT = ["--days", "0.1", "--replications", "1"]


def r2r(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``r2r`` in a fresh interpreter, as a user would."""
    env = {k: v for k, v in os.environ.items() if k not in ("R2R_DEBUG", "R2R_STORE")}
    return subprocess.run(
        [sys.executable, "-m", "twin", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        check=False,
    )


# ------------------------------------------------------------------------------ file systems
class Mounts:
    """Small file systems mounted for one test, unmounted (in reverse order) after it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.mounted: list[Path] = []

    def small(self, name: str, size_kb: int = 4096) -> Path:
        """A fresh, empty file system of ``size_kb`` at ``base/name``: tmpfs, else ext4 image."""
        folder = self.base / name
        folder.mkdir()
        tmpfs = ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0777", "tmpfs", str(folder)]
        if _run(tmpfs):
            self.mounted.append(folder)
            return folder
        image = self.base / f"{name}.img"
        with image.open("wb") as handle:
            handle.truncate(max(size_kb, 2048) * 1024)
        if _run(["mkfs.ext4", "-q", "-F", str(image)]) and _run(
            ["mount", "-o", "loop", str(image), str(folder)]
        ):
            self.mounted.append(folder)
            (folder / "lost+found").rmdir()
            return folder
        pytest.skip(
            "needs a small file system of its own: mounting a tmpfs or a loop ext4 image "
            "failed here (run as root, as CI does)"
        )

    def read_only(self, folder: Path) -> None:
        """Remount ``folder`` read-only."""
        assert _run(["mount", "-o", "remount,ro", str(folder)]), "cannot remount read-only"

    def bind(self, source: Path, target: Path) -> None:
        """Bind-mount the file ``source`` onto the existing file ``target``."""
        assert _run(["mount", "--bind", str(source), str(target)]), "cannot bind-mount"
        self.mounted.append(target)

    def unmount_all(self) -> None:
        """Unmount everything mounted here, last first."""
        for folder in reversed(self.mounted):
            if not _run(["umount", str(folder)]):
                _run(["umount", "-l", str(folder)])


def _run(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, check=False).returncode == 0
    except OSError:
        return False


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Mounts]:
    found = Mounts(tmp_path)
    try:
        yield found
    finally:
        found.unmount_all()


def fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` to the last byte; return the filler file."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 20, 4096, 512, 1):
            block = b"\0" * size
            try:
                while True:
                    os.write(descriptor, block)
            except OSError:
                continue
    finally:
        os.close(descriptor)
    return filler


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------- full disk
def test_no_store_is_made_on_a_full_disk_and_one_is_once_space_is_freed(mounts: Mounts) -> None:
    disk = mounts.small("disk")
    store = disk / "new.sqlite"
    filler = fill(disk)
    result = r2r("simulate", FLUID, *SHORT, "--store", store)
    assert result.returncode == 2, result.stderr
    assert f"{store}" in result.stderr and "the disk is full" in result.stderr
    assert "corrupted" not in result.stderr and "damaged" not in result.stderr
    assert "internal error" not in result.stderr
    assert files_in(disk) == ["filler"]  # no half-made store left behind
    filler.unlink()
    result = r2r("simulate", FLUID, *SHORT, "--store", store)
    assert result.returncode == 0, result.stderr
    assert "s-0001" in r2r("runs", "--store", store).stdout


def test_a_healthy_store_on_a_full_disk_is_called_full_and_works_once_space_is_freed(
    mounts: Mounts,
) -> None:
    disk = mounts.small("disk")
    store = disk / "r2r.sqlite"
    assert r2r("simulate", FLUID, *SHORT, "--store", store).returncode == 0
    before = store.read_bytes()
    filler = fill(disk)
    result = r2r("simulate", FLUID, *SHORT, "--store", store)
    assert result.returncode == 2, result.stderr
    assert f"{store}" in result.stderr and "the disk is full" in result.stderr
    assert "damaged" not in result.stderr and "not an r2r store" not in result.stderr
    assert result.stdout == ""  # refused before the simulation ran
    listing = r2r("runs", "--store", store)  # reading needs no space
    assert listing.returncode == 0 and "s-0001" in listing.stdout, listing.stderr
    assert store.read_bytes() == before
    filler.unlink()
    assert r2r("simulate", FLUID, *SHORT, "--store", store).returncode == 0
    listing = r2r("runs", "--store", store)
    assert "s-0001" in listing.stdout and "s-0002" in listing.stdout


# ---------------------------------------------------------------------------------- read-only
def _study_file(folder: Path) -> Path:
    study = folder / "study.yaml"
    study.write_text(
        f"name: speeds\nscenario: {FLUID}\nreplications: 1\nhorizon: 6h\n"
        "factors: [{name: s, path: 'lines[0].stations[1].equipment.speed_m_min', values: [6]}]\n",
        encoding="utf-8",
    )
    return study


def _writers(tmp_path: Path) -> dict[str, list[object]]:
    """A command of each kind that writes to the store; the schedule would search for 60 s."""
    return {
        "simulate": ["simulate", FLUID, *SHORT],
        "schedule": ["schedule", SCENARIOS / "baseline.yaml", "--time-limit", "60"],
        "study": ["study", _study_file(tmp_path), "--workers", "1"],
    }


def test_a_store_on_a_read_only_disk_is_refused_before_any_work_and_can_be_read(
    mounts: Mounts, tmp_path: Path
) -> None:
    disk = mounts.small("disk")
    store = disk / "r2r.sqlite"
    assert r2r("simulate", FLUID, *SHORT, "--store", store).returncode == 0
    before = store.read_bytes()
    mounts.read_only(disk)
    for name, command in _writers(tmp_path).items():
        started = time.monotonic()
        result = r2r(*command, "--store", store)
        assert result.returncode == 2, (name, result.stderr)
        assert f"{store}" in result.stderr and "read-only" in result.stderr, name
        assert "Read-only file system" in result.stderr, name  # the OS's reason
        assert result.stdout == "" and time.monotonic() - started < 40, name  # no work done
    listing = r2r("runs", "--store", store)
    assert listing.returncode == 0 and "s-0001" in listing.stdout, listing.stderr
    assert r2r("show", "s-0001", "--store", store).returncode == 0
    assert store.read_bytes() == before
    result = r2r("simulate", FLUID, *SHORT, "--store", disk / "new.sqlite")
    assert result.returncode == 2 and f"{disk / 'new.sqlite'}" in result.stderr
    assert "Read-only file system" in result.stderr and "internal error" not in result.stderr


def test_a_store_in_a_read_only_folder_is_refused_before_any_work(
    mounts: Mounts, tmp_path: Path
) -> None:
    """The file is writable but its folder is not, so SQLite could not keep its journal."""
    disk = mounts.small("disk")
    assert r2r("simulate", FLUID, *SHORT, "--store", disk / "r2r.sqlite").returncode == 0
    shelf = mounts.small("shelf")
    store = shelf / "r2r.sqlite"
    store.touch()
    mounts.read_only(shelf)
    mounts.bind(disk / "r2r.sqlite", store)
    assert os.access(store, os.W_OK) and not os.access(shelf, os.W_OK)
    result = r2r(*_writers(tmp_path)["simulate"], "--store", store)
    assert result.returncode == 2, result.stderr
    assert f"{store}" in result.stderr and "folder" in result.stderr
    assert "Read-only file system" in result.stderr and result.stdout == ""
    listing = r2r("runs", "--store", store)
    assert listing.returncode == 0 and "s-0001" in listing.stdout, listing.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes any file; the read-only mounts cover it")
def test_a_store_file_without_write_permission_is_refused_before_any_work(tmp_path: Path) -> None:
    store = tmp_path / "r2r.sqlite"
    assert r2r("simulate", FLUID, *SHORT, "--store", store).returncode == 0
    store.chmod(0o444)
    result = r2r(*_writers(tmp_path)["simulate"], "--store", store)
    assert result.returncode == 2 and "Permission denied" in result.stderr
    assert r2r("runs", "--store", store).returncode == 0


# ---------------------------------------------------------------------------------- OS errors
@pytest.mark.parametrize(
    ("where", "reason"),
    [("plain.txt/r2r.sqlite", "Not a directory"), ("folder", "not a file")],
    ids=["under a file", "a folder"],
)
def test_a_store_path_the_os_refuses_exits_2_with_the_path_and_the_reason(
    tmp_path: Path, where: str, reason: str
) -> None:
    (tmp_path / "plain.txt").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    store = tmp_path / where
    for command in (["runs"], ["simulate", FLUID, *SHORT]):
        result = r2r(*command, "--store", store)
        assert result.returncode == 2, result.stderr
        assert f"{store}" in result.stderr and reason in result.stderr
        assert "internal error" not in result.stderr


# ---------------------------------------------------------------------------- damaged pages
def _page_of(store: Path, table: str) -> tuple[int, int]:
    """The byte offset of ``table``'s root page in the file, and the page size."""
    connection = sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)
    try:
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        (root,) = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    finally:
        connection.close()
    return (root - 1) * page_size, page_size


def _damage_page(store: Path, table: str) -> None:
    """Scramble the b-tree header of a table's root page: SQLite sees a malformed page."""
    offset, _ = _page_of(store, table)
    data = bytearray(store.read_bytes())
    data[offset : offset + 8] = bytes(b ^ 0xA5 for b in data[offset : offset + 8])
    store.write_bytes(bytes(data))


def _damage_result(store: Path) -> None:
    """Flip bytes inside a stored result: the page is sound, the record it holds is not."""
    data = bytearray(store.read_bytes())
    at = data.index(b'"output_m2_per_h"')
    data[at : at + 6] = b"\xff\x00{[\x01\x02"
    store.write_bytes(bytes(data))


def _stored_run(tmp_path: Path) -> Path:
    store = tmp_path / "r2r.sqlite"
    result = r2r("simulate", FLUID, *SHORT, "--store", store)
    assert result.returncode == 0, result.stderr
    return store


def test_a_damaged_page_is_reported_by_every_command_and_the_file_left_untouched(
    tmp_path: Path,
) -> None:
    store = _stored_run(tmp_path)
    _damage_page(store, "runs")
    before = store.read_bytes()
    commands = {
        "runs": ["runs"],
        "show": ["show", "s-0001"],
        "export": ["export", "s-0001", "--format", "json", "--out", tmp_path / "x.json"],
        "simulate": ["simulate", FLUID, *SHORT],
        "schedule": ["schedule", FLUID, "--time-limit", "5"],
    }
    for name, command in commands.items():
        result = r2r(*command, "--store", store)
        assert result.returncode == 2, (name, result.stderr)
        assert f"{store} is damaged" in result.stderr, (name, result.stderr)
        assert "internal error" not in result.stderr, name
        assert result.stdout == "", name
        assert store.read_bytes() == before, name
    assert not (tmp_path / "x.json").exists()


def test_a_damaged_record_is_reported_and_the_file_left_untouched(tmp_path: Path) -> None:
    store = _stored_run(tmp_path)
    _damage_result(store)
    before = store.read_bytes()
    for command in (
        ["show", "s-0001"],
        ["export", "s-0001", "--format", "json", "--out", tmp_path / "x.json"],
    ):
        result = r2r(*command, "--store", store)
        assert result.returncode == 2, result.stderr
        assert f"{store} is damaged" in result.stderr and "s-0001" in result.stderr
        assert "internal error" not in result.stderr
        assert store.read_bytes() == before


# ---------------------------------------------------------------------------- first use race
_FIRST_USE = """
import sys, time
from pathlib import Path
from twin.scenario import load_scenario
from twin.store import Store
path, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
scenario = load_scenario(sys.argv[4])
ready.touch()
while not go.exists():
    time.sleep(0.0005)
store = Store(path)
print(store.begin_simulation(scenario, replications=1, seed=1))
"""


@pytest.mark.slow
def test_many_processes_may_create_the_same_store_at_once(tmp_path: Path) -> None:
    """Four processes open a missing store in the same millisecond, three rounds over."""
    for round_ in range(3):
        store, go = tmp_path / f"new-{round_}.sqlite", tmp_path / f"go-{round_}"
        ready = [tmp_path / f"ready-{round_}-{i}" for i in range(4)]
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _FIRST_USE, str(store), str(r), str(go), str(FLUID)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for r in ready
        ]
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready):
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.01)
        go.touch()
        results = [p.communicate(timeout=60) for p in processes]
        failures = [err for p, (_, err) in zip(processes, results, strict=True) if p.returncode]
        assert not failures, failures
        ids = sorted(out.strip() for out, _ in results)
        assert ids == ["s-0001", "s-0002", "s-0003", "s-0004"]
        assert len(Store(store).runs()) == 4
        assert files_in(tmp_path).count(store.name) == 1
        assert not [n for n in files_in(tmp_path) if n.startswith(f".{store.name}")]


@pytest.mark.slow
def test_three_simulations_started_together_share_a_new_store(tmp_path: Path) -> None:
    """The issue's own case, twice: before the fix it failed about one time in two."""
    env = {k: v for k, v in os.environ.items() if k != "R2R_STORE"}
    for round_ in range(2):
        store = tmp_path / f"new-{round_}.sqlite"
        command = [sys.executable, "-m", "twin", "simulate", str(FLUID), *SHORT]
        processes = [
            subprocess.Popen(
                [*command, "--store", str(store)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(3)
        ]
        errors = [p.communicate(timeout=120)[1].decode() for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], errors
        assert sorted(r.id for r in Store(store).runs()) == ["s-0001", "s-0002", "s-0003"]
