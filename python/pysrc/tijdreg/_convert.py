"""Conversions between Python values and the engine's JSON.

In: aware ``datetime`` (any time zone; the engine judges it in Europe/Brussels), ``date``,
``time``, ``timedelta``, ``Decimal``, ``int``, ``str``, ``bool``. A naive ``datetime`` and a
``float`` are refused with ``TypeError``: a wall-clock time without a zone, or money in
binary floating point, is a bug waiting to happen.

Out: instants become aware ``datetime`` (UTC), dates ``date``, local times ``time``, money,
hours and rates ``Decimal``, by the field they are in.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from decimal import Decimal
from typing import Any, Mapping

INSTANT_KEYS = frozenset({
    "at", "time", "check_in", "check_out", "from", "until", "start_at", "end_at", "deadline",
    "since", "planned_end", "reference_instant", "revoked_at", "problem_reported_at",
})
DATE_KEYS = frozenset({"date", "valid_from", "valid_until", "birth_date", "today", "given"})
TIME_KEYS = frozenset({"start", "end"})
DECIMAL_KEYS = frozenset({
    "hours", "amount", "unit_cost", "total", "esf", "flemish", "own", "uncapped", "cap",
    "counted_hours", "provisional_amount", "cap_hours", "amount_before", "amount_after", "amount_change",
})


#: How deep dicts and lists may nest in what is sent to the engine: as deep as JSON text may
#: (AUD-3, ``docs/limits.md``); deeper, or a value that holds itself, is refused.
MAX_DEPTH = 128


def invalid(en: str, nl: str) -> Exception:
    """The package's own input error (kind invalid_input, AUD-3), in both languages."""
    from . import _tijdreg

    e = _tijdreg.InvalidInputError(f"[AUD-3 invalid_input] {en}")
    for k, v in (("code", "invalid_input"), ("rule", "AUD-3"), ("kind", "invalid_input"), ("message", nl),
                 ("message_nl", nl), ("message_en", en)):
        setattr(e, k, v)
    return e


def _too_deep(where: str) -> Exception:
    parts = where.split(".")
    at = ".".join(parts[:6]) + (".…" if len(parts) > 6 else "")
    return invalid(f"{at}: nested deeper than {MAX_DEPTH} levels (or a value that holds itself)",
                   f"{at}: dieper genest dan {MAX_DEPTH} niveaus (of een waarde die zichzelf bevat)")


def to_json(value: Any, *, where: str = "value", _depth: int = 0) -> Any:
    """A command, query or part of one, as the engine's JSON values."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        raise TypeError(f"{where}: floats are not accepted (money and hours are exact); use Decimal, int or str")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"{where}: {value} is not a finite decimal")
        return str(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise TypeError(
                f"{where}: naive datetime {value.isoformat()}; give a time zone, "
                "e.g. datetime(..., tzinfo=ZoneInfo('Europe/Brussels'))"
            )
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        raise TypeError(f"{where}: a timedelta is only accepted where a duration is asked for")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        if to_dict is not None:
            return to_dict()
    if isinstance(value, (Mapping, list, tuple)) and _depth >= MAX_DEPTH:
        raise _too_deep(where)
    if isinstance(value, Mapping):
        return {str(k): to_json(v, where=f"{where}.{k}", _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, where=where, _depth=_depth + 1) for v in value]
    raise TypeError(f"{where}: cannot send a {type(value).__name__} to the engine")


def parse_instant(text: str) -> _dt.datetime:
    """An RFC 3339 instant as an aware datetime (``Z`` accepted before Python 3.11 too)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = _dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"instant without offset: {text}")
    return value


def from_json(value: Any, key: str = "") -> Any:
    """The engine's JSON with native Python values, by field name."""
    if isinstance(value, dict):
        return {k: from_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v, key) for v in value]
    if isinstance(value, str):
        try:
            if key in INSTANT_KEYS and "T" in value:
                return parse_instant(value).astimezone(_dt.timezone.utc)
            if key in DATE_KEYS and len(value) == 10:
                return _dt.date.fromisoformat(value)
            if key in TIME_KEYS and len(value) == 8:
                return _dt.time.fromisoformat(value)
            if key in DECIMAL_KEYS:
                return Decimal(value)
        except ValueError:
            return value
    return value
