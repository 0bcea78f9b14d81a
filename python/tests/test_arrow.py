"""Arrow in and out (issue 11): the same report from tables as from the JSON records, from
pyarrow, pandas, polars and parquet; typed columns out; errors that name table, row and column."""

import datetime as dt
import json
import os
from decimal import Decimal

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

import tijdreg  # noqa: E402
import tijdreg.arrow as ta  # noqa: E402
from tijdreg import synth  # noqa: E402

from conftest import REPO  # noqa: E402

AT = dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc)


def tables(rec):
    s, a, b = [], [], []
    for x in rec["sessions"]:
        s.append({k: x[k] for k in ("id", "training", "date", "start", "end", "status")})
        b += [{"session": x["id"], "start": br["start"], "end": br["end"]} for br in x.get("breaks", [])]
        for p in x.get("participants", []):
            ivs = p.get("intervals", [])
            if not ivs:
                a.append({"session": x["id"], "person": p["person"], "check_in": None, "check_out": None,
                          "late": False, "absent": p.get("absent", False)})
            a += [{"session": x["id"], "person": p["person"], "check_in": i["check_in"], "check_out": i["check_out"],
                   "late": i.get("late", False), "absent": p.get("absent", False)} for i in ivs]
    return pa.Table.from_pylist(s), pa.Table.from_pylist(a), (pa.Table.from_pylist(b) if b else None)


@pytest.fixture(scope="module")
def export():
    with open(os.path.join(REPO, "examples", "data", "export-2026-472-001.json"), encoding="utf-8") as f:
        return json.load(f)


def from_arrow(rec, s, a, b, **kw):
    el = pa.Table.from_pylist(rec["elearning"]) if rec.get("elearning") else None
    return ta.report_from_arrow(s, a, breaks=b, elearning=el, project=rec["project"], params=rec.get("params"),
                                closures=[dt.date.fromisoformat(d) for d in rec.get("closures", [])], at=AT, **kw)


def test_tables_give_the_records_report(export) -> None:
    s, a, b = tables(export)
    by_records = tijdreg.report_from_records(export, AT)
    by_tables = from_arrow(export, s, a, b)
    assert by_tables.rows() == by_records.rows()
    assert by_tables.amounts == by_records.amounts and by_tables.amounts["total"] == Decimal("744.46")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamps_of_any_unit_nulls_and_offsets_are_read_alike(export, unit) -> None:
    """ATT-1: instant columns as Arrow holds them — any unit, nulls for a participant who never
    checked in, the table a slice of a larger one (its bitmap starting mid-byte), several
    chunks — give the records' report."""
    s, a, b = tables(export)
    want = tijdreg.report_from_records(export, AT).rows()
    assert a.column("check_in").null_count > 0
    ts = pa.timestamp(unit, tz="Europe/Brussels")
    typed = a.set_column(a.schema.get_field_index("check_in"), "check_in", a.column("check_in").cast(pa.timestamp("s", tz="UTC")).cast(ts))
    typed = typed.set_column(typed.schema.get_field_index("check_out"), "check_out",
                             typed.column("check_out").cast(pa.timestamp("s", tz="UTC")).cast(ts))
    assert from_arrow(export, s, typed, b).rows() == want
    # The same rows after three others, sliced off again (offset 3), and in two chunks.
    padded = pa.concat_tables([typed.slice(0, 3), typed]).combine_chunks().slice(3)
    assert padded.column("check_in").chunk(0).offset == 3
    assert from_arrow(export, s, padded, b).rows() == want
    chunked = pa.concat_tables([typed.slice(0, 5), typed.slice(5)])
    assert chunked.column("check_in").num_chunks == 2
    assert from_arrow(export, s, chunked, b).rows() == want
    # An array that starts inside its buffers (Arrow's offset), handed to the engine as it is:
    # its values and its validity bitmap are read from there.
    for name in ("check_in", "check_out"):
        whole = pa.concat_arrays([typed.column(name).chunk(0).slice(0, 3), typed.column(name).chunk(0)])
        inside = whole.slice(3)
        assert inside.offset == 3 and inside.null_count > 0
        got = ta._instants(inside, "attendance", name)
        assert got[2] == 3 and got[1] is not None
        sess, att, brk = ta._columns(s, typed, b)
        att[name] = got
        r = tijdreg._tijdreg.report_from_columns(export["project"], ta._params(export.get("params")),
                                                 export.get("closures", []), sess, brk, att,
                                                 ta._elearning(pa.Table.from_pylist(export["elearning"])
                                                               if export.get("elearning") else None),
                                                 "2026-03-10T12:00:00Z")
        assert r.rows() == want, name


def test_pandas_polars_and_parquet_inputs(export, tmp_path) -> None:
    s, a, b = tables(export)
    want = from_arrow(export, s, a, b).amounts
    assert from_arrow(export, s.to_pandas(), a.to_pandas(), b.to_pandas()).amounts == want
    polars = pytest.importorskip("polars")
    assert from_arrow(export, polars.from_arrow(s), polars.from_arrow(a), polars.from_arrow(b)).amounts == want
    for name, t in (("s", s), ("a", a), ("b", b)):
        pq.write_table(t, tmp_path / f"{name}.parquet")
    assert from_arrow(export, str(tmp_path / "s.parquet"), tmp_path / "a.parquet", tmp_path / "b.parquet").amounts == want


def test_typed_columns_out(export) -> None:
    s, a, b = tables(export)
    r = from_arrow(export, s, a, b)
    t = r.to_arrow()
    assert t.num_rows == len(r) == len(r.rows())
    assert t.schema.field("amount").type == pa.decimal128(38, 12) and t.schema.field("date").type == pa.date32()
    assert pa.types.is_dictionary(t.schema.field("person").type)
    rows = r.rows()
    assert len({row["person"] for row in rows}) > 1 and len({row["date"] for row in rows}) > 1
    assert len({row["amount"] for row in rows}) > 1, "values shared between rows are told apart"
    # Money keeps its digits as the report writes them (values shared between rows included).
    lines = json.loads(r.to_json())["lines"]
    assert [(str(x["unit_cost"]), str(x["amount"])) for x in rows] == [(x["unit_cost"], x["amount"]) for x in lines]
    shared = [k for k in t.column_names if k in rows[0] and k not in ("amount", "unit_cost")]
    for i, row in enumerate(t.to_pylist()):
        assert {k: row[k] for k in shared} == {k: rows[i][k] for k in shared}, i
        assert row["amount"].quantize(Decimal("0.01")) == rows[i]["amount"].quantize(Decimal("0.01"))
        assert row["unit_cost"] == rows[i]["unit_cost"]
    total = sum(t.column("amount").to_pylist(), Decimal(0))
    assert abs(total - r.amounts["uncapped"]) < Decimal("0.000001")
    ex = r.excluded_to_arrow(text=True)
    assert ex.schema.field("from").type == pa.timestamp("s", tz="Europe/Brussels")
    assert ex.schema.field("text").type == pa.string()
    # Every stretch's explanation, in order, as the report's JSON gives it (SUB-9).
    stretches = [(i, e["rule"], e["text"]) for i, x in enumerate(lines) for e in x["excluded"]]
    assert list(zip(ex.column("line").to_pylist(), ex.column("rule").to_pylist(), ex.column("text").to_pylist())) == stretches
    assert any("–" in t for _, _, t in stretches), "texts beyond ASCII, offsets in bytes"
    first = ex.to_pylist()[0]
    assert first["rule"].startswith("SUB-") and first["text"] and first["line"] < t.num_rows
    assert list(r.to_pandas().columns) == t.column_names
    pytest.importorskip("polars")
    assert r.to_polars().height == t.num_rows


@pytest.mark.parametrize("change,where", [
    (lambda s, a: (s.drop_columns(["status"]), a), "sessions: the column 'status' is missing"),
    (lambda s, a: (s, a.set_column(0, "session", pa.array(["S-404"] + a.column("session").to_pylist()[1:]))),
     "attendance[0].session"),
    (lambda s, a: (s, a.set_column(a.schema.get_field_index("check_out"), "check_out",
                                    pa.array([None] + a.column("check_out").to_pylist()[1:], a.schema.field("check_out").type))),
     "attendance[0].check_out"),
    (lambda s, a: (s.set_column(s.schema.get_field_index("status"), "status", pa.array(["Done"] * s.num_rows)), a),
     "sessions[0].status"),
])
def test_errors_name_table_row_and_column(export, change, where) -> None:
    s, a, b = tables(export)
    s, a = change(s, a)
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, s, a, b)
    assert where in e.value.message_en, e.value.message_en


def _replaced(t, name, arr):
    return t.set_column(t.schema.get_field_index(name), name, arr)


@pytest.mark.parametrize("table,column", [("sessions", "id"), ("sessions", "training"), ("sessions", "status"),
                                          ("attendance", "session"), ("attendance", "person")])
@pytest.mark.parametrize("odd", ["list", "struct"])
def test_a_column_of_the_wrong_kind_is_refused_by_name(export, table, column, odd) -> None:
    """AUD-3: lists or structs where ids are expected, numbers or text where booleans are, give
    the package's input error naming the table and column — not pyarrow's cast error (found by
    mutating the tables' columns)."""
    s, a, b = tables(export)
    t = {"sessions": s, "attendance": a}
    n = t[table].num_rows
    t[table] = _replaced(t[table], column, pa.array([[1]] * n) if odd == "list" else pa.array([{"x": 1}] * n))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, t["sessions"], t["attendance"], b)
    assert f"{table}.{column}: expected text" in e.value.message_en, e.value.message_en


@pytest.mark.parametrize("values", [[1, 0], [1.5, 0.0], ["true", "false"]])
def test_flags_that_are_not_booleans_are_refused_by_name(export, values) -> None:
    s, a, b = tables(export)
    a = _replaced(a, "absent", pa.array([values[i % 2] for i in range(a.num_rows)]))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, s, a, b)
    assert "attendance.absent: expected booleans" in e.value.message_en, e.value.message_en


def test_flags_that_are_all_null_are_false(export) -> None:
    """A flag column of nothing but nulls (pandas makes a column of Nones Arrow's null type) is
    all false, as a null in a boolean column is; pyarrow could not fill it before."""
    s, a, b = tables(export)
    want = from_arrow(export, s, _replaced(a, "late", pa.array([False] * a.num_rows)), b)
    got = from_arrow(export, s, _replaced(a, "late", pa.nulls(a.num_rows)), b)
    assert got.rows() == want.rows() and got.amounts == want.amounts


def test_a_calls_project_column_of_the_wrong_kind_is_refused_by_name() -> None:
    t = synth.call(projects=2, intervals=200, seed=3)
    s = _replaced(t["sessions"], "project", pa.array([[1]] * t["sessions"].num_rows))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        ta.call_totals_from_arrow(s, t["attendance"], breaks=t["breaks"], params=synth.PARAMS, at=synth.REFERENCE)
    assert "sessions.project: expected text" in e.value.message_en, e.value.message_en


def _dictionary(col, values=None):
    """A text column dictionary-encoded, over `values` (unused and repeated ones allowed)."""
    rows = col.to_pylist()
    values = values or sorted(set(rows))
    first = {}
    for k, v in enumerate(values):
        first.setdefault(v, k)
    return pa.DictionaryArray.from_arrays(pa.array([first[r] for r in rows], pa.int32()), pa.array(values))


def test_dictionary_encoded_ids_give_the_same_report(export, tmp_path) -> None:
    s, a, b = tables(export)
    want = from_arrow(export, s, a, b)
    ses = a.schema.get_field_index("session")
    per = a.schema.get_field_index("person")
    enc = a.set_column(ses, "session", _dictionary(a.column("session"))).set_column(
        per, "person", _dictionary(a.column("person")))
    b_enc = b.set_column(0, "session", _dictionary(b.column("session")))
    got = from_arrow(export, s, enc, b_enc)
    assert got.rows() == want.rows() and got.amounts == want.amounts
    # Session ids in the dictionary in the sessions table's order, in the reverse order, and
    # with an unused id between them: each value is matched to its session either way.
    ids = s.column("id").to_pylist()
    for values in (ids, ids[::-1], [x for i in ids for x in (i, "S-unused-" + i)]):
        again = a.set_column(ses, "session", _dictionary(a.column("session"), values))
        assert from_arrow(export, s, again, b_enc).rows() == want.rows()
    # A dictionary holding an id twice, and ids no row uses.
    names = sorted(set(a.column("person").to_pylist()))
    twice = a.set_column(per, "person", pa.DictionaryArray.from_arrays(
        pa.array([names.index(p) + (len(names) if i % 2 else 0) for i, p in enumerate(a.column("person").to_pylist())],
                 pa.int32()),
        pa.array(names + names + ["p-nobody"])))
    assert from_arrow(export, s, twice, b).rows() == want.rows()
    # Parquet read by path keeps ids dictionary-encoded.
    pq.write_table(a, tmp_path / "a.parquet")
    assert from_arrow(export, s, str(tmp_path / "a.parquet"), b).amounts == want.amounts
    # Errors still name the row: an unknown session, a missing person.
    sessions = a.column("session").to_pylist()
    bad = enc.set_column(ses, "session", pa.DictionaryArray.from_arrays(
        pa.array([0] + list(range(1, a.num_rows)), pa.int32()), pa.array(["S-404"] + sessions[1:])))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, s, bad, b)
    assert "attendance[0].session" in e.value.message_en
    # The first row naming no session is the one named, wherever it is.
    later = enc.set_column(ses, "session", pa.DictionaryArray.from_arrays(
        pa.array([0] * 7 + [1] + [0] * (a.num_rows - 8), pa.int32()), pa.array([sessions[0], "S-404"])))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, s, later, b)
    assert "attendance[7].session" in e.value.message_en
    # A code past the dictionary's end (Arrow checks it only when asked to) is refused.
    past = enc.set_column(ses, "session", pa.DictionaryArray.from_arrays(
        pa.array([0] * (a.num_rows - 1) + [2], pa.int32()), pa.array([sessions[0], sessions[1]]), safe=False))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, s, past, b)
    assert "attendance.session: a dictionary code names no value" in e.value.message_en, e.value.message_en
    missing = enc.set_column(per, "person", pa.DictionaryArray.from_arrays(
        pa.array([None] + list(range(1, a.num_rows)), pa.int32()), pa.array(a.column("person").to_pylist())))
    with pytest.raises(tijdreg.InvalidInputError) as e:
        from_arrow(export, s, missing, b)
    assert "attendance[0].person" in e.value.message_en


def test_a_call_with_dictionary_encoded_ids_gives_the_same_totals(tmp_path) -> None:
    call = synth.call(projects=5, intervals=4_000, seed=3)
    plain = ta.call_totals_from_arrow(call["sessions"], call["attendance"], breaks=call["breaks"],
                                      params=synth.PARAMS, at=synth.REFERENCE)
    for name in ("sessions", "attendance", "breaks"):
        pq.write_table(call[name], tmp_path / f"{name}.parquet")
    by_path = ta.call_totals_from_arrow(str(tmp_path / "sessions.parquet"), str(tmp_path / "attendance.parquet"),
                                        breaks=str(tmp_path / "breaks.parquet"), params=synth.PARAMS,
                                        at=synth.REFERENCE)
    assert by_path == plain and len(plain) == 5
    # Person ids dictionary-encoded too (a category column), the dictionary holding each twice.
    a = call["attendance"]
    per = a.schema.get_field_index("person")
    names = sorted(set(a.column("person").to_pylist()))
    twice = pa.DictionaryArray.from_arrays(
        pa.array([names.index(p) + (len(names) if i % 3 == 0 else 0) for i, p in enumerate(a.column("person").to_pylist())],
                 pa.int32()), pa.array(names + names))
    coded = ta.call_totals_from_arrow(call["sessions"], a.set_column(per, "person", twice), breaks=call["breaks"],
                                      params=synth.PARAMS, at=synth.REFERENCE)
    assert coded == plain


def test_person_ids_are_read_as_a_dictionary_only_when_the_file_keeps_them_so(tmp_path) -> None:
    """A parquet file whose person column the writer kept dictionary-encoded is read so; one
    whose writer fell back to plain pages (too many distinct ids) is read plain; a missing file
    or column reads plain. The call's totals are the same either way."""
    n = 200_000
    pq.write_table(pa.table({"person": [f"p-{i % 5000:09d}" for i in range(n)]}), tmp_path / "cohort.parquet")
    pq.write_table(pa.table({"person": [f"p-{i:09d}" for i in range(n)]}), tmp_path / "distinct.parquet")
    assert ta._stored_as_dictionary(tmp_path / "cohort.parquet", "person")
    assert not ta._stored_as_dictionary(tmp_path / "distinct.parquet", "person")
    assert not ta._stored_as_dictionary(tmp_path / "cohort.parquet", "session")
    assert not ta._stored_as_dictionary(tmp_path / "none.parquet", "person")
    call = synth.call(projects=5, intervals=4_000, seed=5)
    want = ta.call_totals_from_arrow(call["sessions"], call["attendance"], breaks=call["breaks"],
                                     params=synth.PARAMS, at=synth.REFERENCE)
    for dictionary in (True, False):
        folder = tmp_path / str(dictionary)
        folder.mkdir()
        for name in ("sessions", "attendance", "breaks"):
            pq.write_table(call[name], folder / f"{name}.parquet", use_dictionary=dictionary)
        assert ta._stored_as_dictionary(folder / "attendance.parquet", "person") is dictionary
        got = ta.call_totals_from_arrow(str(folder / "sessions.parquet"), str(folder / "attendance.parquet"),
                                        breaks=str(folder / "breaks.parquet"), params=synth.PARAMS, at=synth.REFERENCE)
        assert got == want


def test_a_call_gives_the_same_totals_and_errors_on_any_number_of_threads() -> None:
    call = synth.call(projects=7, intervals=5_000, seed=5)
    args = dict(breaks=call["breaks"], params=synth.PARAMS, at=synth.REFERENCE)
    one = ta.call_totals_from_arrow(call["sessions"], call["attendance"], threads=1, **args)
    assert len(one) == 7
    for n in (None, 2, 3, 7, 64, 10**9):
        assert ta.call_totals_from_arrow(call["sessions"], call["attendance"], threads=n, **args) == one, n
    # Bad check-outs in two projects' rows: the first project's error, whatever the split.
    a = call["attendance"]
    projects = a.column("project").to_pylist()
    first = {p: i for i, p in reversed(list(enumerate(projects)))}
    in_order = sorted(first, key=first.get)
    first_bad, second_bad = in_order[1], in_order[5]
    out = a.column("check_out").to_pylist()
    for p in (first_bad, second_bad):
        row = next(i for i, x in enumerate(projects) if x == p and out[i] is not None)
        out[row] = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    bad = a.set_column(a.schema.get_field_index("check_out"), "check_out", pa.array(out, a.schema.field("check_out").type))
    messages = set()
    for n in (1, 2, 3, 7):
        with pytest.raises(tijdreg.InvalidInputError) as e:
            ta.call_totals_from_arrow(call["sessions"], bad, threads=n, **args)
        messages.add(e.value.message_en)
    assert len(messages) == 1 and f"(project {first_bad})" in messages.pop()


def test_a_calls_columns_are_read_alike_and_refused_in_one_order_on_any_number_of_threads() -> None:
    # The native call reads the columns without the GIL, on two threads when it counts on two
    # (the attendance table's instants on one, the rest on the other): the same totals, and the
    # same first error as one thread meets them (a bad session column before a bad instant).
    call = synth.call(projects=5, intervals=3_000, seed=8)
    s = call["sessions"]
    codes, projects = ta._codes(s.column("project").combine_chunks())
    sess, att, brk = ta._columns(s, call["attendance"], call["breaks"])
    sess["project"] = codes
    names = [str(p) for p in projects]

    def run(sess, att, threads):
        return tijdreg._tijdreg.call_totals_from_columns(names, ta._params(synth.PARAMS), [], sess, brk, att, "", [],
                                                         "2027-01-31T12:00:00Z", threads)

    want = run(sess, att, 1)
    assert run(sess, att, 2) == want and len(want) == 5
    values, validity, offset, _ = att["check_in"]
    bad_unit = dict(att, check_in=(values, validity, offset, 7))
    bad_status = dict(sess, **{"sessions.status": ta._strings(pa.array(["Done"] * s.num_rows), "sessions", "status")})
    for threads in (1, 2):
        with pytest.raises(tijdreg.InvalidInputError, match="attendance.check_in: an unknown time unit"):
            run(sess, bad_unit, threads)
        with pytest.raises(tijdreg.InvalidInputError, match=r"sessions\[0\].status"):
            run(bad_status, bad_unit, threads)


def test_the_arrow_and_json_paths_agree_on_synthetic_projects() -> None:
    call = synth.call(projects=6, intervals=6_000, seed=9)
    sums = ta.call_totals_from_arrow(call["sessions"], call["attendance"], breaks=call["breaks"],
                                     params=synth.PARAMS, at=synth.REFERENCE)
    for p, t in synth.project_tables(call):
        rec = {"project": p, "params": synth.PARAMS, "sessions": []}
        brk = {}
        for r in t["breaks"].to_pylist():
            brk.setdefault(r["session"], []).append({"start": r["start"], "end": r["end"]})
        parts = {}
        for r in t["attendance"].to_pylist():
            sess = parts.setdefault(r["session"], {})
            person = sess.setdefault(r["person"], {"person": r["person"], "intervals": [], "absent": bool(r["absent"])})
            if r["check_in"] is not None:
                person["intervals"].append({"check_in": r["check_in"], "check_out": r["check_out"]})
        for x in t["sessions"].to_pylist():
            rec["sessions"].append({"id": x["id"], "training": x["training"], "date": x["date"], "start": x["start"],
                                    "end": x["end"], "status": x["status"], "breaks": brk.get(x["id"], []),
                                    "participants": list(parts.get(x["id"], {}).values())})
        by_json = tijdreg.report_from_records(rec, synth.REFERENCE)
        assert {k: v for k, v in by_json.amounts.items() if v is not None} == sums[p]["amounts"], p
        assert sums[p]["realised"]["counted_minutes"] == by_json.realised["counted_minutes"], p
        # The call's summary is the project's own, value for value and type for type (Decimal
        # money, datetime instants), though built natively rather than through JSON.
        alone = ta.totals_from_arrow(t["sessions"], t["attendance"], breaks=t["breaks"], project=p,
                                     params=synth.PARAMS, at=synth.REFERENCE)
        assert sums[p] == alone, p
        assert repr(sums[p]) == repr(alone), p


def test_apply_scans_applies_a_columnar_batch_with_per_row_refusals(started) -> None:
    led = started
    tok = led._keys.issue("k1", "P-1", "p-bart")
    t = pa.table({
        "command_id": ["s1", "s2", "s3", "s4", "s1"],
        "actor": ["p-tom"] * 5,
        "at": pa.array([dt.datetime(2026, 3, 2, 7, 55, tzinfo=dt.timezone.utc)] * 5),
        "kind": ["check_in", "check_in", "check_in", "check_out", "check_in"],
        "session": ["S-1", "S-1", "S-1", "S-404", "S-1"],
        "person": ["p-ann", None, "p-ann", "p-ann", "p-ann"],
        "token": [None, tok, None, None, None],
    })
    before = led.event_count
    applied, refused = led.apply_scans(t)
    # s1 and s2 apply; s3 is a second check-in of Ann (ATT-3); s4 names no session the
    # trainer may see (ACC-6); the last row retries s1 and changes nothing (ATT-3).
    assert applied == 3 and [f.row for f in refused] == [2, 3]
    assert (refused[0].code, refused[0].rule) == ("already_present", "ATT-3")
    assert refused[1].rule == "ACC-6" and refused[1].message_nl
    assert led.event_count == before + 2
    session = led.query({"type": "session", "session": "S-1"}, actor="p-tom", at=dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone.utc))
    assert {"p-ann", "p-bart"} <= {p for p, r in session["participants"].items() if r.get("present_since")}


def test_records_as_python_values_are_converted_natively(export) -> None:
    text = json.dumps(export)
    assert tijdreg.report_from_records(export, AT).rows() == tijdreg.report_from_records(text, AT).rows()
    bad = dict(export, params={"unit_cost_per_participant_hour": {"2026-01-01": {"name": "unit_cost_per_participant_hour", "value": 12.5}}})
    with pytest.raises(TypeError, match="floats are not accepted"):
        tijdreg.report_from_records(bad, AT)


def test_apply_returns_typed_events(started) -> None:
    from tijdreg import commands as c
    from tijdreg import events as ev

    out = started.apply(c.CheckIn("S-1", person="p-ann"), actor="p-tom",
                        at=dt.datetime(2026, 3, 2, 7, 55, tzinfo=dt.timezone.utc), command_id="typed")
    rec = out.events[0]
    assert isinstance(rec, ev.Recorded) and isinstance(rec.event, ev.CheckedIn)
    assert rec.event.time == dt.datetime(2026, 3, 2, 7, 55, tzinfo=dt.timezone.utc) and rec.event.method == "manual"
    assert rec["event"]["person"] == "p-ann" and rec.event["type"] == "checked_in" and out.event_types == ["checked_in"]
    assert rec.event.to_dict()["type"] == "checked_in"


def test_apply_scans_logs_what_the_same_commands_one_by_one_log(started) -> None:
    """Each row becomes the command the JSON interface would get (kinds, a person or a token,
    an actor that changes, a registered time or none): the same refusals and the same log as
    applying those commands one at a time on a twin ledger (ATT-1, ATT-3, QR-1)."""
    led = started
    twin = tijdreg.Ledger.load(led.snapshot(), led._keys)
    tok = led._keys.issue("k1", "P-1", "p-bart")
    utc = dt.timezone.utc
    t = lambda h, m: dt.datetime(2026, 3, 2, h, m, tzinfo=utc)  # noqa: E731
    rows = [  # command_id, actor, at, kind, person, token, time
        ("a1", "p-tom", t(7, 55), "check_in", "p-ann", None, None),
        ("a2", "p-tom", t(7, 56), "check_in", None, tok, None),
        ("a3", "system", t(7, 57), "check_in", "p-cas", None, None),
        ("a4", "p-eva", t(7, 58), "check_in", "p-cas", None, None),
        ("a5", "p-tom", t(10, 55), "check_out", "p-ann", None, t(10, 50)),
        ("a6", "p-tom", t(10, 56), "check_out", None, tok, None),
        ("a1", "p-tom", t(7, 55), "check_in", "p-ann", None, None),
        ("a7", "p-tom", t(10, 57), "mark_absent", "p-cas", None, None),
        ("a8", "p-tom", t(10, 58), "check_in", None, tok, None),
        ("a9", "p-tom", t(10, 59), "check_in", "p-ann", None, t(10, 58)),
    ]
    table = pa.table({
        "command_id": [r[0] for r in rows],
        "actor": [r[1] for r in rows],
        "at": pa.array([r[2] for r in rows], pa.timestamp("s", "UTC")),
        "kind": [r[3] for r in rows],
        "session": ["S-1"] * len(rows),
        "person": [r[4] for r in rows],
        "token": [r[5] for r in rows],
        "time": pa.array([r[6] for r in rows], pa.timestamp("s", "UTC")),
    })
    applied, refused = led.apply_scans(table)
    want = []
    for i, (cid, actor, at_, kind, person, token, time) in enumerate(rows):
        cmd = {"type": kind, "session": "S-1"}
        cmd.update({"person": person} if person is not None else {"token": token})
        if time is not None:
            cmd["time"] = time.isoformat()
        try:
            twin.apply_json(json.dumps({"command_id": cid, "actor": actor, "at": at_.isoformat(), "command": cmd}))
        except tijdreg.Error as e:
            want.append((i, e.code, e.rule))
    assert [(f.row, f.code, f.rule) for f in refused] == want and len(want) >= 2
    assert applied == len(rows) - len(want)
    assert led.events() == twin.events() and led.snapshot() == twin.snapshot()


def test_rows_keep_each_amounts_digits_when_values_are_equal() -> None:
    """`rows()` shares recurring values between rows by their digits, not their value: 45
    minutes at 12.50 an hour are worth 9.3750, and a later line's unit cost is 9.375 — equal
    decimals that print apart, each as the report writes it (SUB-8)."""
    cost = {d: {"name": "unit_cost_per_participant_hour", "value": v} for d, v in
            (("2026-01-01", "12.50"), ("2026-03-03", "9.375"))}

    def session(sid: str, date: str, end: str, out: str) -> dict:
        return {"id": sid, "training": "T-1", "date": date, "start": "09:00:00", "end": end, "status": "Submitted",
                "participants": [{"person": "p-ann", "intervals": [
                    {"check_in": f"{date}T08:00:00Z", "check_out": f"{date}T{out}:00Z"}]}]}
    rec = {"project": "P-1", "params": {"unit_cost_per_participant_hour": cost},
           "sessions": [session("S-1", "2026-03-02", "09:45:00", "08:45"),
                        session("S-2", "2026-03-03", "10:00:00", "09:00")]}
    r = tijdreg.report_from_records(rec, AT)
    lines = json.loads(r.to_json())["lines"]
    assert Decimal(lines[0]["amount"]) == Decimal(lines[1]["unit_cost"]), lines
    assert lines[0]["amount"] != lines[1]["unit_cost"], lines
    assert [(str(x["unit_cost"]), str(x["amount"])) for x in r.rows()] == [(x["unit_cost"], x["amount"]) for x in lines]
