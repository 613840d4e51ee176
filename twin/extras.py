"""The optional parts of r2r, and the extra that installs each.

``pip install r2r-twin`` gives the twin, the scheduler, studies on local processes, the store and
CSV and JSON exports. The rest comes with an extra: ``dashboard`` (Streamlit and plotly),
``plots`` (plotly, for study plots), ``dask`` (the Dask executor) and ``excel`` (openpyxl, for
Excel exports); ``make`` installs them all. Whatever needs a missing extra raises
:class:`InstallError` (exit code 2 in the CLI) naming the extra, before it starts any work.
"""

from __future__ import annotations

import importlib.util

from twin.scenario import InputError, Problem

PACKAGE = "r2r-twin"
"""The distribution name, as ``pip install`` wants it."""


class InstallError(InputError):
    """A part of r2r that needs an extra which is not installed; the message says which."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem("", message)])
        self.args = (message,)

    def __str__(self) -> str:
        return self.problems[0].message


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or the module was hidden
        return False


def require(module: str, extra: str, purpose: str) -> None:
    """Raise :class:`InstallError` unless ``module`` (which ``extra`` installs) is importable.

    ``purpose`` names what needs it, as the start of a sentence: ``"the dashboard"``.
    """
    if not installed(module):
        raise InstallError(
            f"{purpose} needs the {extra!r} extra ({module} is not installed): "
            f"pip install '{PACKAGE}[{extra}]'"
        )
