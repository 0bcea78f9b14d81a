"""Parquet files read by the engine itself (issue 11, ADR 18): for the layouts writers use, the
native reader gives the columns pyarrow gives (value for value) and the same totals; files it
does not read (other codecs, text dates, nulls where a value is required, nested or missing
columns) go to pyarrow, with the answers and errors they had."""

import datetime as dt
import json

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

import tijdreg  # noqa: E402
import tijdreg._tijdreg as native  # noqa: E402
import tijdreg.arrow as ta  # noqa: E402
from tijdreg import synth  # noqa: E402
from tijdreg._convert import to_json  # noqa: E402

NAMES = ("sessions", "attendance", "breaks")


@pytest.fixture(scope="module")
def call():
    return synth.call(projects=6, intervals=6_000, seed=13)


def write(folder, tables, **options):
    folder.mkdir(exist_ok=True)
    for name in NAMES:
        pq.write_table(tables[name], folder / f"{name}.parquet", **options)
    return [str(folder / f"{name}.parquet") for name in NAMES]


def ints(b, width=4):
    return [int.from_bytes(b[i:i + width], "little", signed=True) for i in range(0, len(b), width)]


def texts(col):
    """A text column as ``_columns`` passes it (plain or with codes), one str per row."""
    offsets, data = ints(col[0]), col[1]
    values = [data[offsets[i]:offsets[i + 1]].decode() for i in range(len(offsets) - 1)]
    return [values[k] for k in ints(col[2])] if len(col) == 3 else values


def instants(col):
    values, validity, offset, per = col
    out = []
    for i, v in enumerate(ints(values, 8)):
        j = offset + i
        valid = validity is None or (validity[j // 8] >> (j % 8)) & 1
        out.append(v // per if valid else None)
    return out


def flags(col, n):
    return [bool(x) for x in col] if col is not None else [False] * n


def plain_values(sess, att, brk):
    """Every column as Python values, whatever layout carried it."""
    n = len(instants(att["check_in"]))
    out = {f"sessions.{k}": texts(sess[f"sessions.{k}"]) for k in ("id", "training", "status")}
    out.update({f"sessions.{k}": ints(sess[k]) for k in ("date", "start", "end")})
    out.update({k: texts(att[k]) for k in ("attendance.session", "attendance.person")})
    out.update({k: instants(att[k]) for k in ("check_in", "check_out")})
    out.update({k: flags(att.get(k), n) for k in ("late", "clock_suspect", "absent")})
    if brk:
        out.update({"breaks.session": texts(brk["breaks.session"]), "breaks.start": ints(brk["start"]),
                    "breaks.end": ints(brk["end"])})
    return out


def by_pyarrow(paths):
    """The columns and totals as pyarrow reads the files (the path taken before ADR 18)."""
    tables = [pq.read_table(p) for p in paths]
    return ta._columns(*tables), tables


def totals(s, a, b, **kw):
    return ta.call_totals_from_arrow(s, a, breaks=b, params=synth.PARAMS, at=synth.REFERENCE, **kw)


def with_column(t, name, arr):
    return t.set_column(t.schema.get_field_index(name), name, arr)


def layouts(call):
    """Writer options and column types that the native reader must read as pyarrow does."""
    a, b = call["attendance"], call["breaks"]
    # A few flags and check-ins missing (nulls), instants in other units, times of day in µs.
    late = pa.array([None if i % 17 == 0 else i % 5 == 0 for i in range(a.num_rows)], pa.bool_())
    marked = with_column(a, "late", late) if "late" in a.column_names else a.append_column("late", late)
    micro = {**call, "attendance": marked.set_column(
        marked.schema.get_field_index("check_in"), "check_in", marked.column("check_in").cast(pa.timestamp("us"))),
        "breaks": with_column(b, "start", b.column("start").cast(pa.time64("us")))}
    nano = {**call, "attendance": with_column(a, "check_out", a.column("check_out").cast(pa.timestamp("ns", "UTC")))}
    seconds = {**call, "attendance": with_column(a, "check_in", a.column("check_in").cast(pa.timestamp("s", "UTC")))}
    return [
        ("default", call, {}),
        ("plain pages", call, {"use_dictionary": False}),
        ("uncompressed", call, {"compression": "none"}),
        ("lz4", call, {"compression": "lz4"}),
        ("data pages v2", call, {"data_page_version": "2.0"}),
        ("row groups and small pages", call, {"row_group_size": 700, "data_page_size": 2_000}),
        ("dictionary falls back to plain", call, {"dictionary_pagesize_limit": 300}),
        ("v2, no dictionary, small pages", call, {"data_page_version": "2.0", "use_dictionary": False,
                                                  "data_page_size": 1_500}),
        ("nulls, µs instants and times", micro, {}),
        ("ns instants", nano, {"data_page_version": "2.0"}),
        ("second instants", seconds, {}),
    ]


def test_native_reader_gives_the_columns_and_totals_pyarrow_gives(call, tmp_path) -> None:
    want_totals = totals(call["sessions"], call["attendance"], call["breaks"])
    for i, (label, tables, options) in enumerate(layouts(call)):
        paths = write(tmp_path / str(i), tables, **options)
        got = native.read_parquet_tables(*paths, True, None)
        assert got is not None, label
        (want, read) = by_pyarrow(paths)
        assert plain_values(*got[:3]) == plain_values(*want), label
        # The sessions' projects: distinct names, each session's index among them.
        projects, codes = got[3], ints(got[0]["project"])
        assert len(set(projects)) == len(projects)
        assert [projects[k] for k in codes] == read[0].column("project").to_pylist(), label
        by_path = totals(*paths)
        assert by_path == totals(*read), label
        # Read and counted in one native call (what `call_totals_from_arrow` does with paths).
        fused = native.call_totals_from_parquet(*paths, ta._params(synth.PARAMS), [], "", [],
                                                to_json(synth.REFERENCE, where="at"))
        assert fused is not None and dict(zip(*fused)) == by_path, label
        if tables is call:
            assert by_path == want_totals, label
        # One thread or two: the same columns.
        assert plain_values(*native.read_parquet_tables(*paths, True, 1)[:3]) == plain_values(*got[:3]), label


def test_a_single_project_report_from_paths_is_the_report_from_tables(call, tmp_path) -> None:
    one = call["sessions"].column("project")[0].as_py()
    keep = {n: call[n].filter(pa.compute.equal(call[n].column("project"), one)) for n in NAMES}
    paths = write(tmp_path, keep)
    assert native.read_parquet_tables(*paths) is not None
    at = to_json(synth.REFERENCE, where="at")
    assert native.report_from_parquet(*paths, one, ta._params(synth.PARAMS), [], "", at) is not None
    args = dict(project=one, at=synth.REFERENCE, params=synth.PARAMS)
    by_path = ta.report_from_arrow(paths[0], paths[1], breaks=paths[2], **args)
    by_tables = ta.report_from_arrow(keep["sessions"], keep["attendance"], breaks=keep["breaks"], **args)
    assert by_path.rows() == by_tables.rows() and by_path.amounts == by_tables.amounts
    assert ta.totals_from_arrow(paths[0], paths[1], breaks=paths[2], **args) == ta.totals_from_arrow(
        keep["sessions"], keep["attendance"], breaks=keep["breaks"], **args)
    # Without a breaks file, and with an empty one.
    no_breaks = ta.report_from_arrow(paths[0], paths[1], **args)
    assert no_breaks.amounts == ta.report_from_arrow(keep["sessions"], keep["attendance"], **args).amounts
    pq.write_table(keep["breaks"].slice(0, 0), tmp_path / "empty.parquet")
    empty = ta.report_from_arrow(paths[0], paths[1], breaks=str(tmp_path / "empty.parquet"), **args)
    assert empty.amounts == no_breaks.amounts
    # Files the engine leaves to pyarrow: the same report through pyarrow.
    gz = write(tmp_path / "gzip", keep, compression="gzip")
    assert native.report_from_parquet(*gz, one, ta._params(synth.PARAMS), [], "", at) is None
    assert ta.report_from_arrow(gz[0], gz[1], breaks=gz[2], **args).rows() == by_tables.rows()


def split_character(a):
    """The person column with its first two ids' bytes re-cut inside an "é": the text as a
    whole is UTF-8, the first two values are not (pyarrow reads it, the engine refuses it)."""
    ids = [p.encode() for p in a.column("person").to_pylist()]
    ids[0], ids[1] = ids[0] + b"\xc3", b"\xa9" + ids[1]
    offsets = [0]
    for x in ids:
        offsets.append(offsets[-1] + len(x))
    return pa.Array.from_buffers(pa.string(), len(ids), [None, pa.array(offsets, pa.int32()).buffers()[1],
                                                         pa.py_buffer(b"".join(ids))])


def left_to_pyarrow(call):
    """Files the native reader does not read, and what makes each so."""
    s, a = call["sessions"], call["attendance"]
    ids = s.column("id").to_pylist()
    return [
        ("gzip", call, {"compression": "gzip"}),
        ("zstd", call, {"compression": "zstd"}),
        ("brotli", call, {"compression": "brotli"}),
        ("dates as text", {**call, "sessions": with_column(s, "date", s.column("date").cast(pa.string()))}, {}),
        ("instants as text", {**call, "attendance": with_column(
            a, "check_in", pa.array([None if x is None else x.isoformat() for x in a.column("check_in").to_pylist()]))},
         {}),
        ("a start with milliseconds", {**call, "sessions": with_column(s, "start", pa.array(
            [dt.time(9, 0, 0, 500_000)] + s.column("start").to_pylist()[1:], pa.time32("ms")))}, {}),
        ("flags as integers", {**call, "attendance": with_column(a, "absent", a.column("absent").cast(pa.int8()))}, {}),
        ("a nested person", {**call, "attendance": with_column(a, "person", pa.StructArray.from_arrays(
            [a.column("person").combine_chunks()], ["id"]))}, {}),
        ("a person id cut inside a character", {**call, "attendance": with_column(a, "person", split_character(a))}, {}),
        ("a null session id", {**call, "sessions": with_column(s, "id", pa.array([ids[0], None] + ids[2:]))}, {}),
        ("no status column", {**call, "sessions": s.drop_columns(["status"])}, {}),
    ]


def same_as_pyarrow(paths, label) -> None:
    """The totals from the paths are what they are from pyarrow's reading: the same answer, or
    an error of the same kind and message."""
    try:
        want = totals(*[pq.read_table(p) for p in paths])
    except Exception as e:  # noqa: BLE001 - the same kind and message either way
        with pytest.raises(type(e)) as got:
            totals(*paths)
        assert str(got.value) == str(e), label
    else:
        assert totals(*paths) == want, label


def test_files_left_to_pyarrow_give_the_answers_and_errors_they_gave(call, tmp_path) -> None:
    for i, (label, tables, options) in enumerate(left_to_pyarrow(call)):
        paths = write(tmp_path / str(i), tables, **options)
        assert native.read_parquet_tables(*paths, True, None) is None, label
        same_as_pyarrow(paths, label)
    # The errors named: the row of the null id, the missing column.
    with pytest.raises(tijdreg.InvalidInputError, match=r"attendance\.person: broken string offsets"):
        totals(*[str(tmp_path / "8" / f"{n}.parquet") for n in NAMES])
    with pytest.raises(tijdreg.InvalidInputError, match=r"sessions\[1\]\.id: a value is required"):
        totals(*[str(tmp_path / "9" / f"{n}.parquet") for n in NAMES])
    with pytest.raises(tijdreg.InvalidInputError, match="the column 'status' is missing"):
        totals(*[str(tmp_path / "10" / f"{n}.parquet") for n in NAMES])


def test_a_missing_or_broken_file_is_pyarrows_to_report(call, tmp_path) -> None:
    paths = write(tmp_path, call)
    gone = str(tmp_path / "nothing.parquet")
    assert native.read_parquet_tables(paths[0], gone, paths[2]) is None
    with pytest.raises(FileNotFoundError):
        totals(paths[0], gone, paths[2])
    data = (tmp_path / "attendance.parquet").read_bytes()
    md = pq.ParquetFile(paths[1]).metadata
    person = md.row_group(0).column(md.schema.names.index("person"))
    at = person.dictionary_page_offset if person.has_dictionary_page else person.data_page_offset
    # Its magic (pyarrow reads the file anyway), the header of the person column's first page,
    # its footer broken: pyarrow's answer or error, as before.
    for cut in (0, at, len(data) - 9):
        broken = tmp_path / f"broken-{cut}.parquet"
        broken.write_bytes(data[:cut] + b"\xff" * 3 + data[cut + 3:])
        assert native.read_parquet_tables(paths[0], str(broken), paths[2]) is None, cut
        same_as_pyarrow([paths[0], str(broken), paths[2]], cut)


def test_bytes_broken_anywhere_never_crash_the_reader(call, tmp_path) -> None:
    """A file broken at any place — its pages or its footer (the metadata that says where each
    column's pages lie) — in each of the three tables: the reader gives columns or leaves the
    file to pyarrow, and the counting gives totals, a refusal naming the problem, or leaves
    the files to pyarrow; never a crash or an internal error. Whatever columns it gives are
    checked by the engine as any others (a value out of range is refused, not trusted)."""
    import random

    paths = write(tmp_path, call)
    params, at = ta._params(synth.PARAMS), to_json(synth.REFERENCE, where="at")
    rng = random.Random(7)
    read = 0
    for i in range(600):
        table = i % 3
        data = bytearray(open(paths[table], "rb").read())
        footer = int.from_bytes(data[-8:-4], "little")
        copy = bytearray(data)
        for _ in range(rng.choice((1, 2, 8))):
            # Half of the changes in the footer, where a changed offset or size points elsewhere.
            where = rng.randrange(len(copy) - 8 - footer, len(copy) - 8) if rng.random() < 0.5 else rng.randrange(len(copy))
            copy[where] = rng.randrange(256)
        broken = tmp_path / f"broken-{table}.parquet"
        broken.write_bytes(bytes(copy))
        files = [str(broken) if k == table else paths[k] for k in range(3)]
        got = native.read_parquet_tables(*files, True)
        read += got is not None
        try:
            native.call_totals_from_parquet(*files, params, [], "", [], at, 1 + i % 2)
        except tijdreg.InternalError:  # pragma: no cover - the failure this test is for
            pytest.fail(f"an internal error for change {i} of the {NAMES[table]} file")
        except tijdreg.Error:
            pass  # the engine's refusal of the values it was given
    assert read > 0  # most changes land in pages whose values stay readable


def test_a_call_from_paths_with_elearning_is_the_call_from_tables(call, tmp_path) -> None:
    """SUB-3 e-learning hours beside parquet paths: the same totals as beside tables, and an
    e-learning row of a project without sessions refused with its row named, either way."""
    paths = write(tmp_path, call)
    s, a = call["sessions"], call["attendance"]
    rows = []
    for k, project in enumerate(s.column("project").unique().to_pylist()[:2]):
        first = s.filter(pa.compute.equal(s.column("project"), project))
        session = first.column("id")[0].as_py()
        person = a.filter(pa.compute.equal(a.column("session"), session)).column("person")[0].as_py()
        rows.append({"project": project, "id": f"E-{k}", "person": person,
                     "training": first.column("training")[0].as_py(), "date": first.column("date")[0].as_py(),
                     "minutes": 90, "status": "Approved"})
    el = pa.Table.from_pylist(rows)
    with_el = totals(*paths, elearning=el)
    assert with_el == totals(s, a, call["breaks"], elearning=el)
    assert with_el != totals(*paths)
    bad = pa.Table.from_pylist(rows + [{**rows[0], "id": "E-x", "project": "P-nowhere"}])
    for tables in (paths, (s, a, call["breaks"])):
        with pytest.raises(tijdreg.InvalidInputError, match=r"elearning\[2\]\.project: a project without sessions"):
            totals(*tables, elearning=bad)


def test_parquet_paths_need_no_pyarrow_when_read_natively(call, tmp_path) -> None:
    """pyarrow is an optional extra: parquet files the engine reads itself are counted in a
    process where pyarrow cannot be imported; files it leaves to pyarrow then say what to
    install."""
    import subprocess
    import sys

    paths = write(tmp_path / "usual", call)
    zstd = write(tmp_path / "zstd", call, compression="zstd")
    want = totals(*paths)
    script = """
import json, sys
sys.modules["pyarrow"] = None  # not installed
import tijdreg.arrow as ta
from tijdreg import synth
args = dict(params=synth.PARAMS, at=synth.REFERENCE)
s, a, b = sys.argv[1:4]
got = ta.call_totals_from_arrow(s, a, breaks=b, **args)
print(json.dumps({p: str(x["amounts"]["total"]) for p, x in got.items()}))
try:
    ta.call_totals_from_arrow(sys.argv[4], sys.argv[5], breaks=sys.argv[6], **args)
except ImportError as e:
    print(e)
"""
    out = subprocess.run([sys.executable, "-c", script, *paths, *zstd], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[0] == json.dumps({p: str(x["amounts"]["total"]) for p, x in want.items()})
    assert "pip install 'tijdreg[arrow]'" in lines[1]
