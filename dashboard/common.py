"""What every page shares: the current scenario, one error boundary, estimates, CSV, runs.

A page never shows a traceback: every call into :mod:`twin` goes through :func:`boundary` (or a
background :class:`Job`, whose error :func:`follow_job` shows the same way). A scenario's mistakes
are listed by path; any other error is a short message, with details only when ``R2R_DEBUG`` is set.
"""

from __future__ import annotations

import math
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st

from twin import (
    MAX_DOCUMENT_BYTES,
    Estimate,
    InputError,
    Problem,
    RunInfo,
    Scenario,
    ScenarioError,
    ScenarioSource,
    SimulationResult,
    Store,
    bundled_folder,
    export_bytes,
    parse_document,
    scenario_files_within,
    scenario_from_document,
)
from twin.display import significant

MAX_UPLOAD_BYTES = MAX_DOCUMENT_BYTES
"""Largest file a planner may upload (the safe loader refuses larger ones too)."""

KPI_LABELS: dict[str, str] = {
    "output_m_per_h": "Output m/h",
    "output_m2_per_h": "Output m²/h",
    "output_rolls_per_h": "Output rolls/h",
    "good_m2_per_h": "Good m²/h",
    "yield": "Yield",
    "first_pass_yield": "First-pass yield",
    "ah_per_h": "Capacity made Ah/h",
    "escapes_per_1000_m2": "Escapes per 1000 m²",
    "escapes_ppm": "Escapes ppm of area",
    "on_time_fraction": "Orders on time",
    "weighted_tardiness_h": "Weighted tardiness h",
}
"""Display names of the plant KPIs, in the order the cards show them."""

FRACTIONS = frozenset({"yield", "first_pass_yield", "on_time_fraction"})
"""KPIs that are shares, shown in per cent."""


# ------------------------------------------------------------------------------------ scenario
def bundled_files(
    env: str, kind: Literal["scenarios", "studies"], *patterns: str
) -> dict[str, Path]:
    """The bundled scenarios or studies (or the files where ``env`` points), by relative path."""
    base = Path(os.environ.get(env) or bundled_folder(kind))
    return {str(p.relative_to(base)): p for pattern in patterns for p in sorted(base.glob(pattern))}


def bundled_scenarios() -> dict[str, Path]:
    """The bundled scenarios (``R2R_SCENARIOS`` names another folder)."""
    return bundled_files("R2R_SCENARIOS", "scenarios", "*.yaml", "validation/*.yaml")


def study_scenarios() -> ScenarioSource:
    """What a study launched here may name: a bundled scenario, or one uploaded this session.

    The dashboard runs on a server: a study file must not make it read any other file there.
    """
    folders = [
        Path(os.environ.get("R2R_STUDIES") or bundled_folder("studies")),
        Path(os.environ.get("R2R_SCENARIOS") or bundled_folder("scenarios")),
    ]
    return scenario_files_within(folders, st.session_state.get("uploads", {}))


def remember_upload(name: str) -> None:
    """Keep the current scenario, just uploaded as ``name``, for studies of this session."""
    scenario = st.session_state.get("scenario")
    if scenario is not None:
        st.session_state.setdefault("uploads", {})[name] = scenario


def set_document(document: Any, label: str, variant: str | None = None) -> None:
    """Make ``document`` the one current scenario; validate it and keep its problems.

    ``label`` names where it came from (a file, a stored variant); ``variant`` is the id of the
    stored variant it is, unchanged. Whatever the pages showed of the scenario before is
    replaced: its problems, its tables, its text.
    """
    state = st.session_state
    state["document"] = document
    state["scenario_label"] = label
    state["variant"] = variant
    state["document_version"] = state.get("document_version", 0) + 1
    state.pop("unreadable", None)
    try:
        state["scenario"] = scenario_from_document(document, label)
        state["problems"] = []
    except ScenarioError as error:
        state["scenario"] = None
        state["problems"] = error.problems


def set_unreadable(data: str | bytes, label: str, problems: list[Problem]) -> None:
    """Make a file that could not be read at all the current scenario: its problems, its text.

    Nothing of the scenario before stays current: no document, so no tables; the text editor
    holds the file's text to be fixed.
    """
    state = st.session_state
    state["document"] = None
    state["unreadable"] = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    state["scenario_label"] = label
    state["variant"] = None
    state["document_version"] = state.get("document_version", 0) + 1
    state["scenario"] = None
    state["problems"] = problems


def parse_text(data: str | bytes, label: str, fmt: Literal["yaml", "json"] | None = None) -> Any:
    """YAML or JSON text parsed by the twin's safe loader; a :class:`ScenarioError` if it is none.

    The format is ``fmt``, or JSON for a label ending in ``.json`` and YAML otherwise.
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        limit = f"the file is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB"
        raise ScenarioError([Problem("", limit)], label)
    fmt = fmt or ("json" if label.lower().endswith(".json") else "yaml")
    try:
        return parse_document(data, fmt)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], label) from None


def load_text(data: str | bytes, label: str) -> None:
    """Make a file's text the current scenario (parsed and validated).

    A file that cannot be read becomes the current scenario all the same, with its problem
    (:func:`set_unreadable`): the file just given is the one every page speaks of.
    """
    try:
        document = parse_text(data, label)
    except ScenarioError as error:
        set_unreadable(data if len(data) <= MAX_DOCUMENT_BYTES else b"", label, error.problems)
        return
    set_document(document, label)


def current_scenario() -> Scenario | None:
    """The current scenario if it is valid, loading the first bundled one on a first visit."""
    if "document" not in st.session_state:
        label, path = next(iter(bundled_scenarios().items()))
        with boundary():
            load_text(path.read_bytes(), label)
    scenario: Scenario | None = st.session_state.get("scenario")
    return scenario


def require_scenario() -> Scenario:
    """The current valid scenario, or stop the page with a pointer to the Scenario page."""
    scenario = current_scenario()
    if scenario is None:
        st.warning("The current scenario has problems: fix them on the Scenario page first.")
        show_problems(st.session_state.get("problems", []))
        st.stop()
    assert scenario is not None
    return scenario


def scenario_sidebar() -> None:
    """The one current scenario, named in the sidebar of every page, valid or not."""
    scenario = current_scenario()
    state = st.session_state
    label = state.get("scenario_label", "")
    with st.sidebar:
        st.caption("Current scenario")
        if scenario is not None:
            st.markdown(f"**{scenario.name}**")
            origin = f"stored variant {state['variant']}" if state.get("variant") else label
            st.caption(f"{origin} · valid")
        else:
            count = len(state.get("problems", []))
            st.markdown(f"**{label}**")
            st.caption(f":red[{count} problem{'s' * (count != 1)}]: see the Scenario page")


def belongs_to_current(version: int) -> bool:
    """Whether something made from scenario version ``version`` is of the current scenario."""
    return version == st.session_state.get("document_version", 0)


# ------------------------------------------------------------------------------------- errors
def show_problems(problems: list[Problem]) -> None:
    """A scenario's problems as a table of path and message."""
    frame = pd.DataFrame(
        [{"path": p.path or "(document)", "message": p.message} for p in problems],
        columns=["path", "message"],
    )
    st.table(frame.set_index("path"))


def show_error(error: BaseException) -> None:
    """An error as the planner should see it: problems by path, or one readable sentence."""
    if isinstance(error, InputError):
        problems = error.problems
        where = f" in {error.source}" if error.source else ""
        if len(problems) == 1 and not problems[0].path:
            st.error(f"{error.source + ': ' if error.source else ''}{problems[0].message}")
            return
        count = len(problems)
        st.error(f"{count} problem{'s' * (count != 1)}{where}:")
        show_problems(problems)
        return
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    st.error(f"Could not finish: {message}")
    if os.environ.get("R2R_DEBUG"):
        with st.expander("details (R2R_DEBUG)"):
            st.code("".join(traceback.format_exception(error)))


@contextmanager
def boundary() -> Iterator[None]:
    """Show any error raised inside instead of a traceback (Streamlit's own stop/rerun pass)."""
    try:
        yield
    except Exception as error:
        show_error(error)


# ---------------------------------------------------------------------------------- formatting
def number(value: float) -> str:
    """A number with as many decimals as its size needs: 1,234 · 12.3 · 1.23 · 0.123."""
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"  # not 0.000: nothing is nothing at any precision
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:,.{digits}f}"


def format_estimate(estimate: Estimate, percent: bool = False) -> str:
    """``12.3 [11.9, 12.7]``: the mean and its 95 % confidence interval."""
    mean, interval = mean_and_interval(estimate, percent)
    return f"{mean} {interval}"


def mean_and_interval(estimate: Estimate, percent: bool = False) -> tuple[str, str]:
    """``("12.3", "[11.9, 12.7]")``: the mean and its 95 % confidence interval."""
    values = (estimate.mean, estimate.ci_low, estimate.ci_high)
    mean, low, high = (f"{v:.1%}" for v in values) if percent else (number(v) for v in values)
    return mean, f"[{low}, {high}]"


def kpi_card(name: str, estimate: Estimate) -> tuple[str, str]:
    """A plant KPI as its card shows it: the mean, and the interval beneath it."""
    return mean_and_interval(estimate, percent=name in FRACTIONS)


def kpi_cards(kpis: dict[str, Estimate], columns: int = 4) -> None:
    """One metric card per known KPI: mean and 95 % confidence interval."""
    shown = [name for name in KPI_LABELS if name in kpis]
    for start in range(0, len(shown), columns):
        for slot, name in zip(st.columns(columns), shown[start : start + columns], strict=False):
            mean, interval = kpi_card(name, kpis[name])
            slot.metric(
                KPI_LABELS[name],
                mean,
                interval,
                delta_color="off",
                delta_arrow="off",
                delta_description="95 % CI",
                border=True,
                help=f"mean and 95 % confidence interval over {kpis[name].n} replication(s)",
            )


LATE_COLOUR = "#fdd9d7"
"""Background of a late order's row."""
BOTTLENECK_COLOUR = "#ffe0b2"
"""Background of a bottleneck's row."""


def table(
    frame: pd.DataFrame,
    name: str,
    highlight: pd.Series | None = None,
    tint: str = LATE_COLOUR,
    whole: bool = False,
) -> None:
    """A table the page's width, with a button that downloads it as CSV (``name``.csv).

    Its first column stays in view when a wide table scrolls sideways; rows where
    ``highlight`` is true (late orders, say) are tinted ``tint``. A ``whole`` table shows
    every row (else ten, and it scrolls).
    """
    shown: Any = frame
    if highlight is not None and bool(highlight.any()):
        marks = highlight.reindex(frame.index, fill_value=False)
        shown = frame.style.apply(
            lambda row: [f"background-color: {tint}" if marks[row.name] else ""] * len(row),
            axis=1,
        ).format(lambda v: significant(v) if isinstance(v, float) else v)
    first: dict[str, Any] = {}
    if len(frame.columns):  # pinned, as wide as its longest text (7 px a character)
        texts = [str(frame.columns[0]), *frame.iloc[:, 0].astype(str)]
        width = min(320, 24 + 7 * max(len(text) for text in texts))
        first = {frame.columns[0]: st.column_config.Column(pinned=True, width=width)}
    height: Any = "content" if whole else "auto"
    st.dataframe(shown, hide_index=True, width="stretch", height=height, column_config=first)
    st.download_button(
        f"Download {name}.csv",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv-{name}",
    )


# ------------------------------------------------------------------------------ background runs
Progress = Callable[[int, int], None]


@dataclass
class Job:
    """A run in a background thread, so that a long one never freezes the page."""

    label: str
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)
    result: Any = None
    error: Exception | None = None
    finished: bool = False

    def report(self, done: int, total: int) -> None:
        """The progress callback handed to :mod:`twin`."""
        self.done, self.total = done, total


def duration_words(seconds: float) -> str:
    """A duration as people say it: ``40 s``, ``3 min 20 s``, ``1 h 05 min``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def progress_text(label: str, done: int, total: int, elapsed_s: float) -> str:
    """``study: 12 of 180 · 36 s · about 8 min 24 s left`` (from the pace so far).

    Before the first task finishes there is no pace to go by, and the text says so.
    """
    text = f"{label}: {done} of {total} · {duration_words(elapsed_s)}"
    if done >= total:
        return text
    if done == 0:
        return f"{text} · time left known after the first finishes"
    left = elapsed_s / done * (total - done)
    return f"{text} · about {duration_words(left)} left"


def start_job(key: str, label: str, work: Callable[[Progress], Any], total: int = 0) -> None:
    """Run ``work(progress)`` in a thread; :func:`follow_job` with the same key shows it.

    ``total`` is the number of tasks, when known before the first reports.
    """
    job = Job(label, total=total)

    def run() -> None:
        try:
            job.result = work(job.report)
        except Exception as error:
            job.error = error
        finally:
            job.finished = True

    st.session_state[key] = job
    threading.Thread(target=run, name=f"r2r-{key}", daemon=True).start()


def follow_job(key: str, on_done: Callable[[Any], None], expected_s: float | None = None) -> None:
    """While the job under ``key`` runs, a progress bar; when it ends, ``on_done`` and a rerun.

    ``expected_s`` makes the bar follow the clock for runs that report no progress.
    """

    @st.fragment(run_every=0.5)
    def watch() -> None:
        job: Job | None = st.session_state.get(key)
        if job is None:
            return
        if not job.finished:
            elapsed = time.monotonic() - job.started
            if job.total:
                fraction = job.done / job.total
                text = progress_text(job.label, job.done, job.total, elapsed)
            else:
                fraction = min(elapsed / expected_s, 1.0) if expected_s else 0.0
                text = f"{job.label}: {duration_words(elapsed)}"
                if expected_s:
                    text += f" · at most about {duration_words(expected_s - elapsed)} left"
            st.progress(fraction, text=text)
            return
        del st.session_state[key]
        st.session_state.pop(f"{key}-error", None)
        try:
            if job.error is not None:
                raise job.error
            on_done(job.result)
        except Exception as error:
            st.session_state[f"{key}-error"] = error
        st.rerun()

    if key in st.session_state:
        watch()
    error = st.session_state.get(f"{key}-error")
    if error is not None:
        show_error(error)


def running(key: str) -> bool:
    """Whether a job under ``key`` is still running."""
    return key in st.session_state


# ------------------------------------------------------------------------------------- store
def open_store() -> Store:
    """The run store: ``R2R_STORE`` or ``./r2r-store.sqlite``."""
    return Store()


def _saved(kind: str, save: Callable[[Store], str]) -> None:
    """Save a run started from the dashboard; say where, or why it could not be saved."""
    try:
        run_id = save(open_store())
    except Exception as error:
        st.session_state["saved"] = f"The {kind} was not saved: {error}"
    else:
        st.session_state["saved"] = f"The {kind} is saved in the store as run {run_id}."


def save_simulation(scenario: Scenario, result: SimulationResult) -> None:
    """Save a simulation run in the store, under the scenario's name (not its file's)."""
    _saved("simulation", lambda store: store.save_simulation(scenario, result))


def save_schedule(scenario: Scenario, document: dict[str, Any]) -> None:
    """Save a schedule in the store, under the scenario's name (not its file's)."""
    _saved("schedule", lambda store: store.save_schedule(scenario, document))


def run_label(run: RunInfo) -> str:
    """A stored run as a picker shows it: id, name and when."""
    return f"{run.id} · {run.name or run.scenario} · {run.created:%Y-%m-%d %H:%M}"


def export_buttons(run: RunInfo, key: str) -> None:
    """Export a stored run: pick CSV, Excel or JSON (a schedule has no tables: JSON only)."""
    formats = ["json"] if run.kind == "schedule" else ["csv", "xlsx", "json"]
    fmt = st.radio("Export as", formats, horizontal=True, key=f"{key}-fmt-{run.kind}")
    with boundary():
        name, data = export_bytes(open_store(), run.id, fmt)
        st.download_button(f"Export {fmt}", data, file_name=name, key=f"{key}-export")


def saved_note() -> None:
    """Where the last run went, once."""
    note = st.session_state.pop("saved", None)
    if note:
        st.caption(note)
