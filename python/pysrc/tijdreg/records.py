"""Reports from plain records (exports), without a ledger."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Mapping, Union

from . import _tijdreg
from ._convert import to_json


def report_from_records(records: Union[str, Mapping[str, Any]], at: _dt.datetime) -> _tijdreg.Report:
    """The subsidy report of plain records (the JSON export format of ``docs/records.md``)
    at a reference instant. Same answer as the ledger on the same data."""
    text = records if isinstance(records, str) else json.dumps(to_json(dict(records), where="records"))
    return _tijdreg.report_from_records_json(text, to_json(at, where="at"))
