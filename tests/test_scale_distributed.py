"""Batch and Monte Carlo jobs on dask.distributed (a real LocalCluster of two worker
processes) give bitwise the results of the single-process run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tanzuji.context import Context
from tanzuji.errors import BatchInputError
from tanzuji.scale import batch, distributed, variants
from tanzuji.scale.snapshot import activity_index, compute_intensities
from tanzuji.services import batch as batch_service
from tanzuji.services.calculation import ModelInput
from tanzuji.settings import Settings

from scale_toy import IDS, toy  # isort: skip

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def client():
    with distributed.local_client(2) as running:
        yield running


def _variants_file(path: Path, count: int, row_group: int, seed: int = 3) -> Path:
    """Variants of 1 to 6 rows, so that many straddle the row groups of ``row_group`` rows."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 7, count)
    ids = np.repeat(np.arange(count) * 3, sizes)  # gaps in the ids are allowed
    names = np.array(IDS)[rng.integers(0, 3, ids.size)]
    amounts = rng.lognormal(0.0, 2.0, ids.size)
    table = pa.table({"variant_id": ids, "input_id": names, "amount": amounts})
    pq.write_table(table, path, row_group_size=row_group)
    return path


def _table(rows: list[tuple]) -> pa.Table:
    ids, inputs, amounts = zip(*rows, strict=True)
    return pa.table({"variant_id": ids, "input_id": inputs, "amount": amounts})


def _single_process(path: Path, out: Path, chunk_rows: int) -> pa.Table:
    found = compute_intensities(toy())
    chunks = variants.chunks_from_batches(
        variants.parquet_batches(path, chunk_rows), activity_index(IDS), path.name
    )
    batch.run(chunks, found, [batch.ParquetResults(out)])
    return pq.read_table(out)


@pytest.mark.parametrize("row_group", [5, 64])
def test_distributed_batch_is_identical_to_single_process(client, tmp_path: Path, row_group):
    path = _variants_file(tmp_path / "v.parquet", 400, row_group)
    expected = _single_process(path, tmp_path / "single.parquet", chunk_rows=37)
    snapshot = toy()
    stats = distributed.batch_parquet(
        client, path, tmp_path / "dask.parquet", snapshot, compute_intensities(snapshot)
    )
    got = pq.read_table(tmp_path / "dask.parquet")
    assert stats.variants == 400 == got.num_rows
    assert got["variant_id"].to_pylist() == expected["variant_id"].to_pylist()
    # Bitwise: each variant's sum runs over its rows in file order in both runs.
    assert np.array_equal(got["kg_co2e"].to_numpy(), expected["kg_co2e"].to_numpy())
    assert stats.chunks == pq.ParquetFile(path).metadata.num_row_groups


def test_a_variant_spanning_several_row_groups(client, tmp_path: Path):
    rows = [(1, "product", 1.0)] + [(2, "part", 0.5)] * 9 + [(3, "factor:steel", 2.0)]
    table = _table(rows)
    pq.write_table(table, tmp_path / "v.parquet", row_group_size=2)
    snapshot = toy()
    distributed.batch_parquet(
        client,
        tmp_path / "v.parquet",
        tmp_path / "out.parquet",
        snapshot,
        compute_intensities(snapshot),
    )
    got = pq.read_table(tmp_path / "out.parquet")
    # By hand (test_scale_batch.toy): 1.398; 9 * 0.5 * 0.796 = 3.582; 2 * 0.398 = 0.796.
    assert got["variant_id"].to_pylist() == [1, 2, 3]
    np.testing.assert_allclose(got["kg_co2e"].to_numpy(), [1.398, 3.582, 0.796], rtol=1e-12)


def test_a_bad_row_is_named_from_a_worker(client, tmp_path: Path):
    rows = [(1, "product", 1.0), (2, "part", 1.0), (2, "nope", 1.0), (3, "part", 1.0)]
    table = _table(rows)
    pq.write_table(table, tmp_path / "v.parquet", row_group_size=2)
    snapshot = toy()
    with pytest.raises(BatchInputError, match=r"row 3, column input_id: input_id 'nope'"):
        distributed.batch_parquet(
            client,
            tmp_path / "v.parquet",
            tmp_path / "out.parquet",
            snapshot,
            compute_intensities(snapshot),
        )
    assert not (tmp_path / "out.parquet").exists()


def test_plan_needs_statistics_and_order(tmp_path: Path):
    table = pa.table({"variant_id": [1, 2, 3, 4], "input_id": ["a"] * 4, "amount": [1.0] * 4})
    pq.write_table(table, tmp_path / "plain.parquet", row_group_size=2, write_statistics=False)
    with pytest.raises(BatchInputError, match="no statistics of variant_id"):
        distributed.plan(tmp_path / "plain.parquet")
    swapped = pa.table({"variant_id": [3, 4, 1, 2], "input_id": ["a"] * 4, "amount": [1.0] * 4})
    pq.write_table(swapped, tmp_path / "swapped.parquet", row_group_size=2)
    with pytest.raises(BatchInputError, match="row group 1 starts with variant_id 1"):
        distributed.plan(tmp_path / "swapped.parquet")


def test_monte_carlo_on_the_cluster_is_identical_to_this_process(client, tmp_path: Path):
    model = ModelInput(
        name="widget_uncertain.yaml", text=(DATA / "widget_uncertain.yaml").read_text()
    )
    settings = Settings.defaults().replace(data_dir=str(tmp_path))
    ctx = Context.from_settings(settings)
    request = batch_service.MonteCarloJobRequest(
        model=model, release="builtin", iterations=250, seed=5, block_size=64
    )
    local = batch_service.run_monte_carlo(ctx, request)
    compiled, snapshot = batch_service.compiled_snapshot(ctx, request)
    remote = distributed.monte_carlo_distributed(
        client,
        compiled.system,
        snapshot.key,
        snapshot.gwp_set,
        250,
        5,
        64,
        ctx.monte_carlo_options,
    )
    assert len(local.scores) == 250
    assert np.array_equal(np.array(local.scores), remote.scores)
    assert local.stage_names == remote.stage_names
    assert remote.stage_scores.shape == (len(remote.stage_names), 250)
    other = batch_service.run_monte_carlo(ctx, request.model_copy(update={"seed": 6}))
    assert other.scores != local.scores
