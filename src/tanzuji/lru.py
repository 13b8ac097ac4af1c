"""A thread-safe map that forgets its least recently used items beyond a budget (the caches
of the public pages: verified views, rendered pages, catalogue matches)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LeastRecentlyUsed(Generic[K, V]):
    """Items within ``budget`` (the sum of ``cost(value)``, one per item by default); the
    least recently used are dropped first, but never the one just put."""

    def __init__(self, budget: int, cost: Callable[[V], int] = lambda _: 1) -> None:
        self.budget, self.cost, self.used = budget, cost, 0
        self.items: OrderedDict[K, V] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self.lock:
            old = self.items.pop(key, None)
            self.used += self.cost(value) - (self.cost(old) if old is not None else 0)
            self.items[key] = value
            while self.used > self.budget and len(self.items) > 1:
                self.used -= self.cost(self.items.popitem(last=False)[1])

    def drop(self, chosen: Callable[[K], bool]) -> None:
        """Forget the items whose key is ``chosen``."""
        with self.lock:
            for key in [k for k in self.items if chosen(k)]:
                self.used -= self.cost(self.items.pop(key))

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.used = 0


__all__ = ["LeastRecentlyUsed"]
