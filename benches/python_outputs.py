"""A big report's outputs from Python (docs/benchmarks.md, "Python: a big report's outputs").

    .venv/bin/python benches/python_outputs.py [--intervals 1000000] [--repeat 2]

The synthetic call of `benches/python_call.py` (`tijdreg.synth.call`, 1,000 projects, seed 11)
is made into one project — every session's project replaced by one id — and counted by
`report_from_arrow`; then each
output of the report is made ``--repeat`` times in this process and every time is printed:
the lines as Arrow, pandas, dicts (`rows()`), CSV and JSON text, and the excluded stretches as
Arrow with and without their explanations. Building the input is not timed.
"""

from __future__ import annotations

import argparse
import sys
import time

import pyarrow as pa

import tijdreg.arrow as ta
from tijdreg import synth


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--intervals", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    c = synth.call(projects=1000, intervals=a.intervals, seed=11, overlaps=False)
    s = c["sessions"]
    s = s.set_column(s.schema.get_field_index("project"), "project", pa.array(["P"] * s.num_rows))
    t = time.perf_counter()
    r = ta.report_from_arrow(s, c["attendance"], breaks=c["breaks"], project="P", params=c["params"],
                             at=synth.REFERENCE)
    print(f"{len(r):,} lines counted in {time.perf_counter() - t:.2f} s, Python {sys.version.split()[0]}")
    print()
    print("| output | times | size |")
    print("|---|---|---|")
    outputs = [
        ("report.to_arrow()", r.to_arrow),
        ("report.to_pandas()", r.to_pandas),
        ("report.rows()", r.rows),
        ("report.to_csv()", r.to_csv),
        ("report.to_json()", r.to_json),
        ("excluded_to_arrow(report)", lambda: ta.excluded_to_arrow(r)),
        ("excluded_to_arrow(report, text=True)", lambda: ta.excluded_to_arrow(r, text=True)),
    ]
    for name, make in outputs:
        times, size = [], ""
        for _ in range(max(1, a.repeat)):
            t = time.perf_counter()
            out = make()
            times.append(time.perf_counter() - t)
            size = f"{len(out) / 1e6:.0f} MB" if isinstance(out, str) else f"{len(out):,} rows"
            del out
        print(f"| `{name}` | {' / '.join(f'{x:.2f} s' for x in times)} | {size} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
