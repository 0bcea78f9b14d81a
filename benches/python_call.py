"""End to end from parquet, in Python: tijdreg against a pandas implementation of the common
case and a plain-Python loop, on the same synthetic call (docs/benchmarks.md, issue 11).

    .venv/bin/python benches/python_call.py [--intervals 1000000 ...] [--projects 1000] [--repeat 3]

The common case: attendance ∩ planned session − planned breaks (SUB-1), rounded down to the
minute per participant and session (SUB-2), times the unit cost (SUB-8); the generator makes
no overlapping sessions per person, so all three must agree to the cent (checked). Each run
reads the parquet files and computes; peak memory is the process's own high-water mark
(each implementation in its own process). tijdreg and pandas run ``--repeat`` times, each in a
fresh process, and the median run is shown (single runs on a shared machine move by ±30 %).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal

UNIT = Decimal("12.50")


def tijdreg_run(folder: str) -> dict:
    import tijdreg.arrow as ta
    from tijdreg import synth

    # Paths: tijdreg reads the files itself, ids dictionary-encoded as parquet stores them.
    t = {n: os.path.join(folder, f"{n}.parquet") for n in ("sessions", "breaks", "attendance")}
    sums = ta.call_totals_from_arrow(t["sessions"], t["attendance"], breaks=t["breaks"], params=synth.PARAMS,
                                     at=synth.REFERENCE)
    return {p: s["realised"]["counted_minutes"] + s["provisional"]["counted_minutes"] for p, s in sums.items()}


def tijdreg_pyarrow_run(folder: str) -> dict:
    """tijdreg given the tables as pyarrow reads the files (ids dictionary-encoded as stored):
    the path every parquet file took before the engine read them itself (ADR 18)."""
    import tijdreg.arrow as ta
    from tijdreg import synth

    t = {n: ta._table(os.path.join(folder, f"{n}.parquet"), n) for n in ("sessions", "breaks", "attendance")}
    sums = ta.call_totals_from_arrow(t["sessions"], t["attendance"], breaks=t["breaks"], params=synth.PARAMS,
                                     at=synth.REFERENCE)
    return {p: s["realised"]["counted_minutes"] + s["provisional"]["counted_minutes"] for p, s in sums.items()}


def pandas_run(folder: str) -> dict:
    import numpy as np
    import pandas as pd

    s = pd.read_parquet(os.path.join(folder, "sessions.parquet"))
    b = pd.read_parquet(os.path.join(folder, "breaks.parquet"))
    a = pd.read_parquet(os.path.join(folder, "attendance.parquet"))

    def epoch(local: pd.Series) -> np.ndarray:
        """Seconds since the epoch of Brussels wall-clock datetimes."""
        return local.dt.tz_localize("Europe/Brussels").dt.tz_convert("UTC").dt.as_unit("s").astype("int64").to_numpy()

    def wall(days: pd.Series, times: pd.Series) -> pd.Series:
        secs = times.map(lambda t: t.hour * 3600 + t.minute * 60 + t.second).astype("int64")
        return pd.to_datetime(days) + pd.to_timedelta(secs, unit="s")

    s["start_at"], s["end_at"] = epoch(wall(s["date"], s["start"])), epoch(wall(s["date"], s["end"]))
    a = a.dropna(subset=["check_in"]).merge(s[["id", "start_at", "end_at"]], left_on="session", right_on="id")
    ci = a["check_in"].dt.as_unit("s").astype("int64").to_numpy()
    co = a["check_out"].dt.as_unit("s").astype("int64").to_numpy()
    f = np.maximum(ci, a["start_at"].to_numpy())
    t = np.minimum(co, a["end_at"].to_numpy())
    secs = np.clip(t - f, 0, None)
    if len(b):
        bs = b.merge(s[["id", "date"]], left_on="session", right_on="id")
        bs["start_at"], bs["end_at"] = epoch(wall(bs["date"], bs["start"])), epoch(wall(bs["date"], bs["end"]))
        rows = pd.DataFrame({"row": np.arange(len(a)), "session": a["session"].to_numpy(), "f": f, "t": t})
        j = rows.merge(bs[["session", "start_at", "end_at"]], on="session")
        cut = np.clip(np.minimum(j["t"], j["end_at"]) - np.maximum(j["f"], j["start_at"]), 0, None)
        secs = secs - np.bincount(j["row"].to_numpy(), weights=cut.to_numpy(), minlength=len(a)).astype("int64")
    a["secs"] = secs
    lines = a.groupby(["project", "session", "person"], observed=True)["secs"].sum()
    minutes = (lines // 60).groupby(level="project").sum()
    return {p: int(m) for p, m in minutes.items()}


def loop_run(folder: str) -> dict:
    import pyarrow.parquet as pq
    from zoneinfo import ZoneInfo

    bru = ZoneInfo("Europe/Brussels")
    sessions = pq.read_table(os.path.join(folder, "sessions.parquet")).to_pylist()
    breaks = pq.read_table(os.path.join(folder, "breaks.parquet")).to_pylist()
    rows = pq.read_table(os.path.join(folder, "attendance.parquet")).to_pylist()
    plan = {}
    for x in sessions:
        st = dt.datetime.combine(x["date"], x["start"], bru)
        en = dt.datetime.combine(x["date"], x["end"], bru)
        plan[x["id"]] = (st, en, x["date"], [])
    for br in breaks:
        st, en, d, bl = plan[br["session"]]
        bl.append((dt.datetime.combine(d, br["start"], bru), dt.datetime.combine(d, br["end"], bru)))
    lines: dict = {}
    for r in rows:
        if r["check_in"] is None:
            continue
        st, en, _, bl = plan[r["session"]]
        f, t = max(r["check_in"], st), min(r["check_out"], en)
        secs = max(0.0, (t - f).total_seconds())
        for bf, bt in bl:
            secs -= max(0.0, (min(t, bt) - max(f, bf)).total_seconds())
        key = (r["project"], r["session"], r["person"])
        lines[key] = lines.get(key, 0.0) + secs
    out: dict = {}
    for (p, _, _), secs in lines.items():
        out[p] = out.get(p, 0) + int(secs // 60)
    return out


def peak_mb() -> float:
    """The child's peak resident memory: the kernel's high-water mark of its own address space.
    (``ru_maxrss`` carries the parent's peak across the child's ``exec``: with the generated
    call in the parent, every child read ~270 MB more than it used.)"""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, folder: str) -> None:
    # Imports are not part of the measurement (a back-office process has them loaded).
    import numpy, pandas, pyarrow.parquet, tijdreg.arrow  # noqa: F401
    from zoneinfo import ZoneInfo

    ZoneInfo("Europe/Brussels")
    t0 = time.perf_counter()
    res = {"tijdreg": tijdreg_run, "tijdreg_pyarrow": tijdreg_pyarrow_run, "pandas": pandas_run,
           "loop": loop_run}[kind](folder)
    secs = time.perf_counter() - t0
    peak = peak_mb()
    total = sum(res.values())
    amount = (Decimal(total) * UNIT / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)
    print(json.dumps({"kind": kind, "seconds": secs, "peak_mb": peak, "minutes": total, "amount": str(amount),
                      "projects": len(res)}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--intervals", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--skip-loop-above", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="processes per implementation (the loop: one); the median time is shown")
    args = ap.parse_args()
    import pyarrow.parquet as pq
    from tijdreg import synth

    print("| intervals | tijdreg s | pandas s | plain loop s | pandas / tijdreg | loop / tijdreg | peak MB tijdreg / pandas / loop |"
          " tijdreg on pyarrow's tables s | agree |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.intervals:
        with tempfile.TemporaryDirectory() as folder:
            c = synth.call(projects=args.projects, intervals=n, seed=11, overlaps=False)
            for name in ("sessions", "breaks", "attendance"):
                pq.write_table(c[name], os.path.join(folder, f"{name}.parquet"))
            rows = c["attendance"].num_rows
            got = {}
            kinds = ["tijdreg", "pandas"] + (["loop"] if n <= args.skip_loop_above else []) + ["tijdreg_pyarrow"]
            for kind in kinds:
                runs = []
                for _ in range(1 if kind == "loop" else max(1, args.repeat)):
                    out = subprocess.run([sys.executable, __file__, "--child", kind, folder], capture_output=True,
                                         text=True, check=True).stdout
                    runs.append(json.loads(out.strip().splitlines()[-1]))
                runs.sort(key=lambda r: r["seconds"])
                got[kind] = runs[len(runs) // 2]  # the median run (its own peak memory)
                if len({r["amount"] for r in runs}) != 1:
                    got[kind]["amount"] = "runs disagree"
            agree = len({g["amount"] for g in got.values()}) == 1
            t = got["tijdreg"]["seconds"]
            lp = got.get("loop")
            print(f"| {rows:,} | {t:.2f} | {got['pandas']['seconds']:.2f} | {lp['seconds']:.2f} | " if lp else
                  f"| {rows:,} | {t:.2f} | {got['pandas']['seconds']:.2f} | – | ", end="")
            print(f"{got['pandas']['seconds'] / t:.1f}× | " + (f"{lp['seconds'] / t:.0f}× | " if lp else "– | "), end="")
            peaks = " / ".join(f"{got[k]['peak_mb']:.0f}" for k in kinds if k != "tijdreg_pyarrow")
            print(f"{peaks} | {got['tijdreg_pyarrow']['seconds']:.2f} | "
                  f"{'yes' if agree else 'NO: ' + str({k: g['amount'] for k, g in got.items()})} |", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
