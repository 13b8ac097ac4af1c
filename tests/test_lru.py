"""tanzuji.lru: the budget, the order of forgetting, dropping by key (by hand)."""

from tanzuji.lru import LeastRecentlyUsed


def test_items_beyond_the_count_are_forgotten_least_recently_used_first() -> None:
    kept: LeastRecentlyUsed[str, int] = LeastRecentlyUsed(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.put("c", 3)
    assert list(kept.items) == ["a", "c"] and kept.get("b") is None and kept.used == 2


def test_costs_are_summed_and_replacing_an_item_counts_once() -> None:
    kept: LeastRecentlyUsed[str, bytes] = LeastRecentlyUsed(10, len)
    kept.put("a", b"1234")
    kept.put("a", b"123456")  # replaced: 6, not 10
    kept.put("b", b"1234")
    assert kept.used == 10 and list(kept.items) == ["a", "b"]
    kept.put("c", b"12345678901")  # over the budget alone: kept, every other one forgotten
    assert list(kept.items) == ["c"] and kept.used == 11


def test_drop_and_clear() -> None:
    kept: LeastRecentlyUsed[tuple[str, int], bytes] = LeastRecentlyUsed(100, len)
    for name, day in [("x", 1), ("x", 2), ("y", 1)]:
        kept.put((name, day), b"12")
    kept.drop(lambda key: key[0] == "x")
    assert list(kept.items) == [("y", 1)] and kept.used == 2
    kept.clear()
    assert kept.items == {} and kept.used == 0
