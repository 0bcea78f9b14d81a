"""A whole funding call on a local Dask cluster (issue 11): generate a synthetic call, write
it as a parquet dataset partitioned by project, evaluate it with two worker processes, and
print the call's summary beside a single-process run: on a cluster whose workers have Dask's
own environment, and on one started with ``tijdreg.dask.worker_config()``.

    .venv/bin/python examples/evaluate_call.py [--projects 500] [--intervals 500000] [--repeat 3]

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
    ap.add_argument("--repeat", type=int, default=3, help="cluster runs after the first, each after a single-process run")
    args = ap.parse_args()
    import dask
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        call = synth.call(projects=args.projects, intervals=args.intervals, seed=2026)
        synth.write_parquet(call, folder)
        print(f"generated {call['attendance'].num_rows:,} attendance rows of {args.projects} projects "
              f"in {time.perf_counter() - t:.1f} s -> {folder}")

        def single() -> float:
            t = time.perf_counter()
            got = tdask.evaluate_call(folder, at=synth.REFERENCE, params=synth.PARAMS, client=False)
            assert got == alone, "two single-process runs disagree"
            return time.perf_counter() - t

        t = time.perf_counter()
        alone = tdask.evaluate_call(folder, at=synth.REFERENCE, params=synth.PARAMS, client=False)
        print(f"single process: {time.perf_counter() - t:.2f} s (first run)")
        # Each cluster: a first run (its workers import tijdreg and fault their memory in), then
        # runs in turn with single-process runs, so that a shared host's spells weigh on both;
        # the ratio is the median of each cluster run over the single run just before it.
        summary = alone
        for label, cfg in (("Dask's worker environment", {}), ("tijdreg.dask.worker_config()", tdask.worker_config())):
            with dask.config.set(cfg), \
                    LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                t = time.perf_counter()
                summary = tdask.evaluate_call(folder, at=synth.REFERENCE, params=synth.PARAMS, client=client,
                                              progress=label == "Dask's worker environment")
                first = time.perf_counter() - t
                assert summary == alone, "the cluster and a single process disagree"
                pairs = []
                for _ in range(max(1, args.repeat)):
                    s1 = single()
                    t = time.perf_counter()
                    assert tdask.evaluate_call(folder, at=synth.REFERENCE, params=synth.PARAMS, client=client) == alone
                    pairs.append((time.perf_counter() - t, s1))
                peaks = sorted(client.run(_peak_mb).values())
            ratios = sorted(c / s1 for c, s1 in pairs)
            print(f"\n{args.workers} workers, {label}: first run {first:.2f} s; then "
                  + ", ".join(f"{c:.2f} s (single {s1:.2f} s)" for c, s1 in pairs)
                  + f": median {ratios[len(ratios) // 2]:.2f}× single; peak memory per worker "
                  + ", ".join(f"{m:,.0f} MB" for m in peaks))
        rows = call["attendance"].group_by("project").aggregate([("project", "count")]).column(1).to_pylist()
        whole = sum(call[t].nbytes for t in ("sessions", "attendance", "breaks")) / 1e6
        print(f"(the call in Arrow: {whole:,.0f} MB; the largest project: {max(rows):,} attendance rows)")
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
