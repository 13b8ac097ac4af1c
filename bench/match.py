"""Matching benchmark: recall on the labelled set and latency at 100,000 factors.

Usage::

    .venv/bin/python bench/match.py            # recall@1/@5 + p95 on starter data and at 100k
    .venv/bin/python bench/match.py --misses   # also list the items ranked wrong
    .venv/bin/python bench/match.py --size 20000

Recall is measured on ``bench/match_eval.yaml`` against the starter database only. The 100k
index adds synthetic factors (random bilingual names built from the synonym table's words,
random units, places and years): fine for timing, meaningless for accuracy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import yaml

from tanzuji.factors.database import FactorDatabase
from tanzuji.factors.match import FactorIndex
from tanzuji.factors.record import FactorRecord, Source
from tanzuji.factors.starter import load_starter
from tanzuji.factors.text import synonyms

EVAL_FILE = Path(__file__).with_name("match_eval.yaml")


def load_items(path: Path = EVAL_FILE) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def evaluate(index: FactorIndex | FactorDatabase, items: list[dict]) -> dict:
    """recall@1, recall@5, per-query latencies (ms) and the misses of ``index.match``.

    ``index`` is an in-memory :class:`FactorIndex` or a :class:`FactorDatabase` (its search
    index; ``bench/match_db.py``): both answer ``match`` with the same arguments.
    """
    hits1 = hits5 = 0
    latencies, misses = [], []
    for item in items:
        start = time.perf_counter()
        found = index.match(
            item["text"],
            unit=item.get("unit"),
            geography=item.get("geography"),
            year=item.get("year"),
            limit=5,
        )
        latencies.append((time.perf_counter() - start) * 1000)
        ids = [c.id for c in found]
        expect = set(item["expect"])
        hits1 += bool(ids[:1] and ids[0] in expect)
        hits5 += bool(expect & set(ids))
        if not (ids[:1] and ids[0] in expect):
            misses.append((item["text"], item["expect"], ids[:3]))
    n = len(items)
    return {
        "n": n,
        "recall@1": hits1 / n,
        "recall@5": hits5 / n,
        "latencies": latencies,
        "misses": misses,
    }


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def synthetic_records(count: int, seed: int = 7) -> list[FactorRecord]:
    """``count`` random factors with bilingual names (timing only; values are meaningless)."""
    rng = random.Random(seed)
    table = synonyms()
    english = sorted({" ".join(words) for words in table.phrases})
    chinese = sorted(table.chinese)
    units = ["kg", "t", "kWh", "MJ", "L", "m3", "tkm", "km", "pkm", "piece", "CNY"]
    places = ["CN", "CN-GD", "CN-CSG", "GB", "US", "DE", "FR", "JP", "GLO", "CN-SH", "CN-BJ"]
    source = Source(publisher="synthetic", document="bench/match.py (timing only)")
    records = []
    for i in range(count):
        name_en = " ".join(rng.sample(english, 3)) + f" variant {i % 97}"
        name_zh = "".join(rng.sample(chinese, 2)) + " " + rng.choice(chinese)
        records.append(
            FactorRecord.model_construct(
                id=f"synthetic.{i}",
                version=1,
                name_en=name_en,
                name_zh=name_zh,
                activity="synthetic",
                unit=rng.choice(units),
                kg_co2e=rng.random(),
                gases=[],
                boundary="cradle_to_gate",
                geography=rng.choice(places),
                year=rng.randint(2015, 2024),
                source=source,
                licence="synthetic",
                status="published",
                classification={},
                comment="",
            )
        )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="factors in the large index")
    parser.add_argument("--misses", action="store_true", help="list items ranked wrong")
    args = parser.parse_args()

    items = load_items()
    starter = load_starter()
    index = FactorIndex(starter)
    evaluate(index, items[:10])  # warm-up: jieba dictionary, unit caches
    result = evaluate(index, items)
    print(f"starter database: {len(starter)} factors, {result['n']} labelled activities")
    print(f"  recall@1 = {result['recall@1']:.3f}   recall@5 = {result['recall@5']:.3f}")
    print(
        f"  latency p50 = {statistics.median(result['latencies']):.2f} ms   "
        f"p95 = {p95(result['latencies']):.2f} ms"
    )
    if args.misses:
        for text, expect, got in result["misses"]:
            print(f"  MISS {text!r}\n       expected {expect}\n       got      {got}")

    extra = max(args.size - len(starter), 0)
    start = time.perf_counter()
    big = FactorIndex(starter + synthetic_records(extra))
    build_s = time.perf_counter() - start
    evaluate(big, items[:10])
    timed = evaluate(big, items)
    timed2 = evaluate(big, items)
    latencies = timed["latencies"] + timed2["latencies"]
    print(f"{len(big.records)} factors (starter + synthetic), index built in {build_s:.1f} s")
    print(
        f"  latency p50 = {statistics.median(latencies):.2f} ms   p95 = {p95(latencies):.2f} ms "
        f"({len(latencies)} queries)"
    )


if __name__ == "__main__":
    main()
