"""Arrow in and out (``pip install tijdreg[arrow]``): reports from tables, reports as tables.

A project's records as three tables (the column schema is in ``docs/records.md``,
"Columns"):

- ``sessions``: ``id``, ``training``, ``date``, ``start``, ``end``, ``status``;
- ``attendance``: ``session``, ``person``, ``check_in``, ``check_out`` and optionally
  ``late``, ``clock_suspect``, ``absent`` — one row per interval; a participant who never
  checked in is a row without instants;
- optionally ``breaks`` (``session``, ``start``, ``end``) and ``elearning`` (``id``,
  ``person``, ``training``, ``date``, ``minutes``, ``start``, ``status``).

Each may be a ``pyarrow.Table``, anything with the Arrow PyCapsule interface
(``__arrow_c_stream__``: pandas, polars, DuckDB results…) or the path of a parquet file.
Instants are Arrow timestamps (any unit; a timestamp without zone is read as UTC) or
RFC 3339 strings; dates ``date32`` or ``YYYY-MM-DD``; times of day ``time32``/``time64`` or
``HH:MM[:SS]``. Columns travel to the engine as buffers, never as a Python object per row.

Out, ``report.to_arrow()`` gives the lines with proper types (dictionary-encoded ids,
``date32``, ``decimal128`` money) and ``report.excluded_to_arrow()`` the excluded stretches
with ``timestamp[s, Europe/Brussels]`` bounds; ``to_pandas()`` and ``to_polars()`` convert
those.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from . import _tijdreg
from ._convert import invalid, to_json

TableLike = Any
"""A ``pyarrow.Table``, an object with ``__arrow_c_stream__`` (pandas, polars, …) or a parquet path."""


def _pa() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.compute  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet  # type: ignore[import-untyped,unused-ignore]
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("tijdreg's Arrow functions need pyarrow: pip install 'tijdreg[arrow]'") from e
    return pyarrow


def _table(obj: TableLike, name: str) -> Any:
    if obj is None:
        return None
    pa = _pa()
    if isinstance(obj, (str, os.PathLike)):
        # Ids as parquet stores them, dictionary-encoded: each distinct id is read once. Person
        # ids only when the file kept them so (see `_stored_as_dictionary`).
        ids = ["project", "session"] + (["person"] if _stored_as_dictionary(obj, "person") else [])
        return pa.parquet.read_table(obj, read_dictionary=ids)
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    if hasattr(obj, "__arrow_c_stream__"):
        return pa.table(obj)
    if hasattr(obj, "to_arrow"):
        return obj.to_arrow()
    raise TypeError(f"{name}: expected a pyarrow Table, a DataFrame with __arrow_c_stream__ or a parquet path")


def _stored_as_dictionary(path: Any, column: str) -> bool:
    """Whether a parquet file keeps ``column`` dictionary-encoded in every row group. Then
    Arrow reads it as a dictionary for less than the plain column (1 M ids of 60,000 persons:
    7 against 21 ms); after the writer fell back to plain pages (too many distinct values) it
    would build the dictionary itself, for more (1 M distinct ids: 273 against 31 ms). The
    metadata tells them apart by size: dictionary-coded pages hold small integer codes, under
    4 bytes a value uncompressed with the dictionary's share (2.9 in the first file), plain
    ones a length and the text (15.1 in the second). Anything unclear reads plain."""
    pa = _pa()
    try:
        md = pa.parquet.ParquetFile(path).metadata
        names = [md.schema.column(j).path for j in range(md.num_columns)]
        if column not in names or md.num_row_groups == 0:
            return False
        j = names.index(column)
        for i in range(md.num_row_groups):
            c = md.row_group(i).column(j)
            if not c.has_dictionary_page or c.total_uncompressed_size >= 4 * max(c.num_values, 1):
                return False
        return True
    except (OSError, ValueError, pa.ArrowException):
        return False


#: The package's own input error (kind invalid_input, AUD-3), in both languages.
_invalid = invalid


def _text(arr: Any) -> Any:
    """Any Arrow text type (string, large_string, string_view, dictionary of text) as string."""
    pa = _pa()
    t = arr.type
    if pa.types.is_dictionary(t):
        return _text(arr.cast(t.value_type))
    if pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t):
        return arr.cast(pa.string())
    return arr


def _is_text(arr: Any) -> bool:
    return _pa().types.is_string(arr.type)


def _column(t: Any, table: str, name: str, required: bool = True) -> Any:
    if name in t.column_names:
        return _text(t.column(name).combine_chunks())
    if required:
        raise _invalid(f"{table}: the column {name!r} is missing", f"{table}: de kolom {name!r} ontbreekt")
    return None


def _bytes(arr: Any) -> bytes:
    """A primitive array without nulls as its little-endian value buffer."""
    buf = arr.buffers()[1]
    width = arr.type.bit_width // 8
    return buf.to_pybytes()[arr.offset * width:(arr.offset + len(arr)) * width]


def _no_nulls(arr: Any, table: str, name: str) -> Any:
    if arr.null_count:
        pa = _pa()
        row = pa.compute.index(pa.compute.is_null(arr), True).as_py()
        raise _invalid(f"{table}[{row}].{name}: a value is required", f"{table}[{row}].{name}: een waarde is vereist")
    return arr


def _days(arr: Any, table: str, name: str) -> bytes:
    pa = _pa()
    pc = pa.compute
    if _is_text(arr):
        arr = pc.strptime(arr, format="%Y-%m-%d", unit="s", error_is_null=True).cast(pa.date32())
    elif pa.types.is_timestamp(arr.type):
        arr = arr.cast(pa.date32())
    elif not pa.types.is_date(arr.type):
        raise _invalid(f"{table}.{name}: expected dates (date32 or YYYY-MM-DD)",
                       f"{table}.{name}: verwacht datums (date32 of JJJJ-MM-DD)")
    return _bytes(_no_nulls(arr.cast(pa.date32()).cast(pa.int32()), table, name))


def _seconds_of_day(arr: Any, table: str, name: str) -> bytes:
    pa = _pa()
    pc = pa.compute
    if _is_text(arr):
        full = pc.if_else(pc.equal(pc.utf8_length(arr), 5), pc.binary_join_element_wise(arr, ":00", ""), arr)
        ts = pc.strptime(pc.binary_join_element_wise("1970-01-01 ", full, ""), format="%Y-%m-%d %H:%M:%S",
                         unit="s", error_is_null=True)
        arr = pc.cast(ts.cast(pa.int64()), pa.int32())
    elif pa.types.is_time(arr.type):
        arr = arr.cast(pa.time32("s")).cast(pa.int32())
    else:
        raise _invalid(f"{table}.{name}: expected times of day (time32/time64 or HH:MM[:SS])",
                       f"{table}.{name}: verwacht tijdstippen van de dag (time32/time64 of UU:MM[:SS])")
    return _bytes(_no_nulls(arr, table, name))


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _instants(arr: Any, table: str, name: str) -> tuple:
    """A timestamp column as Arrow holds it, for the engine to read in one pass: its int64
    values in their unit (bytes), its validity bitmap (bytes; ``None`` without nulls), the
    bitmap's offset in bits, and the values per second (the engine floors to seconds; a null
    is an instant of none)."""
    pa = _pa()
    if _is_text(arr):
        try:
            arr = arr.cast(pa.timestamp("s", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _invalid(f"{table}.{name}: expected RFC 3339 instants", f"{table}.{name}: verwacht RFC 3339-tijdstippen") from None
    elif not pa.types.is_timestamp(arr.type):
        raise _invalid(f"{table}.{name}: expected instants (timestamps or RFC 3339 text)",
                       f"{table}.{name}: verwacht tijdstippen (timestamps of RFC 3339-tekst)")
    per = _PER_SECOND[arr.type.unit]
    ints = arr.cast(pa.int64())  # the same buffers, read as integers
    validity = ints.buffers()[0] if ints.null_count else None
    values = ints.buffers()[1].slice(ints.offset * 8, len(ints) * 8).to_pybytes() if len(ints) else b""
    return values, (validity.to_pybytes() if validity is not None else None), ints.offset, per


def _flags(arr: Any, table: str = "", name: str = "") -> Optional[bytes]:
    """A boolean column (a null is false) as one byte a row."""
    if arr is None:
        return None
    pa = _pa()
    if pa.types.is_null(arr.type):
        # Nothing but nulls (pandas gives a column of Nones this type): all false.
        arr = arr.cast(pa.bool_())
    if not pa.types.is_boolean(arr.type):
        raise _invalid(f"{table}.{name}: expected booleans (true or false)",
                       f"{table}.{name}: verwacht booleans (waar of onwaar)")
    return _bytes(arr.fill_null(False).cast(pa.uint8()))


def _as_string(arr: Any, table: str, name: str) -> Any:
    """A column of ids as Arrow's string type: text of any Arrow kind, or integers (ids written as
    numbers); anything else (lists, structs, bytes that are not UTF-8…) is refused by name."""
    pa = _pa()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    try:
        return arr.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        raise _invalid(f"{table}.{name}: expected text (UTF-8 ids)",
                       f"{table}.{name}: verwacht tekst (UTF-8-id's)") from None


def _strings(arr: Any, table: str, name: str) -> tuple:
    """A text column as Arrow lays it out: (int32 offsets, UTF-8 data), no Python string per row."""
    arr = _no_nulls(_as_string(arr, table, name), table, name)
    offsets = arr.buffers()[1].to_pybytes()[arr.offset * 4:(arr.offset + len(arr) + 1) * 4]
    data = arr.buffers()[2]
    return offsets, (data.to_pybytes() if data is not None else b"")


def _keys(t: Any, table: str, name: str) -> tuple:
    """An id column as ``_strings`` gives it or, when Arrow holds it dictionary-encoded (as
    parquet stores repeated ids), ``(offsets, data, codes)``: the dictionary's values and an
    int32 code per row, so that each distinct id is read once."""
    pa = _pa()
    if name not in t.column_names:
        _column(t, table, name)  # raises: the column is missing
    col = t.column(name).combine_chunks()
    typ = col.type
    if (pa.types.is_dictionary(typ) and (pa.types.is_string(typ.value_type) or pa.types.is_large_string(typ.value_type))
            and not col.dictionary.null_count):
        col = _no_nulls(col, table, name)
        return _strings(col.dictionary, table, name) + (_bytes(col.indices.cast(pa.int32())),)
    return _strings(_text(col), table, name)


def _codes(arr: Any) -> tuple:
    pa = _pa()
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    return _bytes(arr.indices.cast(pa.int32())), arr.dictionary.to_pylist()


def _is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _paths(sessions: TableLike, attendance: TableLike,
           breaks: Optional[TableLike]) -> Optional[Tuple[str, str, Optional[str]]]:
    """The three tables' paths as text when each is a path (``breaks`` may be ``None``)."""
    if not (_is_path(sessions) and _is_path(attendance) and (breaks is None or _is_path(breaks))):
        return None
    s, a = os.fspath(sessions), os.fspath(attendance)  # type: ignore[arg-type]
    b = os.fspath(breaks) if breaks is not None else None  # type: ignore[arg-type]
    if not (isinstance(s, str) and isinstance(a, str) and (b is None or isinstance(b, str))):
        return None  # bytes paths: pyarrow's
    return s, a, b


def _columns(sessions: TableLike, attendance: TableLike, breaks: Optional[TableLike]) -> tuple:
    s = _table(sessions, "sessions")
    a = _table(attendance, "attendance")
    sess = {
        "sessions.id": _strings(_column(s, "sessions", "id"), "sessions", "id"),
        "sessions.training": _strings(_column(s, "sessions", "training"), "sessions", "training"),
        "sessions.status": _strings(_column(s, "sessions", "status"), "sessions", "status"),
        "date": _days(_column(s, "sessions", "date"), "sessions", "date"),
        "start": _seconds_of_day(_column(s, "sessions", "start"), "sessions", "start"),
        "end": _seconds_of_day(_column(s, "sessions", "end"), "sessions", "end"),
    }
    att = {
        "attendance.session": _keys(a, "attendance", "session"),
        "attendance.person": _keys(a, "attendance", "person"),
        "check_in": _instants(_column(a, "attendance", "check_in"), "attendance", "check_in"),
        "check_out": _instants(_column(a, "attendance", "check_out"), "attendance", "check_out"),
        "late": _flags(_column(a, "attendance", "late", required=False), "attendance", "late"),
        "clock_suspect": _flags(_column(a, "attendance", "clock_suspect", required=False), "attendance",
                                "clock_suspect"),
        "absent": _flags(_column(a, "attendance", "absent", required=False), "attendance", "absent"),
    }
    brk: dict = {}
    b = _table(breaks, "breaks")
    if b is not None and b.num_rows:
        brk = {
            "breaks.session": _keys(b, "breaks", "session"),
            "start": _seconds_of_day(_column(b, "breaks", "start"), "breaks", "start"),
            "end": _seconds_of_day(_column(b, "breaks", "end"), "breaks", "end"),
        }
    return sess, att, brk


def _elearning(elearning: Optional[TableLike]) -> str:
    t = _table(elearning, "elearning")
    if t is None or not t.num_rows:
        return ""
    rows = t.to_pylist()
    return json.dumps([{k: v for k, v in to_json(r, where="elearning").items() if v is not None} for r in rows])


def _params(params: Optional[Mapping[str, Any]]) -> str:
    return json.dumps(to_json(dict(params or {}), where="params"))


def report_from_arrow(
    sessions: TableLike,
    attendance: TableLike,
    *,
    project: str,
    at: _dt.datetime,
    params: Optional[Mapping[str, Any]] = None,
    closures: Sequence[_dt.date] = (),
    breaks: Optional[TableLike] = None,
    elearning: Optional[TableLike] = None,
) -> _tijdreg.Report:
    """The subsidy report of one project's tables at a reference instant (SUB, AUD-4): the
    same report as :func:`tijdreg.report_from_records` on the same data.

    ``params`` is the records format's parameter map (``{"unit_cost_per_participant_hour":
    {"2026-01-01": {"name": …, "value": "12.00"}}}``). Errors name the table, row and column.
    Parquet paths in the usual layouts are read by the engine itself (ADR 18), the others by
    pyarrow.
    """
    paths = _paths(sessions, attendance, breaks)
    if paths is not None:
        got = _tijdreg.report_from_parquet(*paths, project, _params(params), [d.isoformat() for d in closures],
                                           _elearning(elearning), to_json(at, where="at"))
        if got is not None:
            return got  # type: ignore[no-any-return]
    sess, att, brk = _columns(sessions, attendance, breaks)
    return _tijdreg.report_from_columns(project, _params(params), [d.isoformat() for d in closures], sess, brk, att,
                                        _elearning(elearning), to_json(at, where="at"))


def totals_from_arrow(
    sessions: TableLike,
    attendance: TableLike,
    *,
    project: str,
    at: _dt.datetime,
    params: Optional[Mapping[str, Any]] = None,
    closures: Sequence[_dt.date] = (),
    breaks: Optional[TableLike] = None,
    elearning: Optional[TableLike] = None,
) -> dict:
    """Only the totals of :func:`report_from_arrow` (no lines kept): realised and provisional
    minutes, amounts and shares, the receipt — as a dict with ``Decimal`` money."""
    from ._convert import from_json

    paths = _paths(sessions, attendance, breaks)
    if paths is not None:
        got = _tijdreg.report_from_parquet(*paths, project, _params(params), [d.isoformat() for d in closures],
                                           _elearning(elearning), to_json(at, where="at"), True)
        if got is not None:
            return from_json(json.loads(got))  # type: ignore[no-any-return]
    sess, att, brk = _columns(sessions, attendance, breaks)
    text = _tijdreg.report_from_columns(project, _params(params), [d.isoformat() for d in closures], sess, brk, att,
                                        _elearning(elearning), to_json(at, where="at"), True)
    return from_json(json.loads(text))


def call_totals_from_arrow(
    sessions: TableLike,
    attendance: TableLike,
    *,
    at: _dt.datetime,
    params: Optional[Mapping[str, Any]] = None,
    closures: Sequence[_dt.date] = (),
    breaks: Optional[TableLike] = None,
    elearning: Optional[TableLike] = None,
    threads: Optional[int] = None,
) -> Dict[str, dict]:
    """The totals of every project of a call in one pass: the sessions table (and the
    e-learning table) carry a ``project`` column; attendance and breaks follow their session.
    Projects are counted independently (one project's figures never depend on another's),
    so any split of a call into groups of whole projects gives the same totals. Returns
    ``{project: summary}`` as :func:`totals_from_arrow` gives it.

    ``threads``: how many threads read the tables and count the projects (ranges of whole
    projects; the GIL is released once the columns are taken, so other Python threads run
    meanwhile); ``None`` uses every core the process may use, ``1`` counts in the calling
    thread's order on one thread, and more than 256 count as 256. The answer, and the first
    error, are the same for any number."""
    paths = _paths(sessions, attendance, breaks)
    if paths is not None:
        # Parquet files read and counted by the engine in one call (ADR 18), unless they are
        # pyarrow's to read.
        el = _table(elearning, "elearning")
        names: list = []
        if el is not None and el.num_rows:
            names = _column(el, "elearning", "project").cast(_pa().string()).to_pylist()
            el = el.drop_columns(["project"])
        got = _tijdreg.call_totals_from_parquet(*paths, _params(params), [d.isoformat() for d in closures],
                                                _elearning(el), names, to_json(at, where="at"), threads)
        if got is not None:
            return dict(zip(got[0], got[1]))
    pa = _pa()
    pc = pa.compute
    s = _table(sessions, "sessions")
    codes, projects = _codes(_no_nulls(_as_string(_column(s, "sessions", "project"), "sessions", "project"),
                                       "sessions", "project"))
    sess, att, brk = _columns(s, attendance, breaks)
    sess["project"] = codes
    el_project: list = []
    el = _table(elearning, "elearning")
    if el is not None and el.num_rows:
        idx = pc.index_in(_as_string(_column(el, "elearning", "project"), "elearning", "project"),
                          value_set=pa.array(projects, pa.string()))
        if idx.null_count:
            row = pc.index(pc.is_null(idx), True).as_py()
            raise _invalid(f"elearning[{row}].project: a project without sessions in this call",
                           f"elearning[{row}].project: een project zonder sessies in deze oproep")
        el_project = idx.to_pylist()
        el = el.drop_columns(["project"])
    summaries = _tijdreg.call_totals_from_columns([str(p) for p in projects], _params(params),
                                                  [d.isoformat() for d in closures], sess, brk, att, _elearning(el),
                                                  el_project, to_json(at, where="at"), threads)
    return {str(p): x for p, x in zip(projects, summaries)}


def _dictionary(d: Mapping[str, Any], name: str, n: int) -> Any:
    pa = _pa()
    codes = pa.Array.from_buffers(pa.int32(), n, [None, pa.py_buffer(d[f"{name}.codes"])])
    return pa.DictionaryArray.from_arrays(codes, pa.array(d[f"{name}.values"], type=pa.string()))


def _fixed(d: Mapping[str, Any], name: str, typ: Any, n: int) -> Any:
    pa = _pa()
    return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(d[name])])


def _bools(d: Mapping[str, Any], name: str, n: int) -> Any:
    pa = _pa()
    return _fixed(d, name, pa.uint8(), n).cast(pa.bool_())


def report_to_arrow(report: _tijdreg.Report) -> Any:
    """The report's lines as a ``pyarrow.Table``."""
    pa = _pa()
    d = _tijdreg.report_line_columns(report)
    n = d["rows"]
    return pa.table({
        "kind": _dictionary(d, "kind", n),
        "source": _dictionary(d, "source", n),
        "person": _dictionary(d, "person", n),
        "training": _dictionary(d, "training", n),
        "date": _fixed(d, "date", pa.date32(), n),
        "realised": _bools(d, "realised", n),
        "planned_seconds": _fixed(d, "planned_seconds", pa.int64(), n),
        "attended_seconds": _fixed(d, "attended_seconds", pa.int64(), n),
        "counted_minutes": _fixed(d, "counted_minutes", pa.int64(), n),
        "unit_cost": _fixed(d, "unit_cost", pa.decimal128(18, 6), n),
        "amount": _fixed(d, "amount", pa.decimal128(38, 12), n),
        "late_registration": _bools(d, "late_registration", n),
        "late_arrival": _bools(d, "late_arrival", n),
        "early_departure": _bools(d, "early_departure", n),
        "clock_suspect": _bools(d, "clock_suspect", n),
    })


def excluded_to_arrow(report: _tijdreg.Report, text: bool = False) -> Any:
    """The report's excluded stretches (SUB-9) as a ``pyarrow.Table``: the line's row in
    :func:`report_to_arrow`, reason, rule, seconds, from and until (Brussels time), and with
    ``text=True`` the explanation."""
    pa = _pa()
    pc = pa.compute
    d = _tijdreg.report_excluded_columns(report, text)
    n = d["rows"]
    stamp = pa.timestamp("s", tz="Europe/Brussels")

    def instants(name: str) -> Any:
        raw = _fixed(d, name, pa.int64(), n)
        return pc.if_else(pc.equal(raw, -(2 ** 63)), pa.scalar(None, pa.int64()), raw).cast(stamp)

    cols = {
        "line": _fixed(d, "line", pa.int64(), n),
        "reason": _dictionary(d, "reason", n),
        "rule": _dictionary(d, "rule", n),
        "seconds": _fixed(d, "seconds", pa.int64(), n),
        "from": instants("from"),
        "until": instants("until"),
    }
    if text:
        typ = pa.large_string() if d["text.large"] else pa.string()
        cols["text"] = pa.Array.from_buffers(typ, n, [None, pa.py_buffer(d["text.offsets"]), pa.py_buffer(d["text.data"])])
    return pa.table(cols)


def report_to_pandas(report: _tijdreg.Report) -> Any:
    """The lines as a pandas DataFrame (money as ``Decimal`` objects)."""
    return report_to_arrow(report).to_pandas()


def report_to_polars(report: _tijdreg.Report) -> Any:
    """The lines as a polars DataFrame."""
    import polars

    return polars.from_arrow(report_to_arrow(report))


Records = Union[str, Mapping[str, Any]]
