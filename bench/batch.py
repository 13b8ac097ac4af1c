"""Benchmark: batch footprints of many product variants, Parquet to Parquet (issue 14).

One run measures, on the ecoinvent-sized synthetic system of ``synthetic.py``:

1. **snapshot**: intensities of all 20,000 products (factorize + one transposed solve, by gas
   not asked), then the same snapshot from the disk cache and from memory;
2. **end to end**: ``--variants`` variants of ``--inputs`` inputs each (long format, sorted by
   variant id) read from Parquet, scored and written to Parquet by the streaming run of
   :mod:`tanzuji.scale.batch` (default 10^8 variants = 10^9 rows); wall time, evaluations/s and
   the growth of the resident set (``VmHWM``) during the run;
3. **kernel**: the scoring kernel on one in-memory chunk, with 1 and 2 threads, as effective
   bytes/s (the bytes it must move: a 4-byte activity index and an 8-byte amount per row, an
   8-byte offset and an 8-byte score per variant) against the machine's memory bandwidth
   measured in the same run (NumPy copy and triad over arrays far larger than the caches, 1 and
   2 threads, STREAM's byte counting: copy 16 bytes per element, triad 24);
4. **bw2calc**: the first ``--sample`` variants scored by bw2calc's best multi-demand mode on
   this machine (``FastScoresOnlyMultiLCA`` with PARDISO/UMFPACK; with SuperLU one
   factorization and ``redo_lcia`` per demand, as in ``engine.py``) and by Tanzuji from the
   same built matrices (intensities + kernel); scores compared, times and rates as ratios;
5. **distributed** (``--workers 1 2``): the same Parquet-to-Parquet run as tasks on a dask
   LocalCluster with 1 and 2 workers (:mod:`tanzuji.scale.distributed`), results checked
   identical to the single-process run.

``--quick`` runs a 2,000-process system and 200,000 variants (the smoke test in the suite;
it asserts agreement, never timing). Results: ``bench/results/batch-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic
from _common import bw2calc_solver, cpus, versions

from tanzuji.scale import batch, kernel, variants
from tanzuji.scale.snapshot import Snapshot, SnapshotCache, activity_index

RESULTS = Path(__file__).resolve().parent / "results"


# -- measuring ---------------------------------------------------------------------------------
def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> int | None:
    """Reset ``VmHWM`` to the current resident set; returns that (KiB)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_kib("VmRSS")


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def in_threads(work, parts: int) -> None:
    """Run ``work(k)`` for k in range(parts) in ``parts`` threads (NumPy releases the GIL)."""
    threads = [threading.Thread(target=work, args=(k,)) for k in range(parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def memory_bandwidth(elements: int, repeats: int) -> dict[str, Any]:
    """STREAM-like copy (``a = b``) and triad (``a = b + s c``) with NumPy, 1 and 2 threads.

    Bytes counted as STREAM does (copy 16, triad 24 per element: reads plus writes, no
    write-allocate traffic). NumPy's triad needs two passes (``a = s c``, ``a += b``), so its
    bytes/s understate what one fused pass reaches; copy is the reference taken.
    """
    rng = np.random.default_rng(0)
    a = np.zeros(elements)
    b = rng.random(elements)
    c = rng.random(elements)
    out: dict[str, Any] = {"elements": elements, "array_mib": elements * 8 / 2**20}
    for parts in (1, 2):
        bounds = np.linspace(0, elements, parts + 1).astype(int)

        def copy(k: int, bounds: np.ndarray = bounds) -> None:
            lo, hi = bounds[k], bounds[k + 1]
            np.copyto(a[lo:hi], b[lo:hi])

        def triad(k: int, bounds: np.ndarray = bounds) -> None:
            lo, hi = bounds[k], bounds[k + 1]
            np.multiply(c[lo:hi], 3.0, out=a[lo:hi])
            np.add(a[lo:hi], b[lo:hi], out=a[lo:hi])

        for name, work, per_element in (("copy", copy, 16), ("triad", triad, 24)):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                in_threads(work, parts)
                times.append(time.perf_counter() - start)
            best = min(times)
            out[f"{name}_{parts}t_gb_s"] = per_element * elements / best / 1e9
    out["reference_gb_s"] = max(out["copy_1t_gb_s"], out["copy_2t_gb_s"])
    return out


# -- data ----------------------------------------------------------------------------------------
def activity_ids(n: int) -> tuple[str, ...]:
    return tuple(f"p{k}" for k in range(n))


def snapshot_of(system: synthetic.SyntheticSystem) -> Snapshot:
    n = system.n_processes
    return Snapshot(
        system.technosphere_matrix(),
        system.biosphere_matrix(),
        system.characterization,
        activity_ids(n),
        ("unit",) * n,
        tuple(f"flow{k}" for k in range(system.n_flows)),
        release="synthetic",
        model_hash=f"synthetic-{n}",
        gwp_set="synthetic",
    )


def variant_block(
    rng: np.random.Generator, first: int, count: int, inputs: int, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variant ids, activity indices (Zipf-like popularity, as products use hub markets) and
    amounts (lognormal) of ``count`` variants from ``first``."""
    ids = np.repeat(np.arange(first, first + count, dtype=np.int64), inputs)
    # Inverse-transform draw from weights k^-1 over n products: popular products first.
    u = rng.random(ids.size)
    products = np.minimum((np.exp(u * np.log(n + 1.0)) - 1.0).astype(np.int32), n - 1)
    amounts = rng.lognormal(0.0, 1.0, ids.size)
    return ids, products, amounts


def generate(
    path: Path, n_variants: int, inputs: int, n: int, row_group_rows: int, seed: int
) -> dict[str, Any]:
    """Write the variants file (one row group at a time: generation memory stays small).

    ``input_id`` is written dictionary-encoded (each distinct id once per row group),
    ``variant_id`` with delta encoding (sorted ids: about a bit per row), ``amount`` plain;
    no compression (random amounts do not compress).
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    dictionary = pa.array(activity_ids(n))
    schema = pa.schema(
        [
            ("variant_id", pa.int64()),
            ("input_id", pa.dictionary(pa.int32(), pa.string())),
            ("amount", pa.float64()),
        ]
    )
    per_group = max(1, row_group_rows // inputs)
    with pq.ParquetWriter(
        path,
        schema,
        compression="none",
        use_dictionary=["input_id"],
        column_encoding={"variant_id": "DELTA_BINARY_PACKED", "amount": "PLAIN"},
        write_statistics=["variant_id"],
    ) as writer:
        for first in range(0, n_variants, per_group):
            count = min(per_group, n_variants - first)
            ids, products, amounts = variant_block(rng, first, count, inputs, n)
            names = pa.DictionaryArray.from_arrays(pa.array(products), dictionary)
            writer.write_table(
                pa.table([ids, names, amounts], schema=schema), row_group_size=row_group_rows
            )
    return {
        "seconds": time.perf_counter() - start,
        "bytes": path.stat().st_size,
        "rows": n_variants * inputs,
    }


# -- steps ---------------------------------------------------------------------------------------
def end_to_end(
    path: Path, out: Path, found, snapshot: Snapshot, chunk_rows: int, threads: int
) -> dict[str, Any]:
    before = reset_peak()
    load = load_average()
    start = time.perf_counter()
    chunks = variants.chunks_from_batches(
        variants.parquet_batches(path, chunk_rows), activity_index(snapshot.activity_ids), path.name
    )
    stats = batch.run(chunks, found, [batch.ParquetResults(out)], threads=threads)
    seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM")
    return {
        "seconds": seconds,
        "variants": stats.variants,
        "rows": stats.rows,
        "chunks": stats.chunks,
        "evaluations_per_s": stats.variants / seconds,
        "rows_per_s": stats.rows / seconds,
        "peak_rss_growth_mib": (peak - before) / 1024 if before and peak else None,
        "stage_seconds": stats.stage_seconds,
        "load_average_before": load,
        "load_average_after": load_average(),
        "output_bytes": out.stat().st_size,
    }


def in_memory_chunk(path: Path, snapshot: Snapshot, rows: int) -> variants.VariantChunk:
    """The first whole variants of about ``rows`` rows, in memory."""
    chunks = variants.chunks_from_batches(
        variants.parquet_batches(path, rows), activity_index(snapshot.activity_ids), path.name
    )
    return next(iter(chunks))


def kernel_speed(
    chunk: variants.VariantChunk, intensities: np.ndarray, repeats: int, bandwidth: float
) -> dict[str, Any]:
    """The kernel on one in-memory chunk, 1 and 2 threads: the C kernel (when built) and
    SciPy's CSR product, same bits (checked)."""
    from concurrent.futures import ThreadPoolExecutor

    moved = chunk.n_rows * (4 + 8) + chunk.n_variants * (8 + 8)
    out: dict[str, Any] = {
        "rows": chunk.n_rows,
        "variants": chunk.n_variants,
        "bytes": moved,
        "compiled_kernel": kernel.COMPILED,
    }
    inputs32 = chunk.inputs.astype(np.int32)
    x = intensities if chunk.columns is None else intensities[chunk.columns]
    results = {}
    for name, compiled in (("c", True), ("scipy", False)):
        if compiled and not kernel.COMPILED:
            continue
        for threads in (1, 2):
            with ThreadPoolExecutor(threads) as executor:
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    got = kernel.score(
                        chunk.indptr,
                        inputs32,
                        chunk.amounts,
                        x,
                        executor=executor,
                        threads=threads,
                        compiled=compiled,
                    )
                    times.append(time.perf_counter() - start)
            results[name] = got
            best, median = min(times), statistics.median(times)
            key = f"{threads}t" if compiled or not kernel.COMPILED else f"scipy_{threads}t"
            out[key] = {
                "best_s": best,
                "median_s": median,
                "gb_s": moved / best / 1e9,
                "evaluations_per_s": chunk.n_variants / best,
                "bandwidth_ratio": bandwidth / (moved / best / 1e9),
            }
    if len(results) == 2:
        out["c_equals_scipy_bitwise"] = bool(np.array_equal(results["c"], results["scipy"]))
    return out


def bw2calc_comparison(
    system: synthetic.SyntheticSystem, chunk: variants.VariantChunk, sample: int, snapshot
) -> dict[str, Any]:
    """The first ``sample`` variants of ``chunk`` by bw2calc and by Tanzuji."""
    import engine as engine_bench  # bench/engine.py: bw2calc's fastest multi-demand mode

    from tanzuji.scale.snapshot import compute_intensities

    count = min(sample, chunk.n_variants)
    stop = int(chunk.indptr[count])
    # activity index of each row (the chunk's codes index its row group's dictionary)
    activity = (chunk.inputs if chunk.columns is None else chunk.columns[chunk.inputs])[:stop]
    demands = []
    for v in range(count):
        lo, hi = int(chunk.indptr[v]), int(chunk.indptr[v + 1])
        demand: dict[int, float] = {}
        for p, a in zip(activity[lo:hi], chunk.amounts[lo:hi], strict=True):
            demand[int(p) + 1] = demand.get(int(p) + 1, 0.0) + float(a)  # bw2calc ids from 1
        demands.append(demand)
    bw = engine_bench.Bw2calcEngine(system)
    bw.prepare()
    state = bw.many_demands_setup(demands)
    start = time.perf_counter()
    bw_scores = bw.many_demands(state)
    bw_seconds = time.perf_counter() - start
    start = time.perf_counter()
    found = compute_intensities(snapshot, by_gas=False)
    tz_scores = kernel.score(chunk.indptr[: count + 1], activity, chunk.amounts[:stop], found.total)
    tz_seconds = time.perf_counter() - start
    start = time.perf_counter()
    kernel.score(chunk.indptr[: count + 1], activity, chunk.amounts[:stop], found.total)
    kernel_seconds = time.perf_counter() - start
    difference = np.abs(tz_scores - bw_scores) / np.maximum(np.abs(bw_scores), 1e-300)
    return {
        "variants": count,
        "bw2calc_solver": bw2calc_solver(),
        "bw2calc_s": bw_seconds,
        "bw2calc_evaluations_per_s": count / bw_seconds,
        "tanzuji_with_intensities_s": tz_seconds,
        "tanzuji_kernel_only_s": kernel_seconds,
        "ratio_same_work": bw_seconds / tz_seconds,
        "max_relative_difference": float(difference.max()),
    }


def distributed_scaling(
    path: Path, out_dir: Path, snapshot: Snapshot, found, workers: list[int], reference: Path
) -> dict[str, Any]:
    from tanzuji.scale import distributed

    expected = pq.read_table(reference)
    rows = {}
    for count in workers:
        out = out_dir / f"dask-{count}.parquet"
        with distributed.local_client(count) as client:
            start = time.perf_counter()
            stats = distributed.batch_parquet(client, path, out, snapshot, found)
            seconds = time.perf_counter() - start
        got = pq.read_table(out)
        rows[str(count)] = {
            "seconds": seconds,
            "evaluations_per_s": stats.variants / seconds,
            "tasks": stats.chunks,
            "identical_to_single_process": got.equals(expected),
        }
        out.unlink()
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="tanzuji-batch-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "arguments": vars(args),
        "cpus": cpus(),
        "versions": versions(),
        "load_average_start": load_average(),
    }
    try:
        system = synthetic.build(n_processes=args.processes, seed=args.seed)
        snapshot = snapshot_of(system)
        cache_dir = workdir / "snapshots"
        start = time.perf_counter()
        found, source = SnapshotCache(cache_dir).fetch(snapshot, by_gas=False)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        SnapshotCache(cache_dir).fetch(snapshot, by_gas=False)
        disk = time.perf_counter() - start
        cache = SnapshotCache(cache_dir)
        cache.fetch(snapshot, by_gas=False)
        start = time.perf_counter()
        cache.fetch(snapshot, by_gas=False)
        memory = time.perf_counter() - start
        results["snapshot"] = {
            "key": snapshot.key,
            "computed_s": cold,
            "from_disk_s": disk,
            "from_memory_s": memory,
            "source_first": source,
        }
        print(
            f"snapshot: computed {cold:.2f} s, disk {disk * 1e3:.1f} ms, "
            f"memory {memory * 1e6:.0f} µs"
        )

        path = workdir / "variants.parquet"
        if not path.is_file() or not args.keep:
            print(f"generating {args.variants:,} variants x {args.inputs} inputs ...", flush=True)
            results["generate"] = generate(
                path, args.variants, args.inputs, args.processes, args.row_group_rows, args.seed
            )
            print(
                f"  {results['generate']['bytes'] / 2**30:.2f} GiB in "
                f"{results['generate']['seconds']:.1f} s",
                flush=True,
            )
        out = workdir / "results.parquet"
        e2e = end_to_end(path, out, found, snapshot, args.chunk_rows, args.threads)
        results["end_to_end"] = e2e
        print(
            f"end to end: {e2e['variants']:,} variants ({e2e['rows']:,} rows) in "
            f"{e2e['seconds']:.1f} s = {e2e['evaluations_per_s']:,.0f} evaluations/s, "
            f"peak RSS +{e2e['peak_rss_growth_mib']:.0f} MiB",
            flush=True,
        )
        # Check a sample of the written results against a direct dot product.
        head = pq.ParquetFile(out).read_row_group(0)
        chunk = in_memory_chunk(path, snapshot, args.kernel_rows)
        k = min(head.num_rows, chunk.n_variants)
        activity = chunk.inputs if chunk.columns is None else chunk.columns[chunk.inputs]
        direct = np.add.reduceat(found.total[activity] * chunk.amounts, chunk.indptr[:-1])[:k]
        results["checks"] = {
            "first_results_vs_numpy_max_rel": float(
                np.max(np.abs(head["kg_co2e"].to_numpy()[:k] - direct) / np.abs(direct))
            )
        }

        bandwidth = memory_bandwidth(args.stream_elements, args.repeats)
        results["bandwidth"] = bandwidth
        results["kernel"] = kernel_speed(
            chunk, found.total, args.repeats, bandwidth["reference_gb_s"]
        )
        best = max(results["kernel"]["1t"]["gb_s"], results["kernel"]["2t"]["gb_s"])
        results["kernel"]["bandwidth_ratio"] = bandwidth["reference_gb_s"] / best
        print(
            f"bandwidth: copy {bandwidth['copy_1t_gb_s']:.1f} / {bandwidth['copy_2t_gb_s']:.1f} "
            f"GB/s (1/2 threads), triad {bandwidth['triad_1t_gb_s']:.1f} / "
            f"{bandwidth['triad_2t_gb_s']:.1f}; kernel {results['kernel']['1t']['gb_s']:.2f} / "
            f"{results['kernel']['2t']['gb_s']:.2f} GB/s -> ratio "
            f"{results['kernel']['bandwidth_ratio']:.2f}"
            + (
                f" (C kernel; SciPy {results['kernel']['scipy_1t']['gb_s']:.2f} / "
                f"{results['kernel']['scipy_2t']['gb_s']:.2f} GB/s, same bits: "
                f"{results['kernel']['c_equals_scipy_bitwise']})"
                if "scipy_1t" in results["kernel"]
                else " (SciPy kernel: the C kernel is not built)"
            ),
            flush=True,
        )
        if not args.no_bw2calc:
            results["bw2calc"] = bw2calc_comparison(system, chunk, args.sample, snapshot)
            b = results["bw2calc"]
            print(
                f"bw2calc ({b['bw2calc_solver']}): {b['variants']} variants in "
                f"{b['bw2calc_s']:.2f} s; Tanzuji (intensities + kernel) "
                f"{b['tanzuji_with_intensities_s']:.3f} s -> {b['ratio_same_work']:.1f}x; "
                f"max rel. difference {b['max_relative_difference']:.1e}",
                flush=True,
            )
        if args.workers:
            results["distributed"] = distributed_scaling(
                path, workdir, snapshot, found, args.workers, out
            )
            for count, row in results["distributed"].items():
                print(
                    f"dask {count} worker(s): {row['seconds']:.1f} s, "
                    f"{row['evaluations_per_s']:,.0f} evaluations/s, identical "
                    f"{row['identical_to_single_process']}",
                    flush=True,
                )
        results["load_average_end"] = load_average()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 processes, 200,000 variants")
    parser.add_argument("--variants", type=int, default=100_000_000)
    parser.add_argument("--inputs", type=int, default=10)
    parser.add_argument("--processes", type=int, default=20_000)
    parser.add_argument("--chunk-rows", type=int, default=4_000_000)
    parser.add_argument("--row-group-rows", type=int, default=4_000_000)
    parser.add_argument("--kernel-rows", type=int, default=20_000_000)
    parser.add_argument("--stream-elements", type=int, default=2**25)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=int, default=1_000, help="variants for bw2calc")
    parser.add_argument("--no-bw2calc", action="store_true")
    parser.add_argument("--workers", type=int, nargs="*", default=[], help="e.g. 1 2")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workdir", type=str, default=None)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the variants file")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results")
    args = parser.parse_args(argv)
    if args.quick:
        args.processes, args.variants = 2_000, 200_000
        args.chunk_rows = args.row_group_rows = 200_000
        args.kernel_rows, args.stream_elements, args.repeats = 500_000, 2**20, 2
        args.sample = min(args.sample, 100)
    results = run(args)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        name = f"batch-{results['date']}{'-quick' if args.quick else ''}.json"
        (RESULTS / name).write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"written to {RESULTS / name}")
    return results


if __name__ == "__main__":
    main()
