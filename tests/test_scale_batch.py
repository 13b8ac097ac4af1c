"""Snapshots, their cache, the long variant format and batch runs (tanzuji.scale).

Expected numbers come from a three-activity toy system solved by hand (written out beside
each assertion) and from the kettle of docs/model.md (total 2.1324696 kg CO2e by hand there).
"""

from __future__ import annotations

import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp

from tanzuji.context import Context
from tanzuji.errors import BatchInputError
from tanzuji.scale import batch, variants
from tanzuji.scale.snapshot import (
    Snapshot,
    SnapshotCache,
    SnapshotCacheWarning,
    activity_index,
    compute_intensities,
)
from tanzuji.services import batch as batch_service
from tanzuji.services.calculation import ModelInput
from tanzuji.settings import Settings

from scale_toy import IDS, TOY_BY_GAS, TOY_TOTAL, toy  # isort: skip


# -- snapshots and their cache -----------------------------------------------------------------
def test_intensities_by_hand():
    found = compute_intensities(toy())
    np.testing.assert_allclose(found.total, TOY_TOTAL, rtol=1e-12)
    assert found.gases == ("CH4", "CO2")
    for k, gas in enumerate(found.gases):
        np.testing.assert_allclose(found.by_gas[:, k], TOY_BY_GAS[gas], rtol=1e-12)


def test_same_content_same_key_and_cache_hits(tmp_path: Path):
    first, second = toy(), toy()
    assert first.key == second.key
    # The same matrix written with duplicate entries and explicit zeros is the same content.
    split = sp.coo_matrix(
        ([1.0, 0.5, 0.5, 1.0, -0.5, -2.0, 0.0], ([0, 1, 1, 2, 1, 2, 0], [0, 1, 1, 2, 0, 1, 2])),
        shape=(3, 3),
    )
    same = Snapshot(
        split,
        first.biosphere_matrix,
        first.characterization,
        IDS,
        first.activity_units,
        first.flow_gases,
        release="R1",
        model_hash="toy",
        gwp_set="AR6",
    )
    assert same.key == first.key
    cache = SnapshotCache(tmp_path)
    assert cache.fetch(first)[1] == "computed"
    assert cache.fetch(second)[1] == "memory"
    assert (cache.hits, cache.disk_hits, cache.computed) == (1, 0, 1)
    fresh = SnapshotCache(tmp_path)  # another process: the file on disk
    found, source = fresh.fetch(second)
    assert source == "disk"
    np.testing.assert_allclose(found.total, TOY_TOTAL, rtol=1e-12)
    assert list(tmp_path.glob("*.npz")) == [tmp_path / f"{first.key}.npz"]


def test_changed_factor_or_release_is_a_new_snapshot(tmp_path: Path):
    base = toy()
    changed = toy(steel_co2=0.2)
    assert changed.key != base.key
    assert toy(release="R2").key != base.key
    cache = SnapshotCache(tmp_path)
    cache.fetch(base)
    found, source = cache.fetch(changed)
    assert source == "computed"
    # By hand: steel 0.2 + 0.298 = 0.498; part 0.996; product 1 + 0.498 = 1.498.
    np.testing.assert_allclose(found.total, [1.498, 0.996, 0.498], rtol=1e-12)


def test_memory_cache_drops_least_recently_used(tmp_path: Path):
    cache = SnapshotCache(None, max_entries=1)
    cache.fetch(toy())
    cache.fetch(toy(release="R2"))
    assert cache.fetch(toy())[1] == "computed"  # dropped, and no disk to fall back on


@pytest.mark.parametrize("damage", ["garbage", "truncated", "tampered"])
def test_corrupt_cache_file_is_recomputed_with_a_warning(tmp_path: Path, damage: str):
    snapshot = toy()
    SnapshotCache(tmp_path).fetch(snapshot)
    path = tmp_path / f"{snapshot.key}.npz"
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:  # a valid file whose numbers were changed: the checksum does not match
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["total"] = arrays["total"] * 2
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
    cache = SnapshotCache(tmp_path)
    with pytest.warns(SnapshotCacheWarning, match="recomputed"):
        found, source = cache.fetch(snapshot)
    assert source == "computed"
    np.testing.assert_allclose(found.total, TOY_TOTAL, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten file loads cleanly
        assert SnapshotCache(tmp_path).fetch(snapshot)[1] == "disk"


def test_factor_alias_names_a_factor_used_in_one_version():
    index = activity_index(("a", "factor:grid@a", "factor:grid@b", "factor:x@a", "factor:x#v2@b"))
    assert index["factor:grid"] == 1
    assert "factor:x" not in index  # two versions: ambiguous, so only the full ids


# -- the long format -------------------------------------------------------------------------
def _write_parquet(path: Path, rows: list[tuple], row_group_size: int | None = None) -> Path:
    ids, inputs, amounts = zip(*rows, strict=True)
    table = pa.table({"variant_id": ids, "input_id": inputs, "amount": amounts})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def _score_file(path: Path, snapshot: Snapshot, chunk_rows: int = 2, **kwargs) -> pa.Table:
    found = compute_intensities(snapshot)
    if path.suffix == ".csv":
        batches = variants.csv_batches(path, 1 << 16)
    else:
        batches = variants.parquet_batches(path, chunk_rows)
    chunks = variants.chunks_from_batches(batches, activity_index(snapshot.activity_ids), path.name)
    out = path.with_suffix(".out.parquet")
    gases = found.gases if kwargs.get("by_gas") else ()
    batch.run(chunks, found, [batch.ParquetResults(out, gases)], **kwargs)
    return pq.read_table(out)


ROWS = [
    (1, "product", 1.0),  # 1.398
    (2, "part", 2.0),  # 2 * 0.796 = 1.592
    (2, "factor:steel", 0.5),  # + 0.5 * 0.398 = 1.791
    (2, "product", 0.0),
    (5, "factor:steel@part", 10.0),  # 3.98
]
EXPECTED = [1.398, 1.791, 3.98]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 1000])
def test_parquet_variants_by_hand_whatever_the_chunking(tmp_path: Path, chunk_rows: int):
    path = _write_parquet(tmp_path / "v.parquet", ROWS, row_group_size=2)
    table = _score_file(path, toy(), chunk_rows, by_gas=True)
    assert table["variant_id"].to_pylist() == [1, 2, 5]
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), EXPECTED, rtol=1e-12)
    # CO2 by hand: 1.1; 2 * 0.2 + 0.5 * 0.1 = 0.45; 10 * 0.1 = 1.0.
    np.testing.assert_allclose(table["kg_co2e_CO2"].to_numpy(), [1.1, 0.45, 1.0], rtol=1e-12)
    np.testing.assert_allclose(
        table["kg_co2e_CO2"].to_numpy() + table["kg_co2e_CH4"].to_numpy(), EXPECTED, rtol=1e-12
    )


def test_csv_variants_with_text_ids(tmp_path: Path):
    path = tmp_path / "v.csv"
    path.write_text(
        "variant_id,input_id,amount\nA-1,product,1\nB-7,part,2\nB-7,factor:steel,5e-1\n",
        encoding="utf-8",
    )
    table = _score_file(path, toy())
    assert table["variant_id"].to_pylist() == ["A-1", "B-7"]
    np.testing.assert_allclose(table["kg_co2e"].to_numpy(), EXPECTED[:2], rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "variant_id,input_id,amount\n1,product,1\n2,part,abc\n",
            r"v\.csv, row 2, column amount: amount 'abc' is not a number",
        ),
        (
            "variant_id,input_id,amount\n1,product,1\n2,steel,1\n",
            r"row 2, column input_id: input_id 'steel' is not an activity of the model",
        ),
        (
            "variant_id,input_id,amount\n2,product,1\n1,part,1\n",
            r"row 2, column variant_id: variant_id 1 comes after 2; the rows must be sorted",
        ),
        ("variant_id,input,amount\n1,product,1\n", r"no column input_id; found columns"),
        ("variant_id,input_id,amount\n1,product,\n", r"row 1, column amount: amount is empty"),
        ("variant_id,input_id,amount\n1,,1\n", r"row 1, column input_id: input_id is empty"),
        ("variant_id,input_id,amount\n1,product,inf\n", r"row 1, column amount: amount is inf"),
    ],
)
def test_bad_csv_rows_are_named(tmp_path: Path, text: str, match: str):
    path = tmp_path / "v.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BatchInputError, match=match):
        _score_file(path, toy())
    assert not list(tmp_path.glob("*.out.parquet"))  # nothing half-written
    assert not list(tmp_path.glob(".*partial"))


def test_unsorted_variants_across_chunks_are_refused(tmp_path: Path):
    rows = [(1, "product", 1.0), (3, "part", 1.0), (3, "part", 1.0), (2, "part", 1.0)]
    path = _write_parquet(tmp_path / "v.parquet", rows, row_group_size=2)
    with pytest.raises(BatchInputError, match=r"row 4, column variant_id: variant_id 2 comes"):
        _score_file(path, toy(), chunk_rows=2)


def test_parquet_amount_of_wrong_type_is_named(tmp_path: Path):
    table = pa.table({"variant_id": [1], "input_id": ["product"], "amount": [True]})
    pq.write_table(table, tmp_path / "v.parquet")
    with pytest.raises(BatchInputError, match=r"row 1, column amount: amount has type bool"):
        _score_file(tmp_path / "v.parquet", toy())


def _generate(path: Path, variants_count: int, per_variant: int, row_group: int) -> int:
    """A Parquet file of ``variants_count`` variants written one row group at a time."""
    rng = np.random.default_rng(7)
    schema = pa.schema(
        [("variant_id", pa.int64()), ("input_id", pa.string()), ("amount", pa.float64())]
    )
    step = row_group // per_variant
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, variants_count, step):
            count = min(step, variants_count - start)
            ids = np.repeat(np.arange(start, start + count), per_variant)
            names = pa.array(np.array(IDS)[rng.integers(0, 3, ids.size)])
            writer.write_table(
                pa.table([ids, names, rng.random(ids.size)], schema=schema),
                row_group_size=row_group,
            )
    return variants_count * per_variant


def _peak_memory(path: Path, snapshot: Snapshot, chunk_rows: int) -> tuple[int, int, int]:
    """Peak bytes traced by tracemalloc (NumPy and Python), peak bytes held by Arrow's pool
    (sampled after every chunk), and variants scored."""
    found = compute_intensities(snapshot)
    index = activity_index(snapshot.activity_ids)
    arrow_peak = 0

    def sample(rows: int, count: int) -> None:
        nonlocal arrow_peak
        arrow_peak = max(arrow_peak, pa.total_allocated_bytes())

    tracemalloc.start()
    try:
        chunks = variants.chunks_from_batches(
            variants.parquet_batches(path, chunk_rows), index, path.name
        )
        stats = batch.run(
            chunks, found, [batch.ParquetResults(path.with_suffix(".out"))], progress=sample
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, arrow_peak, stats.variants


def test_memory_is_bounded_by_the_chunk_not_the_input(tmp_path: Path):
    chunk = 20_000
    small, large = tmp_path / "small.parquet", tmp_path / "large.parquet"
    _generate(small, 20_000, 10, chunk)  # 200,000 rows: 10 chunks
    rows = _generate(large, 200_000, 10, chunk)  # 2,000,000 rows: 100 chunks
    snapshot = toy()
    small_peak, small_arrow, _ = _peak_memory(small, snapshot, chunk)
    large_peak, large_arrow, scored = _peak_memory(large, snapshot, chunk)
    assert scored == 200_000
    whole_input = rows * (8 + 4 + 8)  # the arrays of the large input held at once
    assert large_peak < whole_input / 10, (large_peak, whole_input)
    # Ten times the input, about the same peak (allowance for allocator noise: 2x + 1 MB).
    assert large_peak < 2 * small_peak + 2**20, (small_peak, large_peak)
    assert large_arrow < whole_input / 10, (large_arrow, whole_input)
    assert large_arrow < 2 * small_arrow + 2**20, (small_arrow, large_arrow)


# -- the service on a real model ---------------------------------------------------------------
KETTLE = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")


def kettle() -> ModelInput:
    text = KETTLE.split("```yaml\n", 1)[1].split("```", 1)[0]
    return ModelInput(name="kettle.yaml", text=text)


def _context(tmp_path: Path) -> Context:
    return Context.from_settings(Settings.defaults().replace(data_dir=str(tmp_path / "data")))


def test_service_intensities_and_batch_of_the_kettle(tmp_path: Path):
    ctx = _context(tmp_path)
    request = batch_service.SnapshotRequest(model=kettle(), release="builtin")
    result = batch_service.snapshot_intensities(ctx, request)
    assert result.cache == "computed"
    by_id = {row.id: row for row in result.inputs}
    # docs/model.md by hand: the kettle's delivery (1 piece) is 2.1324696 kg CO2e.
    assert by_id["delivery"].kg_co2e_per_unit == pytest.approx(2.1324696, rel=1e-9)
    assert by_id["steel_body"].kg_co2e_per_unit == pytest.approx(2.0, rel=1e-12)
    assert by_id["delivery"].by_gas["CH4"] == pytest.approx(0.0596, rel=1e-9)
    again = batch_service.snapshot_intensities(ctx, request)
    assert (again.key, again.cache) == (result.key, "memory")

    variants_file = _write_parquet(
        tmp_path / "kettles.parquet",
        [(1, "delivery", 1.0), (2, "delivery", 2.0), (2, "steel_body", 0.5), (3, "assembly", 1)],
    )
    out = tmp_path / "results.parquet"
    done: list[tuple[int, int | None]] = []
    outcome = batch_service.run_batch(
        ctx,
        batch_service.BatchRequest(
            model=kettle(), release="builtin", variants=str(variants_file), out=str(out)
        ),
        progress=lambda rows, total: done.append((rows, total)),
    )
    assert (outcome.variants, outcome.rows, outcome.cache) == (3, 4, "memory")
    assert done[-1] == (4, 4)
    table = pq.read_table(out)
    # By hand: 2.1324696; 2 * 2.1324696 + 0.5 * 2.0 = 5.2649392; assembly: 0.8 * 2.0 +
    # 0.66 * 0.5366 + 0.0596 = 2.0137560.
    np.testing.assert_allclose(
        table["kg_co2e"].to_numpy(), [2.1324696, 5.2649392, 2.013756], rtol=1e-9
    )


def test_service_refuses_an_unknown_format(tmp_path: Path):
    with pytest.raises(BatchInputError, match="cannot tell the format"):
        batch_service.run_batch(
            _context(tmp_path),
            batch_service.BatchRequest(
                model=kettle(), release="builtin", variants="v.xlsx", out="r.parquet"
            ),
        )
