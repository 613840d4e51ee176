"""The calibration report: one HTML page (plotly) a plant engineer can show their manager.

Per station and failure mode: the fitted distributions against the data (the Kaplan-Meier
estimate of the CDF with failures as dots and censored up-periods as open triangles, and each
candidate family's CDF), a Q-Q plot of the chosen family with its censored points, and the
parameter table with intervals, AIC and goodness of fit; then maintenance, speeds, changeovers and
every difference from the input scenario.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from scipy import stats

from twin.history.calibrate import Calibration, ModeCalibration, describe, duration_text
from twin.history.fitting import DurationFit
from twin.history.format import STATES

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #ccc; margin-top: 2em; }
h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f0f0f0; } td.text, th.text { text-align: left; }
tr.best td { background: #eaf6ea; font-weight: 600; }
.note { color: #8a5a00; } .plots { display: flex; flex-wrap: wrap; gap: 8px; }
.small { color: #666; font-size: 0.85em; }
"""
_COLOURS = {
    "exponential": "#1f77b4",
    "weibull": "#d62728",
    "lognormal": "#2ca02c",
    "gamma": "#9467bd",
}


def _table(headers: list[str], rows: list[list[Any]], best: int | None = None) -> str:
    head = "".join(
        f"<th class='text'>{html.escape(h)}</th>" if i == 0 else f"<th>{html.escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for index, row in enumerate(rows):
        cells = "".join(
            f"<td class='text'>{html.escape(str(c))}</td>"
            if i == 0 or isinstance(c, str)
            else f"<td>{_number(c)}</td>"
            for i, c in enumerate(row)
        )
        css = " class='best'" if index == best else ""
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _number(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:.4g}"
    return html.escape(str(value))


def _kaplan_meier(fit: DurationFit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, KM CDF at each, and whether each is a failure."""
    times, events = fit.sample.lower_bounds()
    order = np.argsort(times)
    times, events = times[order], events[order]
    if not events.any():
        return times, np.zeros_like(times), events
    km = stats.ecdf(stats.CensoredData.right_censored(np.maximum(times, 1e-9), ~events))
    return times, km.cdf.evaluate(times), events


def _unit(fit: DurationFit) -> tuple[float, str]:
    median = float(np.median(fit.sample.low)) if fit.sample.size else 0.0
    return (60.0, "h") if median >= 120 else (1.0, "min")


def probability_figure(fit: DurationFit, title: str) -> go.Figure:
    """Kaplan-Meier CDF with failures and censored points, and each family's fitted CDF."""
    scale, unit = _unit(fit)
    times, cdf, events = _kaplan_meier(fit)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=times[events] / scale,
            y=cdf[events],
            mode="markers",
            name="failure (Kaplan-Meier)",
            marker={"color": "#222", "size": 5},
        )
    )
    if (~events).any():
        figure.add_trace(
            go.Scatter(
                x=times[~events] / scale,
                y=cdf[~events],
                mode="markers",
                name="censored",
                marker={"symbol": "triangle-right-open", "color": "#e377c2", "size": 9},
            )
        )
    if len(times):
        grid = np.linspace(0, float(times.max()) * 1.05, 200)
        for family in fit.fits:
            figure.add_trace(
                go.Scatter(
                    x=grid / scale,
                    y=family.frozen.cdf(grid),
                    mode="lines",
                    name=f"{family.family} (AIC {family.aic:.1f})",
                    line={
                        "color": _COLOURS[family.family],
                        "width": 3 if family is fit.best else 1.5,
                    },
                )
            )
    figure.update_layout(
        title=title,
        xaxis_title=f"duration ({unit})",
        yaxis_title="cumulative probability",
        width=560,
        height=380,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        legend={"x": 0.55, "y": 0.05, "font": {"size": 10}},
    )
    return figure


def qq_figure(fit: DurationFit, title: str) -> go.Figure:
    """Observed durations against the chosen family's quantiles at the Kaplan-Meier positions."""
    scale, unit = _unit(fit)
    best = fit.best
    figure = go.Figure()
    if best is None:
        return figure
    times, cdf, events = _kaplan_meier(fit)
    # plotting positions: the middle of each KM step, kept inside (0, 1)
    positions = np.clip(cdf - 0.5 / max(len(times), 1), 1e-6, 1 - 1e-6)
    theoretical = best.frozen.ppf(positions)
    figure.add_trace(
        go.Scatter(
            x=theoretical[events] / scale,
            y=times[events] / scale,
            mode="markers",
            name="failure",
            marker={"color": "#222", "size": 5},
        )
    )
    if (~events).any():
        figure.add_trace(
            go.Scatter(
                x=theoretical[~events] / scale,
                y=times[~events] / scale,
                mode="markers",
                name="censored (at least)",
                marker={"symbol": "triangle-up-open", "color": "#e377c2", "size": 9},
            )
        )
    top = float(np.nanmax(np.concatenate([theoretical, times]))) / scale if len(times) else 1
    figure.add_trace(
        go.Scatter(x=[0, top], y=[0, top], mode="lines", name="y = x", line={"color": "#999"})
    )
    figure.update_layout(
        title=title,
        xaxis_title=f"{best.family} quantile ({unit})",
        yaxis_title=f"observed ({unit})",
        width=560,
        height=380,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        legend={"x": 0.02, "y": 0.98, "font": {"size": 10}},
    )
    return figure


def _fit_table(fit: DurationFit) -> str:
    if not fit.fits:
        return f"<p class='note'>{html.escape(fit.note or 'no fit')}</p>"
    best_aic = fit.fits[0].aic
    rows = []
    for family in fit.fits:
        rows.append(
            [
                family.family,
                family.summary(),
                round(family.aic, 1),
                round(family.aic - best_aic, 1),
                round(fit.akaike_weight(family), 3),
                round(family.ks_distance, 3),
                duration_text(family.mean),
            ]
        )
    table = _table(
        ["family", "parameters [95 % CI] (min)", "AIC", "ΔAIC", "weight", "KS distance", "mean"],
        rows,
        best=fit.fits.index(fit.best) if fit.best is not None else None,
    )
    note = f"<p class='note'>{html.escape(fit.note)}</p>" if fit.note else ""
    return table + note


class _Figures:
    """Figures as HTML divs; plotly.js is embedded once, with the first."""

    def __init__(self) -> None:
        self.first = True

    def div(self, figure: go.Figure) -> str:
        include: bool = self.first
        self.first = False
        return str(figure.to_html(full_html=False, include_plotlyjs=include))


def _mode_section(mode: ModeCalibration, figures: _Figures) -> str:
    name = mode.mode or "failures not attributed to a mode"
    parts = [f"<h3>{html.escape(mode.station)} · {html.escape(name)}</h3>"]
    waits = mode.crew_waits
    parts.append(
        "<p>"
        f"{mode.failures} failures; {mode.ttf.sample.size - len(mode.ttf.sample.exact)} "
        "censored up-periods. Repairs that waited for a crew: "
        f"{_number(mode.waited_share * 100 if waits else math.nan)} %, mean wait "
        f"{_number(mode.mean_crew_wait)} min (kept apart from the repair time). "
        f"Scenario: time to failure {html.escape(describe(mode.scenario_ttf))}, repair "
        f"{html.escape(describe(mode.scenario_ttr))}.</p>"
    )
    for note in mode.notes:
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
    for what, fit, new in (
        ("Time to failure (operating time)", mode.ttf, mode.new_ttf),
        ("Time to repair", mode.ttr, mode.new_ttr),
    ):
        parts.append(f"<h4>{what}</h4>")
        if new is not None:
            parts.append(f"<p>Written to the scenario: <b>{html.escape(describe(new))}</b></p>")
        parts.append(_fit_table(fit))
        if fit.fits:
            parts.append("<div class='plots'>")
            parts.append(figures.div(probability_figure(fit, f"{what}: data and fits")))
            chosen = fit.best.family if fit.best is not None else ""
            parts.append(figures.div(qq_figure(fit, f"Q-Q, {chosen}")))
            parts.append("</div>")
    return "\n".join(parts)


def _states_figure(calibration: Calibration) -> go.Figure:
    histories = calibration.histories
    names = list(histories)
    figure = go.Figure()
    for state in STATES:
        figure.add_trace(
            go.Bar(name=state, x=names, y=[histories[n].share(state) * 100 for n in names])
        )
    figure.update_layout(
        barmode="stack",
        title="Time in state in the log (% of the time each station's rows cover)",
        yaxis_title="%",
        height=380,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
    )
    return figure


def calibration_html(calibration: Calibration, original: str | None = None) -> str:
    """The whole report as one HTML document."""
    figures = _Figures()
    scenario = calibration.scenario
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Calibration from {html.escape(calibration.log_name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Calibration of “{html.escape(scenario.name)}” from "
        f"{html.escape(calibration.log_name)}</h1>",
        f"<p>The log covers {calibration.span_min / 1440:.1f} days and "
        f"{len(calibration.histories)} stations. Times to failure are operating time (working, "
        "in proportion to speed where the log's metres show a slowed station), right-censored "
        "at the log's end and at gaps"
        + (
            ", and at planned maintenance, which renews the tool"
            if calibration.maintenance_renews
            else "; planned maintenance does not renew the tool (up-periods run on through it)"
        )
        + ". The up-period the log's start cuts, of unknown age, is left out. Fits by censored "
        "maximum likelihood (scipy.stats); the simplest family within 2 of the lowest AIC is "
        "chosen; 95 % Wald intervals; KS distance to the Kaplan-Meier estimate.</p>",
    ]
    for note in calibration.notes:
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
    changes = calibration.changes()
    parts.append("<h2>Differences from the input scenario</h2>")
    rows: list[list[Any]] = []
    if changes:
        for change in changes:
            path = ""
            for key in change.path:
                path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else key)
            value = describe(change.value) if isinstance(change.value, dict) else change.value
            rows.append([change.what, path, str(value), change.comment])
        parts.append(_table(["what", "path", "new value", "from"], rows))
    else:
        parts.append("<p>No value changed: the log confirms the scenario or has too little.</p>")
    parts.append(figures.div(_states_figure(calibration)))
    parts.append("<h2>Failures and repairs</h2>")
    for mode in calibration.modes:
        parts.append(_mode_section(mode, figures))
    parts.append("<h2>Planned maintenance</h2>")
    rows = [
        [
            f"{t.station} · {t.task or 'not attributed'}",
            len(t.durations),
            duration_text(float(np.median(t.durations))) if t.durations else "–",
            duration_text(t.scenario_duration) if t.scenario_duration else "–",
            duration_text(float(np.median(t.intervals))) if t.intervals else "–",
            duration_text(t.scenario_every) if t.scenario_every else "–",
        ]
        for t in calibration.tasks
    ]
    parts.append(
        _table(
            ["task", "n", "median duration", "scenario", "median interval", "scenario every"], rows
        )
        if rows
        else "<p>No planned maintenance in the log.</p>"
    )
    parts.append("<h2>Speeds and per-roll times</h2>")
    rows = [
        [
            f"{s.station} · {s.product}",
            s.rolls,
            round(s.working_h, 1),
            round(s.metres, 0),
            s.speed_m_min,
            s.modelled_m_min,
            s.mean_roll_min,
        ]
        for s in calibration.speeds
    ]
    parts.append(
        _table(
            [
                "station · product",
                "rolls",
                "working h",
                "metres",
                "m/min",
                "twin m/min",
                "working min/roll",
            ],
            rows,
        )
        if rows
        else "<p class='small'>The log names no products: speeds need the product and metres "
        "columns.</p>"
    )
    parts.append("<h2>Changeovers</h2>")
    rows = [
        [
            f"{c.station} · {c.from_product or '?'} → {c.to_product or '?'}",
            c.kind,
            c.count,
            c.mean_min,
            c.modelled_min,
        ]
        for c in calibration.changeovers
    ]
    parts.append(
        _table(["station · products", "kind", "n", "mean min", "twin min"], rows)
        if rows
        else "<p class='small'>No changeovers in the log (or it names no products).</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_calibration_report(calibration: Calibration, path: str | Path) -> None:
    """Write :func:`calibration_html` to ``path``."""
    Path(path).write_text(calibration_html(calibration), encoding="utf-8")
