"""The dashboard command: start the Streamlit workbench, and stop it when the command stops.

The server runs as a child process in a process group of its own. SIGINT, SIGTERM, SIGHUP and
SIGQUIT sent to ``r2r dashboard`` are passed on to it (once: Ctrl-C in a terminal reaches only
the command), and on Linux the kernel sends it SIGTERM if the command dies without passing
anything on (``kill -9``). A server that has not stopped 10 s after the signal is killed.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from twin.cli.app import guarded
from twin.extras import require
from twin.scenario import MAX_DOCUMENT_BYTES, Problem, ScenarioError

FORWARDED = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    if hasattr(signal, name)
)
"""Signals that stop the command, passed on to the server."""
GRACE_S = 10.0
"""How long a server may take to stop after a signal before it is killed."""
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@guarded
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to bind; the default serves this machine only.")
    ] = "127.0.0.1",
) -> None:
    """Start the planners' dashboard (Streamlit); open the address it prints in a browser."""
    require("streamlit", "dashboard", "the dashboard")
    require("plotly", "dashboard", "the dashboard")
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise ScenarioError([Problem("", "the dashboard package is not installed")])
    script = Path(next(iter(spec.submodule_search_locations))) / "app.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(MAX_DOCUMENT_BYTES // 1_000_000),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    raise typer.Exit(serve(command))


def serve(command: list[str]) -> int:
    """Run the server ``command`` until it ends or this process is told to stop; its exit code.

    Stopped by a signal, the exit code is 128 + the signal's number, as a shell reports it.
    """
    received: list[int] = []
    server: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if server is not None:
            with suppress(ProcessLookupError):
                server.send_signal(signum)

    previous = {
        signum: signal.signal(signum, forward)
        for signum in FORWARDED
        if signal.getsignal(signum) is not signal.SIG_IGN  # nohup: leave SIGHUP ignored
    }
    try:
        server = subprocess.Popen(command, **_child_options())
        if received:  # a signal came while the server was starting
            server.send_signal(received[0])
        code = _wait(server, received)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
    if received:
        return 128 + received[0]
    return code if code >= 0 else 128 - code


def _wait(server: subprocess.Popen[bytes], received: list[int]) -> int:
    """Wait for the server; kill it if it has not stopped :data:`GRACE_S` after a signal."""
    deadline: float | None = None
    while True:
        try:
            return server.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if received and deadline is None:
                deadline = time.monotonic() + GRACE_S
            if deadline is not None and time.monotonic() > deadline:
                server.kill()


def _child_options() -> dict[str, Any]:
    """Popen options that keep the server in its own process group and bound to this process."""
    if os.name != "posix":
        return {}
    options: dict[str, Any] = {"process_group": 0}
    if sys.platform.startswith("linux"):
        options["preexec_fn"] = _dies_with(os.getpid())
    return options


def _dies_with(parent: int) -> Callable[[], None]:
    """A pre-exec hook asking Linux to send the child SIGTERM when ``parent`` dies."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: the hook runs after fork

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook
