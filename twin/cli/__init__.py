"""The ``r2r`` command line, one module per group of commands.

:mod:`.app` holds the application and the error boundary every command shares; this module
registers the commands in the order ``r2r --help`` lists them. Commands import the heavy parts
they need (the scheduler, pandas, plotly, Dask) when they run, so that a command that does not
need them starts without them.
"""

from twin.cli import (
    compare,
    dashboard,
    history,
    orders,
    plant,
    rolling,
    runs,
    schedule,
    simulate,
    study,
    trace,
)
from twin.cli.app import EXIT_BAD_INPUT, EXIT_INTERNAL, app

app.command()(plant.validate)
app.command()(plant.schema)
app.command()(plant.describe)
app.command(name="simulate")(simulate.simulate_command)
app.command()(trace.trace)
app.command(name="calibrate")(history.calibrate_command)
app.command(name="validate-history")(history.validate_history_command)
app.command(name="compare")(compare.compare_command)
app.add_typer(orders.orders_app)
app.command()(schedule.schedule)
app.command(name="rolling")(rolling.rolling_command)
app.command(name="solve-benchmark")(schedule.solve_benchmark_command)
app.command()(study.study)
app.command()(runs.runs)
app.command()(runs.show)
app.command(name="export")(runs.export_command)
app.command()(dashboard.dashboard)


def main() -> None:
    """Entry point for ``python -m twin``."""
    app()


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "app", "main"]
