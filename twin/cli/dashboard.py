"""The dashboard command: start the Streamlit workbench."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from twin.cli.app import guarded
from twin.scenario import MAX_DOCUMENT_BYTES, Problem, ScenarioError


@guarded
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to bind; the default serves this machine only.")
    ] = "127.0.0.1",
) -> None:
    """Start the planners' dashboard (Streamlit); open the address it prints in a browser."""
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
    raise typer.Exit(subprocess.call(command))
