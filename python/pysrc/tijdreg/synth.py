"""A synthetic funding call (``pip install tijdreg[arrow]``): seeded, realistic enough to
measure and to try the engine on — thousands of projects, working days of 2026, sessions of
two to four hours with a break, participants who arrive a little early or late, leave and
come back, stay away, or sit in two overlapping sessions of the same day.

>>> from tijdreg import synth
>>> call = synth.call(projects=3, intervals=2_000, seed=7)
>>> sorted(call)
['attendance', 'breaks', 'params', 'sessions']
>>> 1_500 < call["attendance"].num_rows < 2_500
True

Tables have the columns of ``docs/records.md`` ("Columns") plus ``project``; split them with
:func:`project_tables` or write them with :func:`write_parquet` (one folder per project, the
layout :mod:`tijdreg.dask` reads).
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any, Dict, Iterator, Tuple

PARAMS = {
    "unit_cost_per_participant_hour": {"2026-01-01": {"name": "unit_cost_per_participant_hour", "value": "12.50"}},
    "rounding": {"2026-01-01": {"name": "rounding", "value": {"minutes": 1, "direction": "down"}}},
}
"""The call's parameters: 12.50 euro per participant hour, rounding down to the minute."""


def _np() -> Any:
    import numpy

    return numpy


def _working_days_2026() -> Any:
    np = _np()
    days = np.arange(np.datetime64("2026-01-05"), np.datetime64("2026-12-19"))
    weekday = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    return days[weekday < 5]


def call(projects: int = 1000, intervals: int = 1_000_000, seed: int = 1, overlaps: bool = True) -> Dict[str, Any]:
    """A call of ``projects`` projects with about ``intervals`` attendance intervals in all,
    as pyarrow tables (sessions, breaks, attendance) and the call's parameters. With
    ``overlaps=False`` each training has its own cohort of 16 people and nobody sits in two
    sessions at once (the common case a simple implementation handles, for comparisons)."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    np = _np()
    rng = np.random.default_rng(seed)
    # Rows per session on average: 8–13 participants, 10 % of them twice (fewer where a
    # project-wide pool of 40 draws someone twice for one session).
    per_session = 10.2 if overlaps else 11.5
    n_sessions = max(projects, int(intervals / per_session))
    project = np.sort(rng.integers(0, projects, n_sessions))
    project[:projects] = np.arange(projects)  # every project has a session
    project.sort()
    training = rng.integers(0, 4, n_sessions)
    days = _working_days_2026()
    date = days[rng.integers(0, len(days), n_sessions)]
    start_min = rng.choice([8 * 60, 8 * 60 + 30, 9 * 60, 13 * 60, 13 * 60 + 30], n_sessions)
    length = rng.choice([120, 180, 210, 240], n_sessions)
    # Sessions of one training never overlap (SES-2): make (project, training, date, start) unique
    # by moving clashing ones to the afternoon or dropping them.
    key = ((project.astype(np.int64) * 8 + training) * 400 + (date - days[0]).astype(np.int64)) * 2 + (start_min >= 12 * 60)
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(n_sessions, dtype=bool)
    keep[first] = True
    project, training, date, start_min, length = (x[keep] for x in (project, training, date, start_min, length))
    start_min = np.where(start_min >= 12 * 60, 13 * 60 + 30, np.minimum(start_min, 9 * 60))
    n = len(project)
    sid = np.arange(n)
    dst = (date >= np.datetime64("2026-03-29")) & (date < np.datetime64("2026-10-25"))
    offset = np.where(dst, 7200, 3600)
    day_s = date.astype("datetime64[s]").view("int64")
    start_utc = day_s + start_min * 60 - offset
    end_utc = start_utc + length * 60
    status = np.where(rng.random(n) < 0.97, "Executed", "InProgress")
    sessions = pa.table({
        "project": pa.array([f"P-{p:05d}" for p in project]),
        "id": pa.array([f"S-{i:07d}" for i in sid]),
        "training": pa.array([f"T-{p:05d}-{t}" for p, t in zip(project, training)]),
        "date": pa.array(date.astype("datetime64[D]"), type=pa.date32()),
        "start": pa.array((start_min * 60).astype(np.int32), type=pa.int32()).cast(pa.time32("s")),
        "end": pa.array(((start_min + length) * 60).astype(np.int32), type=pa.int32()).cast(pa.time32("s")),
        "status": pa.array(status),
    })
    # One break of 15 minutes in the middle of sessions of three hours or more.
    has_break = length >= 180
    mid = start_min + (length // 2 // 15) * 15
    breaks = pa.table({
        "project": sessions.column("project").filter(pa.array(has_break)),
        "session": sessions.column("id").filter(pa.array(has_break)),
        "start": pa.array((mid[has_break] * 60).astype(np.int32)).cast(pa.time32("s")),
        "end": pa.array(((mid[has_break] + 15) * 60).astype(np.int32)).cast(pa.time32("s")),
    })
    # Participants: 8 to 13 per session, from a pool of about 40 per project.
    k = rng.integers(8, 14, n)
    row_session = np.repeat(sid, k)
    person = np.repeat(project, k) * 64 + rng.integers(0, 40, len(row_session))
    if not overlaps:
        # A cohort of 16 per training: sessions of one training never overlap (above), and
        # cohorts of different trainings never meet, so nobody sits in two sessions at once.
        seat = np.arange(len(row_session)) - np.repeat(np.cumsum(k) - k, k)  # 0..k-1 in a session
        turn = np.repeat(rng.integers(0, 16, n), k)  # who of the cohort comes varies by session
        person = (np.repeat(project, k).astype(np.int64) * 4 + np.repeat(training, k)) * 16 + (seat + turn) % 16
    # A person once per session.
    pair = row_session.astype(np.int64) * (1 << 24) + person
    _, uniq = np.unique(pair, return_index=True)
    uniq.sort()
    row_session, person = row_session[uniq], person[uniq]
    m = len(row_session)
    fate = rng.random(m)
    absent = fate < 0.05
    twice = (fate >= 0.05) & (fate < 0.15)
    s0, s1 = start_utc[row_session], end_utc[row_session]
    early = rng.integers(-20 * 60, 25 * 60, m)
    late = rng.integers(-30 * 60, 15 * 60, m)
    cin = s0 + early
    cout = np.maximum(cin + 600, s1 + late)
    # Twice: away for 10 to 40 minutes in the middle.
    away_from = s0 + (s1 - s0) // 2 + rng.integers(-20 * 60, 20 * 60, m)
    away_to = away_from + rng.integers(10 * 60, 40 * 60, m)
    first_out = np.where(twice, np.minimum(away_from, cout - 60), cout)
    rows_in = [cin, away_to[twice]]
    rows_out = [first_out, np.maximum(cout[twice], away_to[twice] + 60)]
    sess_rows = np.concatenate([row_session, row_session[twice]])
    person_rows = np.concatenate([person, person[twice]])
    check_in = np.concatenate(rows_in)
    check_out = np.concatenate(rows_out)
    absent_rows = np.concatenate([absent, np.zeros(int(twice.sum()), dtype=bool)])
    nulls = pa.array(absent_rows)
    ts = pa.timestamp("s", tz="UTC")
    attendance = pa.table({
        "project": sessions.column("project").take(pa.array(sess_rows)),
        "session": sessions.column("id").take(pa.array(sess_rows)),
        "person": pa.array([f"p-{x:09d}" for x in person_rows]),
        "check_in": pa.compute.if_else(nulls, pa.scalar(None, ts), pa.array(check_in, type=pa.int64()).cast(ts)),
        "check_out": pa.compute.if_else(nulls, pa.scalar(None, ts), pa.array(check_out, type=pa.int64()).cast(ts)),
        "absent": nulls,
    })
    return {"sessions": sessions, "breaks": breaks, "attendance": attendance, "params": PARAMS}


def project_tables(c: Dict[str, Any]) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """The call split per project: (project id, {sessions, breaks, attendance})."""
    np = _np()
    spans: Dict[str, Dict[str, Tuple[int, int]]] = {}
    tables = {}
    for name in ("sessions", "breaks", "attendance"):
        t = c[name].sort_by("project")
        tables[name] = t
        enc = t.column("project").combine_chunks().dictionary_encode()
        codes = enc.indices.to_numpy()
        cuts = np.concatenate([[0], np.flatnonzero(np.diff(codes)) + 1, [len(codes)]])
        values = enc.dictionary.to_pylist()
        spans[name] = {values[codes[a]]: (int(a), int(b - a)) for a, b in zip(cuts[:-1], cuts[1:]) if b > a}
    for p in sorted(spans["sessions"]):
        yield p, {name: tables[name].slice(*spans[name].get(p, (0, 0))) for name in tables}


def write_parquet(c: Dict[str, Any], folder: str) -> None:
    """Writes the call as parquet datasets ``folder/{sessions,breaks,attendance}`` partitioned
    by project (hive layout ``project=P-00001``)."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    for name in ("sessions", "breaks", "attendance"):
        pq.write_to_dataset(c[name], os.path.join(folder, name), partition_cols=["project"])


REFERENCE = _dt.datetime(2027, 1, 31, 12, tzinfo=_dt.timezone.utc)
"""A reference instant after every session of the synthetic call."""
