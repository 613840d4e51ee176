"""Calibrate page: upload a plant's event log, see the fitted distributions, download the result.

The log (CSV or Parquet, README "Event logs") is read against the current scenario with the same
reader as ``r2r calibrate``; a column map maps a plant's own export. Bad rows are listed by row.
The calibrated scenario downloads as YAML with the original's comments where the scenario came
from a bundled file unedited; the report downloads as HTML; the twin can be validated against
the log.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from dashboard.common import (
    boundary,
    bundled_scenarios,
    require_scenario,
    show_error,
    show_problems,
    table,
)
from twin import RunOptions, Scenario, simulate
from twin.scenario import InputError

MAX_LOG_UPLOAD_BYTES = 200_000_000
"""Largest log the page takes (Streamlit's own upload limit); the CLI reads larger ones."""


def _history() -> Any:
    import twin.history as history  # scipy, pyarrow and ruamel load with this page only

    return history


def _twin_log(scenario: Scenario, days: float) -> bytes:
    """One replication of the current scenario as a CSV log: a log to try the page with."""
    history = _history()
    options = RunOptions.of(
        scenario, demand="orders", replications=1, horizon_min=days * 1440, event_log=True
    )
    result = simulate(scenario, options)
    frame = history.events_frame(result.events or [], scenario.start, days * 1440)
    return str(frame.to_csv(index=False)).encode("utf-8")


def _source(scenario: Scenario) -> None:
    upload, make = st.columns([3, 2])
    with upload:
        log = st.file_uploader(
            "Event log (CSV or Parquet)", type=["csv", "parquet", "pq", "txt"], key="history-log"
        )
        columns = st.file_uploader(
            "Column map for an MES export (YAML, optional)",
            type=["yaml", "yml", "json"],
            key="history-columns",
        )
        st.checkbox("Skip bad rows (and list them)", key="history-skip")
        st.checkbox(
            "Planned maintenance renews a tool (it censors the up-period it cuts)",
            value=True,
            key="history-renews",
        )
        if log is not None and st.session_state.get("history-log-id") != log.file_id:
            if log.size > MAX_LOG_UPLOAD_BYTES:
                st.error(
                    f"The log is larger than {MAX_LOG_UPLOAD_BYTES // 1_000_000} MB: use "
                    "r2r calibrate for it."
                )
            else:
                st.session_state["history-log-id"] = log.file_id
                st.session_state["history-bytes"] = (log.name, log.getvalue())
        st.session_state["history-columns-bytes"] = (
            (columns.name, columns.getvalue()) if columns is not None else None
        )
    with make:
        days = st.number_input("Days", 1.0, 730.0, 90.0, key="history-days")
        if st.button("Make a log with the twin", key="history-make"):
            st.session_state["history-bytes"] = ("twin-log.csv", _twin_log(scenario, days))


def _column_map() -> Any:
    given = st.session_state.get("history-columns-bytes")
    if given is None:
        return None
    name, data = given
    return _history().parse_column_map(data, name)


def _original_text(scenario: Scenario) -> str:
    """The scenario's text: the bundled file (with its comments) if unedited, else as YAML."""
    label = st.session_state.get("scenario_label", "")
    document = st.session_state.get("document")
    path = bundled_scenarios().get(label)
    if path is not None:
        text = path.read_text(encoding="utf-8")
        if yaml.safe_load(text) == document:
            return text
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _calibrate(scenario: Scenario) -> Any:
    name, data = st.session_state["history-bytes"]
    renews = bool(st.session_state.get("history-renews", True))
    key = hashlib.sha256(data).hexdigest() + str(st.session_state.get("history-skip")) + str(renews)
    key += str(st.session_state.get("document_version", 0))
    cached = st.session_state.get("history-result")
    if cached is not None and cached[0] == key:
        return cached[1]
    history = _history()
    with st.spinner("Reading the log and fitting…"):
        log = history.read_event_log(
            data,
            scenario,
            _column_map(),
            skip_bad_rows=bool(st.session_state.get("history-skip")),
            name=name,
        )
        calibration = history.calibrate(log, scenario, maintenance_renews=renews)
    st.session_state["history-result"] = (key, (log, calibration))
    return log, calibration


def _changes(calibration: Any) -> pd.DataFrame:
    from twin.history.calibrate import describe as describe_distribution

    rows = []
    for change in calibration.changes():
        path = ""
        for key in change.path:
            path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else key)
        value = change.value
        rows.append(
            {
                "what": change.what,
                "path": path,
                "new value": describe_distribution(value) if isinstance(value, dict) else value,
                "from": change.comment,
            }
        )
    return pd.DataFrame(rows, columns=["what", "path", "new value", "from"])


def _fits(fit: Any) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "family": f.family,
                "parameters [95 % CI]": f.summary(),
                "AIC": round(f.aic, 1),
                "Akaike weight": round(fit.akaike_weight(f), 3),
                "KS distance": round(f.ks_distance, 3),
            }
            for f in fit.fits
        ]
    )


def _modes(calibration: Any) -> None:
    from twin.history.report import probability_figure, qq_figure

    modes = calibration.modes
    if not modes:
        st.info("The log shows no failures of any station.")
        return
    labels = {f"{m.station} · {m.mode or '(not attributed)'}": m for m in modes}
    mode = labels[st.selectbox("Station and failure mode", list(labels), key="history-mode")]
    st.caption(
        f"{mode.failures} failures · repairs that waited for a crew: "
        + (
            f"{mode.waited_share:.0%}, mean wait {mode.mean_crew_wait:.1f} min"
            if mode.crew_waits
            else "none"
        )
    )
    for note in mode.notes:
        st.warning(note)
    for what, fit, key in (
        ("Time to failure (operating time)", mode.ttf, "ttf"),
        ("Time to repair", mode.ttr, "ttr"),
    ):
        st.subheader(what)
        if not fit.fits:
            st.info(fit.note or "Nothing to fit.")
            continue
        st.dataframe(_fits(fit), hide_index=True, width="stretch")
        left, right = st.columns(2)
        left.plotly_chart(probability_figure(fit, "data and fits"), key=f"history-p-{key}")
        chosen = fit.best.family if fit.best is not None else ""
        right.plotly_chart(qq_figure(fit, f"Q-Q, {chosen}"), key=f"history-q-{key}")


def _validate(log: Any, scenario: Scenario) -> None:
    replications = st.number_input("Replications", 2, 100, 5, key="history-replications")
    if not st.button("Validate the twin against the log", key="history-validate"):
        return
    with st.spinner("Replaying the logged period…"):
        validation = _history().validate_history(log, scenario, replications=int(replications))
    st.dataframe(
        pd.DataFrame(
            [
                {"kind": v.kind, "subject": v.subject, "verdict": v.summary()}
                for v in validation.lines + validation.stations
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    for note in validation.notes:
        st.caption(note)


def page() -> None:
    """The Calibrate page."""
    st.title("Calibrate")
    st.caption(
        "Calibrate the current scenario from an event log: failures and repairs by censored "
        "maximum likelihood (operating time between failures), maintenance, speeds."
    )
    scenario = require_scenario()
    label = st.session_state.get("scenario_label", "")
    st.markdown(f"Calibrating **{scenario.name}** ({label}); pick another on the Scenario page.")
    with boundary():
        _source(scenario)
    if "history-bytes" not in st.session_state:
        st.info("Upload a log, or make one with the twin, to see the fitted distributions.")
        return
    try:
        log, calibration = _calibrate(scenario)
    except InputError as error:
        count = len(error.problems)
        st.error(f"{count} problem{'s' * (count != 1)} in {error.source}:")
        show_problems(error.problems)
        return
    except Exception as error:  # shown like every other page's errors
        show_error(error)
        return
    st.success(
        f"{log.source}: {log.rows:,} rows over {log.end_min / 1440:.1f} days, "
        f"{len(calibration.histories)} stations."
    )
    if log.skipped:
        st.warning(f"Skipped {log.skipped_rows:,} bad rows:")
        show_problems(log.skipped)
    with boundary():
        text = _history().calibrated_yaml(_original_text(scenario), calibration)
        label = Path(st.session_state.get("scenario_label", "scenario")).stem
        download, report = st.columns(2)
        download.download_button(
            "Download calibrated scenario (YAML)",
            text.encode("utf-8"),
            file_name=f"{label}-calibrated.yaml",
            mime="application/x-yaml",
            key="history-download",
        )
        report.download_button(
            "Download report (HTML)",
            _history().calibration_html(calibration).encode("utf-8"),
            file_name=f"{label}-calibration.html",
            mime="text/html",
            key="history-report",
        )
        st.subheader("Differences from the scenario")
        table(_changes(calibration), "calibrated-values")
        _modes(calibration)
        st.subheader("Validate")
        _validate(log, scenario)
