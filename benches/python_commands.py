"""Commands from Python (docs/benchmarks.md, issues 10 and 11): the same check-ins applied
through each path, every path on a fresh ledger with the same set-up, in one run.

    .venv/bin/python benches/python_commands.py [--people 5000] [--sessions 10] [--repeat 3]

The set-up is the conformance fixture `base` (organisations, a project, a trainer) plus
``--people`` participants registered and ``--sessions`` sessions on consecutive working days,
each with every participant, planned and started. Then every participant of every session
is checked in (``people × sessions`` commands):

- ``Ledger.apply(CheckIn(...))``: a typed command at a time, events back as typed values;
  once with each outcome dropped, once with each outcome's events read (they are made when
  first read, ADR 24), once with every outcome kept in a list (what a bulk call returns:
  Python's cyclic collector walks the kept objects as they pile up);
- ``Ledger.apply_json(text)``: JSON text in and out, one at a time (the texts are made
  before the clock starts);
- ``Ledger.apply_many(envelopes)``: typed commands streamed in batches, GIL released per
  batch, typed results;
- ``NativeLedger.apply_many_json(text)``: the JSON bulk path (a list of envelopes in, a
  list of outcomes out);
- ``Ledger.apply_scans(table)``: a pyarrow table of check-ins, one native call (after one
  call on a throwaway ledger: pyarrow's one-time initialisation is not counted), on the first
  ledger of the process and on a third fresh one (the memory of the ledgers before it freed).

The Rust engine alone (``cargo bench --bench ledger``) is the ceiling of every path.

Rates are check-ins per second; the time to build the inputs is not counted. Each one-at-a-time
and bulk path runs on ``--repeat`` fresh ledgers (single runs move by ±10 % on a shared
machine) and the median is shown, with every run's rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from typing import Callable

import tijdreg
from tijdreg import commands as c
from tijdreg._convert import parse_instant

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BRU = dt.timezone(dt.timedelta(hours=1))


def day(i: int) -> dt.date:
    d = dt.date(2026, 3, 2)  # a Monday
    return d + dt.timedelta(days=7 * (i // 5) + i % 5)


def setup(people: int, sessions: int) -> tijdreg.Ledger:
    keys = tijdreg.Keyring()
    keys.add("k1", b"python-bench-secret-0123456789")
    led = tijdreg.Ledger(keys)
    with open(os.path.join(REPO, "tests", "conformance", "fixtures", "base.json"), encoding="utf-8") as f:
        steps = json.load(f)["steps"]
    for n, s in enumerate(steps):
        led.apply(s["command"], actor=s["actor"], at=parse_instant(s["at"]), command_id=f"base-{n}")
    t0 = dt.datetime(2026, 1, 5, 9, tzinfo=BRU)
    ids = [f"p-{i:05}" for i in range(people)]
    led.apply_many({"command_id": f"reg-{p}", "actor": "system", "at": t0,
                    "command": c.RegisterPerson(p, f"Deelnemer {p}", f"{p}@example.be")} for p in ids)
    for k in range(sessions):
        d = day(k)
        plan_at = dt.datetime(2026, 2, 2, 9, tzinfo=BRU)
        led.apply(c.PlanSession(f"S-{k}", "T-1", d, dt.time(9), dt.time(12), trainers=["p-tom"], participants=ids),
                  actor="p-olivia", at=plan_at, command_id=f"plan-{k}")
        led.apply(c.StartSession(f"S-{k}"), actor="p-tom", at=dt.datetime(d.year, d.month, d.day, 8, 40, tzinfo=BRU),
                  command_id=f"start-{k}")
    return led


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3,
                    help="fresh ledgers per one-at-a-time and bulk path; the median is shown")
    a = ap.parse_args()
    ids = [f"p-{i:05}" for i in range(a.people)]
    scans = [(f"S-{k}", p, dt.datetime(day(k).year, day(k).month, day(k).day, 8, 55, tzinfo=BRU))
             for k in range(a.sessions) for p in ids]
    n = len(scans)
    rows = []

    def timed(name: str, run: Callable[[tijdreg.Ledger], None]) -> None:
        """``run`` on ``--repeat`` fresh ledgers (the same set-up each); the median time."""
        times = []
        for _ in range(max(1, a.repeat)):
            led = setup(a.people, a.sessions)
            t = time.perf_counter()
            run(led)
            times.append(time.perf_counter() - t)
            del led
        rows.append((name, sorted(times)[len(times) // 2], times))

    cmds = [c.CheckIn(s, person=p) for s, p, _ in scans]

    def typed(led: tijdreg.Ledger) -> None:
        for i, (cmd, (_, _, at)) in enumerate(zip(cmds, scans)):
            led.apply(cmd, actor="p-tom", at=at, command_id=f"ci-{i}")
    timed("`Ledger.apply(CheckIn(...))`, typed, one at a time", typed)

    def typed_read(led: tijdreg.Ledger) -> None:
        for i, (cmd, (_, _, at)) in enumerate(zip(cmds, scans)):
            led.apply(cmd, actor="p-tom", at=at, command_id=f"ci-{i}").events
    timed("`Ledger.apply(CheckIn(...))`, typed, one at a time, every outcome's events read (made then: ADR 24)",
          typed_read)

    def typed_kept(led: tijdreg.Ledger) -> None:
        kept = []
        for i, (cmd, (_, _, at)) in enumerate(zip(cmds, scans)):
            kept.append(led.apply(cmd, actor="p-tom", at=at, command_id=f"ci-{i}"))
    timed("`Ledger.apply(CheckIn(...))`, typed, one at a time, every outcome kept (as `apply_many` keeps them)",
          typed_kept)

    texts = [json.dumps({"command_id": f"ci-{i}", "actor": "p-tom", "at": at.isoformat(),
                         "command": {"type": "check_in", "session": s, "person": p}})
             for i, (s, p, at) in enumerate(scans)]

    def by_json(led: tijdreg.Ledger) -> None:
        for x in texts:
            led.apply_json(x)
    timed("`Ledger.apply_json(text)`, one at a time", by_json)

    envs = [{"command_id": f"ci-{i}", "actor": "p-tom", "at": at, "command": cmd}
            for i, (cmd, (_, _, at)) in enumerate(zip(cmds, scans))]

    def many(led: tijdreg.Ledger) -> None:
        res = led.apply_many(envs)
        assert all(isinstance(r, tijdreg.Outcome) for r in res)
    timed("`Ledger.apply_many(envelopes)`, typed, batches of 4096", many)

    batch = "[" + ",".join(texts) + "]"

    def many_json(led: tijdreg.Ledger) -> None:
        out = json.loads(led._native.apply_many_json(batch))
        assert all("error" not in r for r in out)
    timed("`NativeLedger.apply_many_json(text)`, a JSON list in and out", many_json)

    try:
        import pyarrow as pa
    except ImportError:
        pa = None
    if pa is not None:
        # pyarrow initialises its compute functions on their first use in a process (~20 ms
        # here); one scan on a throwaway ledger pays that first, as imports are excluded.
        tijdreg.Ledger().apply_scans(pa.table({
            "command_id": ["warm"], "actor": ["p-tom"], "at": pa.array([scans[0][2]], pa.timestamp("us", "UTC")),
            "kind": ["check_in"], "session": ["S-none"], "person": ["p-none"]}))
        table = pa.table({
            "command_id": [f"ci-{i}" for i in range(n)],
            "actor": ["p-tom"] * n,
            "at": pa.array([at for _, _, at in scans], pa.timestamp("us", "UTC")),
            "kind": ["check_in"] * n,
            "session": [s for s, _, _ in scans],
            "person": [p for _, p, _ in scans],
        })
        # Three fresh ledgers one after the other: the first grows its state into memory the
        # process never had (a page fault per 4 KiB), the later ones into the freed memory of
        # the ledgers before them, as a long-running process does.
        for k in range(3):
            led = setup(a.people, a.sessions)
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t = time.perf_counter()
            applied, refused = led.apply_scans(table)
            secs = time.perf_counter() - t
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
            assert applied == n and not refused, refused[:3]
            if k != 1:
                which = "first ledger of the process" if k == 0 else "third fresh ledger (memory recycled)"
                rows.append((f"`Ledger.apply_scans(table)`, columnar, one native call: {which}, {faults:,} page faults",
                             secs, [secs]))
            del led

    print(f"{n:,} check-ins ({a.sessions} sessions × {a.people:,} participants), Python {sys.version.split()[0]}")
    print()
    print("| path | time (median) | rate (median) | rates of every run, in order |")
    print("|---|---|---|---|")
    for name, secs, every in rows:
        rates = ", ".join(f"{n / t / 1e3:.0f}" for t in every)
        print(f"| {name} | {secs:.2f} s | {n / secs / 1e3:.0f} k/s | {rates} k/s |")


if __name__ == "__main__":
    main()
