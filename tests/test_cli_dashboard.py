"""``r2r dashboard``: stopping the command stops its Streamlit server, however it is stopped.

The real command is started on a free port; once the port listens, the command is sent SIGTERM
or SIGINT, or killed outright, and the port must close with no server process left behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=str)
def test_stopping_the_dashboard_command_stops_its_server(tmp_path: Path, stop: int) -> None:
    port = free_port()
    env = {**os.environ, "R2R_STORE": str(tmp_path / "store.sqlite")}
    command = [sys.executable, "-m", "twin", "dashboard", "--port", str(port)]
    parent = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a signal for it alone, as from kill(1)
    )
    servers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert parent.poll() is None, "r2r dashboard exited"
            assert time.monotonic() < deadline, "the dashboard did not start listening"
            time.sleep(0.2)
        servers = descendants(parent.pid)
        assert servers, "the server runs in a process of its own"
        os.kill(parent.pid, stop)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 20
        while listening(port) or any(running(pid) for pid in servers):
            assert time.monotonic() < deadline, (
                f"after {signal.Signals(stop).name} to r2r dashboard, the port still listens: "
                f"{listening(port)}, servers left: {[p for p in servers if running(p)]}"
            )
            time.sleep(0.2)
        if stop != signal.SIGKILL:
            assert parent.returncode == 128 + stop
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in servers | descendants(parent.pid):
            if running(pid):
                os.kill(pid, signal.SIGKILL)
