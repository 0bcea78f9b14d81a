"""Reports from plain records (exports), without a ledger."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping, Union

from . import _tijdreg
from ._convert import to_json


def report_from_records(records: Union[str, Mapping[str, Any]], at: _dt.datetime) -> _tijdreg.Report:
    """The subsidy report of plain records (the JSON export format of ``docs/records.md``, as
    text or as Python values — converted natively, never re-serialised) at a reference
    instant. Same answer as the ledger on the same data."""
    if isinstance(records, str):
        return _tijdreg.report_from_records_json(records, to_json(at, where="at"))
    return _tijdreg.report_from_records_obj(records, at)
