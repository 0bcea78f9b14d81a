"""A whole call on Dask (``pip install 'tijdreg[dask]'``): one report per project on the
workers, merged into a call summary.

Projects are independent (ADR 03): a project's figures never depend on another project's.
So a call splits into groups of whole projects, each group is counted where its data is, and
the call's totals are the sums of the projects'. The totals are the same, to the cent, for
any number of groups and for a single process (tested).

The input is a parquet dataset in the layout :func:`tijdreg.synth.write_parquet` writes —
``sessions/``, ``attendance/``, ``breaks/`` (and optionally ``elearning/``) partitioned by
``project`` (hive layout ``project=P-00001``) — or a dict of Dask DataFrames with a
``project`` column. A project whose partition holds one parquet file a table is read and
counted by the engine in one call (ADR 18; pyarrow is not needed for it); others are read
through pyarrow.

>>> from distributed import Client, LocalCluster                  # doctest: +SKIP
>>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
...     summary = evaluate_call("call/", at=at, params=synth.PARAMS, client=client)
>>> summary.total                                                # doctest: +SKIP
Decimal('34576736.25')
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import types
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

TABLES = ("sessions", "attendance", "breaks", "elearning")

#: The malloc settings a worker process counting tijdreg projects should start with: freed
#: memory kept for reuse up to 128 MiB, and blocks up to 32 MiB taken from the heap rather
#: than mapped afresh. Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536``
#: (``distributed.nanny.pre-spawn-environ``), which hands every freed block above 64 KiB back
#: to the kernel and maps it again for the next project: for a 9.3 M-row call, 150,000–200,000
#: page faults and 0.6–1.3 s of system time a run (docs/benchmarks.md, ADR 19). A worker's
#: memory stays bounded: what is kept is reused by the next project, not added to. Read-only.
WORKER_ENVIRON: Mapping[str, str] = types.MappingProxyType(
    {"MALLOC_TRIM_THRESHOLD_": "134217728", "MALLOC_MMAP_THRESHOLD_": "33554432"})


def worker_config() -> Dict[str, Any]:
    """Dask settings that start nanny-spawned workers (``LocalCluster``, ``dask worker``
    started from this configuration) with :data:`WORKER_ENVIRON`::

        with dask.config.set(tijdreg.dask.worker_config()):
            cluster = LocalCluster(n_workers=2, threads_per_worker=1)

    Workers started elsewhere take the same variables from their own environment. The
    answers never depend on them; only the time a call takes does."""
    return {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_ENVIRON.items()}


@dataclasses.dataclass(frozen=True)
class ProjectSummary:
    """One project's figures (SUB-8) and receipt (AUD-4)."""

    project: str
    counted_minutes: int
    provisional_minutes: int
    total: Decimal
    esf: Decimal
    flemish: Decimal
    own: Decimal
    capped: bool
    receipt: Dict[str, Any]


@dataclasses.dataclass(frozen=True)
class CallSummary:
    """A call's totals: the sums over its projects, and every project's figures."""

    projects: List[ProjectSummary]
    counted_minutes: int
    provisional_minutes: int
    total: Decimal
    esf: Decimal
    flemish: Decimal
    own: Decimal

    @classmethod
    def of(cls, projects: Sequence[ProjectSummary]) -> "CallSummary":
        ps = sorted(projects, key=lambda p: p.project)
        return cls(
            projects=ps,
            counted_minutes=sum(p.counted_minutes for p in ps),
            provisional_minutes=sum(p.provisional_minutes for p in ps),
            total=sum((p.total for p in ps), Decimal("0.00")),
            esf=sum((p.esf for p in ps), Decimal("0.00")),
            flemish=sum((p.flemish for p in ps), Decimal("0.00")),
            own=sum((p.own for p in ps), Decimal("0.00")),
        )


def _summaries(sums: Mapping[str, Mapping[str, Any]]) -> List[ProjectSummary]:
    out = []
    for p, s in sums.items():
        a = s["amounts"]
        out.append(ProjectSummary(
            project=p,
            counted_minutes=int(s["realised"]["counted_minutes"]),
            provisional_minutes=int(s["provisional"]["counted_minutes"]),
            total=a["total"], esf=a["esf"], flemish=a["flemish"], own=a["own"], capped=bool(a["capped"]),
            receipt=dict(s["receipt"]),
        ))
    return out


def evaluate_tables(tables: Mapping[str, Any], *, at: _dt.datetime, params: Optional[Mapping[str, Any]] = None,
                    closures: Sequence[_dt.date] = (), threads: Optional[int] = None) -> List[ProjectSummary]:
    """The projects of in-memory tables (pyarrow or anything with ``__arrow_c_stream__``),
    in this process, on ``threads`` threads (every core when None; a Dask task uses one, the
    cluster's workers being the parallelism)."""
    from .arrow import call_totals_from_arrow

    sums = call_totals_from_arrow(tables["sessions"], tables["attendance"], breaks=tables.get("breaks"),
                                  elearning=tables.get("elearning"), params=params, closures=closures, at=at,
                                  threads=threads)
    return _summaries(sums)


def _read_projects(folder: str, projects: Optional[Sequence[str]]) -> Dict[str, Any]:
    """The tables of some projects from a hive-partitioned dataset: all of them (discovering
    the partitions) when ``projects`` is None, otherwise each project's own folders, read
    directly (the other projects' folders are not even listed)."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    out: Dict[str, Any] = {}
    for name in TABLES:
        path = os.path.join(folder, name)
        if not os.path.isdir(path):
            continue
        if projects is None:
            t = pq.read_table(path, partitioning="hive")
            i = t.schema.get_field_index("project")
            out[name] = t.set_column(i, "project", t.column("project").cast(pa.string()))
            continue
        parts = []
        for p in projects:
            d = os.path.join(path, f"project={p}")
            if os.path.isdir(d):
                t = pq.read_table(d)
                parts.append(t.append_column("project", pa.array([p] * t.num_rows, pa.string())))
        if parts:
            out[name] = pa.concat_tables(parts, promote_options="default")
    return out


def _project_files(folder: str, project: str) -> Optional[Dict[str, Optional[str]]]:
    """A project's partition files when each of its tables is one parquet file (as
    :func:`tijdreg.synth.write_parquet` and most writers leave them; no breaks is none), else
    ``None``."""
    files: Dict[str, Optional[str]] = {}
    for name in TABLES:
        d = os.path.join(folder, name, f"project={project}")
        if not os.path.isdir(d):
            if name in ("sessions", "attendance"):
                return None
            files[name] = None
            continue
        names = [f for f in os.listdir(d) if not f.startswith((".", "_"))]
        if len(names) != 1 or not names[0].endswith(".parquet"):
            return None
        files[name] = os.path.join(d, names[0])
    return files


def _native_project(folder: str, project: str, at: _dt.datetime, params: Optional[Mapping[str, Any]],
                    closures: Sequence[_dt.date], threads: Optional[int]) -> Optional[List[ProjectSummary]]:
    """One project of a dataset read and counted by the engine in one call (ADR 18), or
    ``None`` when its files are pyarrow's to read (several files to a table, an e-learning
    table, a layout the native reader leaves to pyarrow)."""
    from . import _tijdreg
    from ._convert import to_json
    from .arrow import _params

    files = _project_files(folder, project)
    if files is None or files["elearning"] is not None:
        return None
    got = _tijdreg.call_totals_from_parquet(files["sessions"] or "", files["attendance"] or "", files["breaks"],
                                            _params(params), [d.isoformat() for d in closures], "", [],
                                            to_json(at, where="at"), threads, project)
    return None if got is None else _summaries(dict(zip(got[0], got[1])))


def _evaluate_chunk(folder: str, projects: Optional[Sequence[str]], at: _dt.datetime, params: Optional[Mapping[str, Any]],
                    closures: Sequence[_dt.date], per_read: int = 0, threads: Optional[int] = 1) -> List[ProjectSummary]:
    """The projects of a chunk, ``per_read`` at a time (all at once when 0), so that the
    memory a task needs is bounded by that many projects, not by its chunk; counted on
    ``threads`` threads (one in a Dask task). Read a project at a time, a project whose
    files the engine reads itself is read and counted in one native call; the others go
    through pyarrow."""
    out: List[ProjectSummary] = []
    if projects is not None and per_read > 0:
        rest = []
        for p in projects:
            got = _native_project(folder, p, at, params, closures, threads)
            if got is None:
                rest.append(p)
            else:
                out.extend(got)
        projects = rest
        if not projects:
            return out
    groups: List[Optional[Sequence[str]]]
    if projects is None or per_read <= 0:
        groups = [projects]
    else:
        groups = [projects[i:i + per_read] for i in range(0, len(projects), per_read)]
    for group in groups:
        tables = _read_projects(folder, group)
        if "sessions" not in tables or tables["sessions"].num_rows == 0:
            continue
        if "breaks" not in tables:
            tables["breaks"] = None
        out.extend(evaluate_tables(tables, at=at, params=params, closures=closures, threads=threads))
        del tables
    return out


def projects_of(folder: str) -> List[str]:
    """The projects of a dataset (its ``sessions/project=…`` folders)."""
    return sorted(d.split("=", 1)[1] for d in os.listdir(os.path.join(folder, "sessions")) if d.startswith("project="))


def evaluate_call(
    data: Union[str, os.PathLike, Mapping[str, Any]],
    *,
    at: _dt.datetime,
    params: Optional[Mapping[str, Any]] = None,
    closures: Sequence[_dt.date] = (),
    client: Any = None,
    partitions: Optional[int] = None,
    progress: bool = False,
    projects_per_read: int = 1,
) -> CallSummary:
    """A call's summary, computed on the Dask cluster of ``client`` (the current one if
    omitted; with ``client=False``, in this process, on every core).

    ``data`` is a parquet dataset folder partitioned by project, or a dict of Dask DataFrames
    (``sessions``, ``attendance``, optionally ``breaks``, ``elearning``) with a ``project``
    column. ``partitions`` groups of whole projects are evaluated as separate tasks (default:
    four per worker thread). From a folder, a task reads and counts its projects
    ``projects_per_read`` at a time (default one), so the memory of a worker is bounded by its
    largest project, never by the call; Dask DataFrames are bounded by their partition.
    ``progress`` shows Dask's progress bar.
    """
    if client is False:
        if isinstance(data, (str, os.PathLike)):
            # A project at a time on every core (the engine releases the GIL while it reads and
            # counts).
            from concurrent.futures import ThreadPoolExecutor

            folder = os.fspath(data)
            projects = projects_of(folder)
            cores = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
            chunks = [projects[i::cores] for i in range(cores)]
            with ThreadPoolExecutor(cores) as pool:
                parts = list(pool.map(lambda c: _evaluate_chunk(folder, c, at, params, closures, per_read=1, threads=1),
                                      chunks))
            return CallSummary.of([p for part in parts for p in part])
        return CallSummary.of(evaluate_tables({k: v.compute() if hasattr(v, "compute") else v for k, v in data.items()},
                                              at=at, params=params, closures=closures))
    from distributed import get_client, progress as show

    client = client or get_client()
    if partitions is None:
        threads = sum(client.nthreads().values()) or 1
        partitions = 4 * threads
    if isinstance(data, (str, os.PathLike)):
        folder = os.path.abspath(os.fspath(data))
        projects = projects_of(folder)
        k = max(1, min(partitions, len(projects)))
        chunks = [projects[i::k] for i in range(k)]
        futures = client.map(_evaluate_chunk, [folder] * k, chunks, at=at, params=params, closures=closures,
                             per_read=max(0, projects_per_read), pure=False)
    else:
        futures = _dataframes(client, data, partitions, at, params, closures)
    if progress:
        show(futures)
    results = client.gather(futures)
    return CallSummary.of([p for part in results for p in part])


def _dataframes(client: Any, data: Mapping[str, Any], partitions: int, at: _dt.datetime,
                params: Optional[Mapping[str, Any]], closures: Sequence[_dt.date]) -> List[Any]:
    """Dask DataFrames: every table shuffled by project into the same number of partitions,
    so partition i of each table holds the same projects; one task per partition."""
    import dask

    tables = {k: v for k, v in data.items() if v is not None}
    shuffled = {k: v.shuffle("project", npartitions=partitions) for k, v in tables.items()}
    delayed = {k: v.to_delayed() for k, v in shuffled.items()}

    def one(i: int) -> Any:
        parts = {k: d[i] for k, d in delayed.items()}
        return dask.delayed(_evaluate_frames)(parts, at, params, closures)

    return client.compute([one(i) for i in range(partitions)])


def _evaluate_frames(parts: Mapping[str, Any], at: _dt.datetime, params: Optional[Mapping[str, Any]],
                     closures: Sequence[_dt.date]) -> List[ProjectSummary]:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    tables = {k: pa.Table.from_pandas(v, preserve_index=False) for k, v in parts.items()}
    if tables["sessions"].num_rows == 0:
        return []
    return evaluate_tables(tables, at=at, params=params, closures=closures, threads=1)
