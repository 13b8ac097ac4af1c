"""Computation at platform scale: content-addressed snapshots, batch footprints of many
product variants, distributed jobs (dask.distributed) and rechecks of many certificates.

- :mod:`tanzuji.scale.snapshot` — a (factor release, model version) pair frozen as a
  content-addressed snapshot; its intensities computed once and cached (memory, then disk).
- :mod:`tanzuji.scale.variants` — the long input format of product variants, read in chunks
  from Parquet, CSV or rows (the database), with errors naming row and column.
- :mod:`tanzuji.scale.kernel` — the scoring kernel (one pass over a chunk of variants).
- :mod:`tanzuji.scale.batch` — the streaming run: chunks in, scores out to Parquet.
- :mod:`tanzuji.scale.distributed` — the same batch and Monte Carlo jobs on dask.distributed.
- :mod:`tanzuji.scale.recheck` — a new factor release against many certificates, grouped by
  model so each model is computed once.
"""
