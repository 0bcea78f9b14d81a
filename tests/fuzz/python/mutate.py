"""Mutation runs of the Python package's native entry points (docs/quality.md): what cargo-fuzz
cannot reach, since these live in the pyo3 extension (and in ``tijdreg.arrow``'s Python). Each
run changes valid inputs at random — columns of pyarrow tables, bytes of parquet files and of
the column buffers ``tijdreg.arrow`` hands over, values and keys of a records dict, fields of
typed commands — and calls the engine with them. A refusal
(``tijdreg.Error``, or ``TypeError`` for a Python value that cannot be sent) is the expected
answer; an ``InternalError`` (a panic), any other exception, or the process dying is a
finding, printed with the seed that reproduces it.

    .venv/bin/python tests/fuzz/python/mutate.py tables|parquet|columns|records|commands|scans [RUNS] [FIRST_SEED]

Every run is seeded (``random.Random(seed)``): ``mutate.py records 1 4711`` replays run 4711
alone. The inputs of a run never depend on an earlier run's (values are made fresh per run).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import decimal
import json
import os
import random
import sys
import tempfile
from typing import Any, Callable, Dict, List

import tijdreg
import tijdreg._tijdreg as native
import tijdreg.arrow as ta
from tijdreg import commands as c
from tijdreg import synth
from tijdreg._convert import to_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NAMES = ("sessions", "attendance", "breaks")
PARAMS = ta._params(synth.PARAMS)
AT = to_json(synth.REFERENCE, where="at")


def broken(data: bytes, r: random.Random, footer_share: float = 0.0) -> bytes:
    """`data` with one to sixteen changes: bytes overwritten or flipped, words of extreme
    values written, bytes cut out or the end cut off; with `footer_share`, that share of the
    changes lands in a parquet file's footer (its last 8 bytes say how long it is)."""
    b = bytearray(data)
    footer = int.from_bytes(data[-8:-4], "little") if footer_share and len(data) > 8 else 0
    for _ in range(r.choice((1, 1, 2, 4, 16))):
        if not b:
            break
        if footer and len(b) == len(data) and r.random() < footer_share:
            i = r.randrange(max(0, len(b) - 8 - footer), len(b) - 8)
        else:
            i = r.randrange(len(b))
        op = r.random()
        if op < 0.6:
            b[i] = r.randrange(256)
        elif op < 0.75:
            b[i] ^= 1 << r.randrange(8)
        elif op < 0.85:
            b[i:i + 4] = r.choice((b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"))
        elif op < 0.95:
            del b[i:i + r.randrange(1, 16)]
        else:
            del b[i:]
    return bytes(b)


def small_call() -> Dict[str, Any]:
    return synth.call(projects=3, intervals=300, seed=5)


def parquet_runs() -> Callable[[random.Random], None]:
    """The three files of a small call in three layouts (snappy v1 pages, uncompressed v2,
    lz4 without dictionaries), one of them broken; read and counted natively."""
    import pyarrow.parquet as pq

    call = small_call()
    base = tempfile.mkdtemp(prefix="tijdreg-mutate-")
    layouts = {"snappy_v1": dict(compression="snappy", data_page_version="1.0"),
               "none_v2": dict(compression="none", data_page_version="2.0"),
               "lz4_plain": dict(compression="lz4", data_page_version="2.0", use_dictionary=False)}
    files: Dict[str, List[bytes]] = {}
    for name, options in layouts.items():
        files[name] = []
        for table in NAMES:
            path = os.path.join(base, f"{name}-{table}.parquet")
            pq.write_table(call[table], path, **options)
            files[name].append(open(path, "rb").read())
    paths = [os.path.join(base, f"{t}.parquet") for t in NAMES]

    def run(r: random.Random) -> None:
        data = files[r.choice(sorted(files))]
        which = r.randrange(3)
        for k, path in enumerate(paths):
            with open(path, "wb") as f:
                f.write(broken(data[k], r, footer_share=0.5) if k == which else data[k])
        native.call_totals_from_parquet(*paths, PARAMS, [], "", [], AT, r.choice((1, 2)))
        native.read_parquet_tables(*paths, True, r.choice((1, 2)))

    return run


def columns_runs() -> Callable[[random.Random], None]:
    """The column buffers `tijdreg.arrow` hands to the engine for a call (offsets, texts,
    codes, instants, flags), one of them broken."""
    import pyarrow as pa

    call = small_call()
    s = call["sessions"]
    codes, projects = ta._codes(ta._no_nulls(ta._column(s, "sessions", "project").cast(pa.string()), "sessions", "project"))
    sess, att, brk = ta._columns(s, call["attendance"], call["breaks"])
    sess["project"] = codes
    names = [str(p) for p in projects]

    def mutate(v: Any, r: random.Random) -> Any:
        if isinstance(v, bytes) and v:
            return broken(v, r)
        if isinstance(v, tuple):
            return tuple(mutate(x, r) if r.random() < 0.5 else x for x in v)
        return v

    def run(r: random.Random) -> None:
        tables = [dict(sess), dict(att), dict(brk)]
        t = tables[r.randrange(3)]
        key = r.choice(sorted(t))
        t[key] = mutate(t[key], r)
        native.call_totals_from_columns(names, PARAMS, [], tables[0], tables[2], tables[1], "", [], AT, r.choice((1, 2)))

    return run


def odd_value(r: random.Random) -> Any:
    """A value of the kind a caller may pass by mistake, made fresh for each use."""
    cyclic: Dict[str, Any] = {}
    cyclic["again"] = cyclic
    deep: Any = []
    for _ in range(r.choice((10, 200, 5_000))):
        deep = [deep]
    return r.choice([
        None, True, 0, -1, 2**63, -2**63 - 1, 2**200, 1.5, float("nan"), "", "x" * 5000, "\x00", "é",
        "2026-13-45", "25:61", "2026-03-02T09:00:00", "2026-03-02T09:00:00+99:00", b"bytes", [], {}, [1, 2],
        {"a": 1}, cyclic, [cyclic], deep, decimal.Decimal("NaN"), decimal.Decimal("1e999999"),
        dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.datetime(2026, 3, 2, 9, 0),
        dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59))),
        dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc), dt.time(23, 59, 59, 999999), dt.timedelta(days=1),
        object(), 10**18, "85073112345", ("tuple",), frozenset([1]),
    ])


def records_runs() -> Callable[[random.Random], None]:
    """The example export as a dict, with values replaced, keys removed or added."""
    with open(os.path.join(REPO, "examples", "data", "export-2026-472-001.json"), encoding="utf-8") as f:
        base = json.load(f)

    def paths(v: Any, p: tuple = ()) -> Any:
        yield p
        if isinstance(v, dict):
            for k, x in v.items():
                yield from paths(x, p + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                yield from paths(x, p + (i,))

    every = [p for p in paths(base) if p]

    def run(r: random.Random) -> None:
        rec = copy.deepcopy(base)
        for _ in range(r.choice((1, 1, 2, 3))):
            p = r.choice(every)
            parent = rec
            try:
                for k in p[:-1]:
                    parent = parent[k]
                op = r.random()
                if op < 0.8:
                    parent[p[-1]] = odd_value(r)
                elif isinstance(parent, dict) and op < 0.9:
                    del parent[p[-1]]
                elif isinstance(parent, dict):
                    parent[r.choice(("extra", 7, None, ("t",)))] = odd_value(r)
            except (KeyError, IndexError, TypeError):
                pass  # an earlier change removed or replaced the way there
        report = tijdreg.report_from_records(rec, synth.REFERENCE)
        report.rows()

    return run


def commands_runs() -> Callable[[random.Random], None]:
    """Typed commands (and the other dataclasses of `tijdreg.commands`) with odd values in
    every field, applied, previewed and weighed on a ledger."""
    classes = [v for v in vars(c).values() if isinstance(v, type) and dataclasses.is_dataclass(v)]
    ledger = tijdreg.Ledger()
    at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)

    def run(r: random.Random) -> None:
        cls = r.choice(classes)
        try:
            cmd = cls(**{f.name: odd_value(r) for f in dataclasses.fields(cls) if f.init})
        except Exception:
            return  # the dataclass itself refused the values
        how = r.randrange(3)
        if how == 0:
            ledger.apply(cmd, actor="system", at=at, command_id=f"c{r.random()}")
        elif how == 1:
            ledger.preview(cmd, actor="system", at=at)
        else:
            ledger.what_if(cmd, actor="system", at=at)

    return run


def scans_runs() -> Callable[[random.Random], None]:
    """The column buffers of a batch of scans (`Ledger.apply_scans`), one of them broken, on a
    ledger holding the test fixture `base`."""
    import pyarrow as pa

    sys.path.insert(0, os.path.join(REPO, "python", "tests"))
    from conftest import at, load  # type: ignore[import-not-found]

    n = 6
    table = pa.table({"command_id": [f"c{i}" for i in range(n)], "actor": ["p-tom"] * n,
                      "at": pa.array([at(2, 9)] * n, pa.timestamp("us", "UTC")),
                      "kind": ["check_in", "check_out", "mark_absent", "check_in", "check_out", "check_in"],
                      "session": ["S-1"] * n, "person": ["p-ann", "p-ann", None, "p-bob", "p-x", None],
                      "token": [None, None, None, None, None, "tok"]})
    seen: Dict[str, Any] = {}
    real = native.apply_scan_columns

    def keep(ledger: Any, cols: Dict[str, Any]) -> Any:
        seen.update(cols)
        return real(ledger, cols)

    native.apply_scan_columns = keep
    try:
        first = tijdreg.Ledger()
        load(first, "base")
        first.apply_scans(table)
    finally:
        native.apply_scan_columns = real

    def run(r: random.Random) -> None:
        cols = dict(seen)
        key = r.choice(sorted(cols))
        v = cols[key]
        cols[key] = tuple(broken(x, r) if isinstance(x, bytes) and x and r.random() < 0.5 else x for x in v) \
            if isinstance(v, tuple) else broken(v, r) if isinstance(v, bytes) and v else v
        ledger = tijdreg.Ledger()
        load(ledger, "base")
        native.apply_scan_columns(ledger._native, cols)

    return run


def tables_runs() -> Callable[[random.Random], None]:
    """A small call's pyarrow tables with one column replaced by one of another kind (lists,
    structs, numbers, bytes, naive or far instants, text dates…), dropped, or the table cut;
    counted as a call, or one project's totals or report."""
    import pyarrow as pa

    call = small_call()

    def odd(n: int, r: random.Random) -> Any:
        return r.choice([
            lambda: pa.array([None] * n, pa.string()), lambda: pa.array(list(range(n)), pa.int64()),
            lambda: pa.array([1.5] * n), lambda: pa.array([True] * n), lambda: pa.array(["x"] * n).dictionary_encode(),
            lambda: pa.array([b"b"] * n, pa.binary()), lambda: pa.array([b"\xff"] * n, pa.binary()),
            lambda: pa.array([dt.datetime(2026, 3, 2, 9)] * n, pa.timestamp("us")),
            lambda: pa.array([dt.date(2026, 3, 2)] * n), lambda: pa.array([dt.time(9, 0)] * n),
            lambda: pa.array([dt.timedelta(hours=1)] * n), lambda: pa.array(["2026-03-02"] * n),
            lambda: pa.array([dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)] * n, pa.timestamp("s", "UTC")),
            lambda: pa.array([[1]] * n), lambda: pa.array([{"a": 1}] * n), lambda: pa.array(["é\x00"] * n, pa.large_string()),
            lambda: pa.array([dt.datetime(2300, 1, 1, tzinfo=dt.timezone.utc)] * n, pa.timestamp("us", "UTC")),
            lambda: pa.array([-1] * n, pa.int32()), lambda: pa.array([2**40] * n, pa.int64()),
        ])()

    def run(r: random.Random) -> None:
        t = {n: call[n] for n in NAMES}
        name = r.choice(NAMES)
        tab = t[name]
        col = r.choice(tab.column_names)
        op = r.random()
        if op < 0.8:
            tab = tab.set_column(tab.column_names.index(col), col, odd(tab.num_rows, r))
        elif op < 0.9:
            tab = tab.drop_columns([col])
        else:
            tab = tab.slice(0, r.randrange(tab.num_rows + 1))
        t[name] = tab
        how = r.randrange(3)
        if how == 0:
            ta.call_totals_from_arrow(t["sessions"], t["attendance"], breaks=t["breaks"], params=synth.PARAMS,
                                      at=synth.REFERENCE)
            return
        s = t["sessions"]
        if "project" in s.column_names:
            s = s.drop_columns(["project"])
        f = ta.totals_from_arrow if how == 1 else ta.report_from_arrow
        f(s, t["attendance"], breaks=t["breaks"], project="P-1", params=synth.PARAMS, at=synth.REFERENCE)

    return run


KINDS = {"tables": tables_runs, "parquet": parquet_runs, "columns": columns_runs, "records": records_runs, "commands": commands_runs,
         "scans": scans_runs}


def main() -> int:
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind not in KINDS:
        print(__doc__)
        return 2
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    run = KINDS[kind]()
    findings = 0
    for seed in range(first, first + runs):
        try:
            run(random.Random(seed))
        except tijdreg.InternalError as e:
            findings += 1
            print(f"{kind} seed {seed}: internal error: {e}", flush=True)
        except (tijdreg.Error, TypeError):
            pass  # a refusal: the answer expected of a broken input
        except Exception as e:  # noqa: BLE001 - anything else is a finding
            findings += 1
            print(f"{kind} seed {seed}: {type(e).__name__}: {str(e)[:300]}", flush=True)
    print(f"{kind}: {runs} runs from seed {first}, {findings} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
