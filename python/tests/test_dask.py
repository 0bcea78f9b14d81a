"""A whole call on Dask (issue 11): the same totals, to the cent, for 1, 2 and 8 partitions
(their projects read one, five or all at a time) on a LocalCluster with two worker processes, from a parquet dataset and from Dask DataFrames, and
in a single process; and the same as counting each project on its own."""

import datetime as dt

import pytest

pytest.importorskip("distributed")
pyarrow = pytest.importorskip("pyarrow")

import tijdreg.arrow as ta  # noqa: E402
from tijdreg import dask as tdask  # noqa: E402
from tijdreg import synth  # noqa: E402


@pytest.fixture(scope="module")
def call():
    return synth.call(projects=24, intervals=20_000, seed=5)


@pytest.fixture(scope="module")
def dataset(call, tmp_path_factory):
    folder = tmp_path_factory.mktemp("call")
    synth.write_parquet(call, str(folder))
    return str(folder)


@pytest.fixture(scope="module")
def single(dataset):
    return tdask.evaluate_call(dataset, at=synth.REFERENCE, params=synth.PARAMS, client=False)


def test_the_single_process_run_is_the_sum_of_each_project_on_its_own(call, single) -> None:
    assert len(single.projects) == 24 and single.total > 0
    for p, tables in list(synth.project_tables(call))[:6]:
        alone = ta.totals_from_arrow(tables["sessions"], tables["attendance"], breaks=tables["breaks"], project=p,
                                     params=synth.PARAMS, at=synth.REFERENCE)
        mine = next(x for x in single.projects if x.project == p)
        assert mine.total == alone["amounts"]["total"] and mine.counted_minutes == alone["realised"]["counted_minutes"]
    assert single.total == sum(p.total for p in single.projects)
    assert single.esf + single.flemish + single.own == single.total


def test_partition_invariance_on_a_local_cluster(dataset, call, single) -> None:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import os

    import dask

    # The workers start with tijdreg's malloc settings (only time depends on them).
    with dask.config.set(tdask.worker_config()), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        environ = client.run(lambda: {k: os.environ.get(k) for k in tdask.WORKER_ENVIRON})
        assert list(environ.values()) == [dict(tdask.WORKER_ENVIRON)] * 2
        # Partitions of whole projects, each read one project at a time (the default), all at
        # once (0) or five at a time.
        for k, per_read in ((1, 1), (2, 1), (8, 1), (1, 0), (2, 5), (8, 0)):
            got = tdask.evaluate_call(dataset, at=synth.REFERENCE, params=synth.PARAMS, client=client, partitions=k,
                                      projects_per_read=per_read)
            assert got == single, f"{k} partitions, {per_read} per read"
        frames = {name: dd.from_pandas(call[name].to_pandas(), npartitions=3) for name in ("sessions", "attendance", "breaks")}
        got = tdask.evaluate_call(frames, at=synth.REFERENCE, params=synth.PARAMS, client=client, partitions=4)
        assert got == single, "Dask DataFrames"


def test_projects_are_read_natively_and_the_others_through_pyarrow(dataset, single, tmp_path) -> None:
    """ADR 18: a project whose tables are one parquet file each is read and counted by the
    engine in one call; one whose table is split in two files, or written with a codec the
    native reader leaves alone, goes through pyarrow — the same totals either way."""
    import shutil

    import pyarrow.parquet as pq

    projects = tdask.projects_of(dataset)
    args = (synth.REFERENCE, synth.PARAMS, (), 1)
    assert tdask._native_project(dataset, projects[0], *args) == [x for x in single.projects if x.project == projects[0]]
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    split = copy / "attendance" / f"project={projects[0]}"
    (f,) = list(split.iterdir())
    t = pq.read_table(f)
    f.unlink()
    pq.write_table(t.slice(0, t.num_rows // 2), split / "a.parquet")
    pq.write_table(t.slice(t.num_rows // 2), split / "b.parquet")
    (g,) = list((copy / "sessions" / f"project={projects[1]}").iterdir())
    pq.write_table(pq.read_table(g), g, compression="gzip")
    for p in projects[:2]:
        assert tdask._native_project(str(copy), p, *args) is None, p
    assert tdask._native_project(str(copy), projects[2], *args) is not None
    assert tdask.evaluate_call(str(copy), at=synth.REFERENCE, params=synth.PARAMS, client=False) == single


def test_a_partition_without_sessions_holds_no_project(dataset, single, tmp_path) -> None:
    """An empty sessions file in a project's partition: the project is left out, as when the
    partition is read through pyarrow."""
    import shutil

    import pyarrow.parquet as pq

    projects = tdask.projects_of(dataset)
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    (f,) = list((copy / "sessions" / f"project={projects[0]}").iterdir())
    pq.write_table(pq.read_table(f).slice(0, 0), f)
    shutil.rmtree(copy / "attendance" / f"project={projects[0]}")
    (copy / "attendance" / f"project={projects[0]}").mkdir()
    pq.write_table(pq.read_table(next((copy / "attendance" / f"project={projects[1]}").iterdir())).slice(0, 0),
                   copy / "attendance" / f"project={projects[0]}" / "empty.parquet")
    assert tdask._native_project(str(copy), projects[0], synth.REFERENCE, synth.PARAMS, (), 1) == []
    got = tdask.evaluate_call(str(copy), at=synth.REFERENCE, params=synth.PARAMS, client=False)
    assert [p.project for p in got.projects] == [p.project for p in single.projects if p.project != projects[0]]
    assert tdask._evaluate_chunk(str(copy), [projects[0]], synth.REFERENCE, synth.PARAMS, (), per_read=0) == []
