"""A whole funding call on a local Dask cluster (issue 11): generate a synthetic call, write
it as a parquet dataset partitioned by project, evaluate it with two worker processes, and
print the call's summary beside a single-process run.

    .venv/bin/python examples/evaluate_call.py [--projects 500] [--intervals 500000]

Needs ``pip install 'tijdreg[dask]'``. The dataset goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from tijdreg import dask as tdask
from tijdreg import synth


def _peak_mb() -> float:
    """This process's peak resident memory (on a worker: the worker's), from the kernel's
    high-water mark of its address space (``ru_maxrss`` would carry the parent's peak across
    the worker's ``exec``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=500)
    ap.add_argument("--intervals", type=int, default=500_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        call = synth.call(projects=args.projects, intervals=args.intervals, seed=2026)
        synth.write_parquet(call, folder)
        print(f"generated {call['attendance'].num_rows:,} attendance rows of {args.projects} projects "
              f"in {time.perf_counter() - t:.1f} s -> {folder}")
        t = time.perf_counter()
        alone = tdask.evaluate_call(folder, at=synth.REFERENCE, params=synth.PARAMS, client=False)
        print(f"single process: {time.perf_counter() - t:.2f} s")
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            t = time.perf_counter()
            summary = tdask.evaluate_call(folder, at=synth.REFERENCE, params=synth.PARAMS, client=client,
                                          progress=True)
            print(f"\n{args.workers} workers: {time.perf_counter() - t:.2f} s")
            peaks = sorted(client.run(_peak_mb).values())
        rows = call["attendance"].group_by("project").aggregate([("project", "count")]).column(1).to_pylist()
        whole = sum(call[t].nbytes for t in ("sessions", "attendance", "breaks")) / 1e6
        print(f"peak memory per worker: {', '.join(f'{m:,.0f} MB' for m in peaks)} "
              f"(the call in Arrow: {whole:,.0f} MB; the largest project: {max(rows):,} attendance rows)")
    assert summary == alone, "the cluster and a single process disagree"
    print(f"\nCall summary ({len(summary.projects)} projects, reference {synth.REFERENCE:%Y-%m-%d})")
    print(f"  counted:     {summary.counted_minutes:,} min = {summary.counted_minutes / 60:,.2f} participant hours")
    print(f"  provisional: {summary.provisional_minutes:,} min")
    print(f"  amount:      EUR {summary.total:,} = ESF {summary.esf:,} + Flemish {summary.flemish:,} + own {summary.own:,}")
    top = sorted(summary.projects, key=lambda p: p.total, reverse=True)[:3]
    for p in top:
        print(f"  {p.project}: EUR {p.total:,} ({p.counted_minutes:,} min), receipt {p.receipt['parameters_hash'][:12]}…")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
