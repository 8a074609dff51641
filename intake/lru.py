"""A small least-recently-used map shared by a process's threads (the guide renderer's
caches, the partner API's recognised keys)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most ``size`` entries; the least recently read or written goes first.

    A miss is computed by the caller outside the lock, so two threads may
    compute the same entry once each: both results are equal, the second
    one stays.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, value) when present, else (False, None): a cached None is a value too."""
        with self._lock:
            if key not in self._entries:
                return False, None
            self._entries.move_to_end(key)
            return True, self._entries[key]

    def put(self, key: K, value: V) -> V:
        """Store ``value`` (dropping the oldest beyond ``size``) and return it."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def discard(self, key: K) -> None:
        """Forget ``key`` if present."""
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
