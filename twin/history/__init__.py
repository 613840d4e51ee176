"""History: read plant event logs, calibrate the scenario from them, validate the twin against them.

- :mod:`.format` documents the event log (CSV or Parquet) and the record the writer takes;
  :mod:`.columns` maps a plant's MES export onto it; :mod:`.reader` reads and checks a log,
  :mod:`.writer` writes one (``r2r simulate --events``).
- :mod:`.episodes` turns a log into each station's up-periods (operating time, censored),
  repairs, crew waits, maintenance, setups and speeds; :mod:`.fitting` fits durations by censored
  maximum likelihood; :mod:`.calibrate` chooses the scenario's new values and :mod:`.yamledit`
  writes them into the file, keeping its comments; :mod:`.report` is the HTML report.
- :mod:`.validate` replays the logged period in the twin and gives a verdict per line and station.

scipy, pyarrow and ruamel.yaml load only when these modules are imported, never by ``import twin``.
"""

from twin.history.calibrate import Calibration, calibrate, calibrated_yaml
from twin.history.columns import ColumnMap, ColumnMapError, load_column_map, parse_column_map
from twin.history.files import LogFileError
from twin.history.format import (
    COLUMNS,
    DEFAULT_START,
    STATES,
    LogRecord,
    StateRecord,
)
from twin.history.reader import EventLog, LogError, read_event_log
from twin.history.report import calibration_html, write_calibration_report
from twin.history.validate import HistoryValidation, Verdict, validate_history
from twin.history.writer import event_log_bytes, events_frame, records_log, write_event_log

__all__ = [
    "COLUMNS",
    "DEFAULT_START",
    "STATES",
    "Calibration",
    "ColumnMap",
    "ColumnMapError",
    "EventLog",
    "HistoryValidation",
    "LogError",
    "LogFileError",
    "LogRecord",
    "StateRecord",
    "Verdict",
    "calibrate",
    "calibrated_yaml",
    "calibration_html",
    "event_log_bytes",
    "events_frame",
    "load_column_map",
    "parse_column_map",
    "read_event_log",
    "records_log",
    "validate_history",
    "write_calibration_report",
    "write_event_log",
]
