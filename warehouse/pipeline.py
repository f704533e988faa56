"""Run a producer a bounded number of items ahead of its consumer, in a background thread.

The loader reads and validates extract files (Polars, plus a little Python) in a producer thread while
the main thread writes the previous batches into DuckDB: both libraries release the GIL while they
work, so the two overlap on two cores. The queue between them holds at most ``depth`` items, which
bounds the memory the read-ahead costs (a few batches).

An exception raised by the producer is handed to the consumer and raised there, at the point of the
stream where it happened. The thread is a daemon and stops at its next item once :meth:`Prefetch.close`
is called, so an interrupted consumer (an error, Ctrl-C) never waits for it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()
#: Seconds a blocked put or get waits before it looks again whether the other side has stopped.
_POLL_SECONDS = 0.1
#: How long :meth:`Prefetch.close` waits for the producer to finish the item it is working on.
_CLOSE_WAIT_SECONDS = 60.0


class _Raised:
    """An exception of the producer, carried to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Prefetch(Generic[T]):
    """Iterate ``make()`` in a daemon thread, at most ``depth`` items ahead of the consumer."""

    def __init__(
        self, make: Callable[[], Iterator[T]], *, depth: int = 2, name: str = "him-prefetch"
    ) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(make,), name=name, daemon=True)
        self._thread.start()

    def _run(self, make: Callable[[], Iterator[T]]) -> None:
        items: Iterator[T] | None = None
        try:
            items = make()
            for item in items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:
            self._put(_Raised(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        while True:
            try:
                item = self._queue.get(timeout=_POLL_SECONDS)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    self._done = True
                    raise RuntimeError("the read-ahead thread stopped without a result") from None
        if item is _END:
            self._done = True
            raise StopIteration
        if isinstance(item, _Raised):
            self._done = True
            raise item.exc
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the producer and drop what it read ahead; waits (boundedly) for the thread to finish."""
        self._stop.set()
        self._done = True
        deadline = time.monotonic() + _CLOSE_WAIT_SECONDS
        while self._thread.is_alive() and time.monotonic() < deadline:
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=_POLL_SECONDS)
        while not self._queue.empty():
            self._queue.get_nowait()

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
