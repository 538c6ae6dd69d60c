"""A cohort: many recordings, each analysed into its own results folder, and one row each in cohort.csv.

The work runs on Dask (``dask.distributed``): a local cluster sized to the machine by default, or an
existing cluster given by its scheduler address. Workers must see the recordings and the output
folder at the same paths (a shared file system on a cluster). A recording whose results are up to
date (same file size and modification time, same software version and pipeline parameters) is not
analysed again. A recording that fails is a row with its error; the others go on.

cohort.csv (COHORT_COLUMNS, then per metric of analysis.summary.SUMMARY_METRICS the day medians
``left_<metric>``, ``right_<metric>`` and the asymmetry index ``<metric>_asymmetry_pct``):
``recording`` file name; ``subject_id``; ``start_wall_iso`` local wall clock of the start;
``duration_s`` last sample time; ``walking_s`` time in walking bouts; ``n_strides_left/right`` every
stride found; ``n_strides_summarised_left/right`` the strides behind the medians (analysis.summary);
``status`` ``analysed``, ``up to date`` or ``failed``; ``error`` the one-line reason of a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from analysis import GaitPipeline
from analysis.summary import SUMMARY_METRICS
from imu_logger import __version__
from imu_logger.errors import UserError
from imu_logger.results import Results

COHORT_COLUMNS = ("recording", "subject_id", "start_wall_iso", "duration_s", "walking_s", "n_strides_left",
                  "n_strides_right", "n_strides_summarised_left", "n_strides_summarised_right", "status", "error")
METRIC_COLUMNS = tuple(c for m in SUMMARY_METRICS for c in (f"left_{m}", f"right_{m}", f"{m}_asymmetry_pct"))
#: where a results folder records what it was made from (analysis.json key)
SOURCE_KEY = "source_fingerprint"


def find_recordings(paths: Iterable[str | Path]) -> list[Path]:
    """The recordings named: files as given, folders searched for *.mcap (recursively), in order.
    UserError when a path does not exist, a folder holds none, or two share a name."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(p.rglob("*.mcap"))
            if not inside:
                raise UserError(f"{p}: no recordings (*.mcap) in this folder")
            found += inside
        elif p.is_file():
            found.append(p)
        else:
            raise UserError(f"{p}: no such recording or folder")
    by_name: dict[str, Path] = {}
    for p in found:
        if p.stem in by_name and by_name[p.stem].resolve() != p.resolve():
            raise UserError(f"{by_name[p.stem]} and {p}: two recordings named {p.stem!r} would share one "
                            "results folder; rename one")
        by_name[p.stem] = p
    return list(by_name.values())


def fingerprint(recording: Path, pipeline: GaitPipeline) -> dict:
    """What the results of ``recording`` depend on: its size and mtime, the software and parameters."""
    st = recording.stat()
    return {"size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "software_version": __version__,
            "parameters": repr(sorted(pipeline.get_params().items()))}


def _up_to_date(results_dir: Path, expected: dict) -> Results | None:
    if not (results_dir / "analysis.json").is_file():
        return None
    try:
        res = Results.load(results_dir)
    except UserError:
        return None  # unreadable results are analysed again
    return res if res.gait.extra.get(SOURCE_KEY) == expected else None


def cohort_row(name: str, res: Results | None, status: str, error: str = "") -> dict:
    """One row of cohort.csv from a session's results (None for a failed recording)."""
    row = dict.fromkeys((*COHORT_COLUMNS, *METRIC_COLUMNS), float("nan"))
    row.update(recording=name, status=status, error=error, subject_id="", start_wall_iso="")
    if res is None:
        return row
    s, b, summary = res.strides, res.bouts, res.summary
    walking = b[b["activity"] == "walking"] if len(b) else b
    row.update(subject_id=res.session.get("subject_id", ""), duration_s=res.gait.duration_s,
               walking_s=float((walking["end_s"] - walking["start_s"]).sum()) if len(walking) else 0.0)
    if res.start_wall_ns is not None:
        row["start_wall_iso"] = dt.datetime.fromtimestamp(res.start_wall_ns / 1e9).astimezone().isoformat(
            timespec="seconds")
    day = summary[summary["period"] == "day"] if len(summary) else summary
    for side in ("left", "right"):
        row[f"n_strides_{side}"] = int((s["side"] == side).sum()) if len(s) else 0
        used = day[(day["side"] == side)]["n_strides"] if len(day) else pd.Series(dtype=float)
        row[f"n_strides_summarised_{side}"] = int(used.max()) if len(used) else 0
    for r in day.itertuples(index=False):
        key = f"{r.metric}_asymmetry_pct" if r.side == "asymmetry" else f"{r.side}_{r.metric}"
        if key in row:
            row[key] = float(r.median)
    return row


def analyse_one(recording: Path, results_dir: Path, pipeline: GaitPipeline, force: bool = False) -> dict:
    """Analyse ``recording`` into ``results_dir`` unless its results are up to date (or ``force``);
    the cohort row. Never raises: a failure is a row with status ``failed`` and its error."""
    from imu_logger.api import analyze_recording

    name = recording.name
    try:
        expected = fingerprint(recording, pipeline)
        done = None if force else _up_to_date(results_dir, expected)
        if done is not None:
            return cohort_row(name, done, "up to date")
        res = analyze_recording(recording, pipeline)
        res.gait.extra[SOURCE_KEY] = expected
        res.save(results_dir)
        return cohort_row(name, res, "analysed")
    except UserError as exc:
        return cohort_row(name, None, "failed", str(exc))
    except Exception as exc:  # one bad recording never stops the cohort: its row says what went wrong
        return cohort_row(name, None, "failed", f"{type(exc).__name__}: {exc}")


@contextlib.contextmanager
def _dask_client(scheduler: str, workers: int | None) -> Iterator:
    """A distributed.Client: on a new LocalCluster (``local``) or on the scheduler at an address."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        n = workers or os.cpu_count() or 1
        # one thread per worker process: the analysis is numba and numpy code that holds the GIL in places
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise UserError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})") from None
    with client:
        yield client


def run_cohort(recordings: list[Path], out_dir: Path, pipeline: GaitPipeline, scheduler: str = "local",
               workers: int | None = None, force: bool = False,
               done: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Analyse ``recordings`` into ``out_dir/<name>/`` and write ``out_dir/cohort.csv``; returns it.
    ``scheduler``: ``local`` (a LocalCluster of ``workers`` processes, default one per core),
    ``serial`` (in this process, no Dask) or a Dask scheduler address (``tcp://host:8786``).
    ``force`` analyses again results that are up to date. ``done(row)`` is called as each finishes."""
    jobs = [(r, out_dir / r.stem) for r in recordings]
    rows: dict[str, dict] = {}

    def finish(row: dict) -> None:
        rows[row["recording"]] = row
        if done:
            done(row)

    if scheduler == "serial":
        for rec, res_dir in jobs:
            finish(analyse_one(rec, res_dir, pipeline, force))
    else:
        from distributed import as_completed

        with _dask_client(scheduler, workers) as client:
            futures = [client.submit(analyse_one, rec.resolve(), res_dir.resolve(), pipeline, force, pure=False)
                       for rec, res_dir in jobs]
            for fut in as_completed(futures):
                finish(fut.result())
    table = pd.DataFrame([rows[r.name] for r, _ in jobs], columns=[*COHORT_COLUMNS, *METRIC_COLUMNS])
    counts = [c for c in COHORT_COLUMNS if c.startswith("n_strides")]
    table[counts] = table[counts].astype("Int64")  # counts stay whole numbers beside a failed row's blanks
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        table.to_csv(out_dir / "cohort.csv", index=False)
    except OSError as exc:
        raise UserError(f"--out {out_dir}: cannot write cohort.csv ({exc.strerror})") from None
    return table


__all__ = ["COHORT_COLUMNS", "METRIC_COLUMNS", "analyse_one", "cohort_row", "find_recordings", "fingerprint",
           "run_cohort"]
