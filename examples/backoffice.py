"""Back-office script: load a project export, print the subsidy report, write CSV.

    python examples/backoffice.py [EXPORT] [CSV]

EXPORT defaults to the sample next to this script; CSV to report.csv in a temporary folder
(the path is printed), so running it leaves nothing in the repository.

The export is the plain-records format (docs/records.md) that the funder's and the
promoters' systems produce; no ledger is needed.
"""

import datetime as dt
import sys
import tempfile
from pathlib import Path

import tijdreg


def main() -> int:
    here = Path(__file__).resolve().parent
    export = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "data" / "export-2026-472-001.json"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="tijdreg-")) / "report.csv"
    reference = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    report = tijdreg.report_from_records(export.read_text(encoding="utf-8"), reference)

    print(f"Project {report.project}: {len(report)} lines")
    for row in report.rows():
        flag = "" if row["realised"] else " (provisional)"
        print(f"  {row['date']} {row['source']:<7} {row['person']:<8} {row['counted_minutes']:>4} min  EUR {row['amount']:.2f}{flag}")
        if row["excluded"]:
            print(f"      not counted: {row['excluded']}")
    a = report.amounts
    print(f"Realised: {report.realised['counted_minutes']} min = {report.realised['counted_hours']:.2f} h")
    print(f"Amount: EUR {a['total']}  (ESF {a['esf']}, Flemish {a['flemish']}, own {a['own']})")
    print(f"Receipt: engine {report.receipt['engine_version']}, parameters {report.receipt['parameters_hash'][:16]}…, "
          f"{report.receipt['records']} records, reference {report.receipt['reference_instant'].isoformat()}")

    out.write_text(report.to_csv(), encoding="utf-8")
    print(f"CSV written to {out}")
    try:
        import pandas  # type: ignore[import-not-found]
    except ImportError:
        return 0
    frame = pandas.DataFrame(report.rows())
    print(frame.groupby("person")["counted_minutes"].sum())
    return 0


if __name__ == "__main__":
    sys.exit(main())
