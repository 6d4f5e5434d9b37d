"""A virtual clock: retry and backoff sleeps, and waits on a fake that will not answer, cost nothing.

Inside ``with virtual_clock() as clock:`` (in the thread that entered it, and in the asyncio
tasks that thread starts) a sleep returns at once and moves :attr:`VirtualClock.elapsed`
forward instead; ``time.time()`` and ``time.monotonic()`` read the virtual time. A client
that waits on one of our fakes which hangs (or delays) a reply is told, at once, what it
would have seen after waiting: its read times out when the hang or delay is at least its
socket timeout, otherwise the reply arrives. Verdicts are those of real time; only the
waiting is skipped. Outside the block, and in every other thread (the fakes' own threads
included), time is real.

What is replaced while at least one clock is active, each by a wrapper that defers to the
original unless the caller runs on a virtual clock, and put back exactly when the last
clock ends:

* ``time.sleep``, ``time.time``, ``time.monotonic`` (and the ``_ns`` forms), ``asyncio.sleep``
  and ``anyio.sleep``: the standard seams that botocore's retry loop (``endpoint.py``),
  anthropic's retries (sync ``time.sleep``, async ``anyio.sleep``), aws-credentials-http's
  container retries and user code sleep through.
* ``socket.socket.recv``/``recv_into`` and ``ssl.SSLSocket.recv``/``recv_into``: only a read
  on a blocking socket whose peer is a running fake listener does anything new (it learns
  of a held reply without waiting for it); every other read goes straight to the original.
* ``selectors.DefaultSelector``, for event loops made while a clock is active (``asyncio.run``
  inside the block): when such a loop, on a virtual clock, would wait with a socket connected
  to a fake that holds its reply, the wait is settled as a blocking read's is (virtual time
  moves on to the loop's next timer, e.g. aiohttp's timeout, or the reply is released at once).
  Every other wait is the real one.
* Two bindings inside SDKs that no seam reaches, because the sleep function was bound at
  import time: ``botocore.utils.ContainerMetadataFetcher.__init__``'s ``sleep=time.sleep``
  default (the container-credentials fetcher sleeps 1 s between its 3 attempts) and
  ``smithy_core.aio.client.sleep`` (``from asyncio import sleep``; the experimental
  client's retry backoff). Each is replaced only if it still holds the original.

``datetime.now()`` stays real (SigV4 dates and credential expiry checks are untouched);
``time.perf_counter()`` stays real (it measures). Threads a test starts keep real time.
Code that polls with a sleep while waiting for *another thread* should not run on a
virtual clock: its sleeps would not give that thread time.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import os
import select
import selectors
import socket
import ssl
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "Hold",
    "VirtualClock",
    "current_clock",
    "hold_reply",
    "listener_started",
    "listener_stopped",
    "real_monotonic",
    "real_sleep",
    "real_time",
    "virtual_clock",
]

_real_sleep = real_sleep = time.sleep
_real_time = real_time = time.time
_real_time_ns = time.time_ns
_real_monotonic = real_monotonic = time.monotonic
_real_monotonic_ns = time.monotonic_ns
_real_asleep = asyncio.sleep
_DEFAULT_SELECTOR = selectors.DefaultSelector

_CURRENT: contextvars.ContextVar[VirtualClock | None] = contextvars.ContextVar("bedrock_virtual_clock", default=None)


class VirtualClock:
    """Virtual time for one block of code. :attr:`elapsed` is how far it has moved;
    :attr:`sleeps` lists every sleep it absorbed, in order, and :attr:`waits` every wait on a
    fake it skipped (a read that timed out, or a delayed reply)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._sleeps: list[float] = []
        self._waits: list[float] = []

    @property
    def elapsed(self) -> float:
        """Virtual seconds that have passed (sleeps, timeouts and delays skipped, :meth:`advance`)."""
        return self._offset

    @property
    def sleeps(self) -> tuple[float, ...]:
        return tuple(self._sleeps)

    @property
    def waits(self) -> tuple[float, ...]:
        return tuple(self._waits)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by hand."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
            raise ValueError(f"seconds must be a finite non-negative number, not {seconds!r}")
        with self._lock:
            self._offset += seconds

    def time(self) -> float:
        return _real_time() + self._offset

    def monotonic(self) -> float:
        return _real_monotonic() + self._offset

    def _absorb(self, seconds: float, into: list[float]) -> None:
        with self._lock:
            self._offset += seconds
            into.append(seconds)

    def __repr__(self) -> str:
        return f"VirtualClock(elapsed={self._offset:.3f}s, sleeps={len(self._sleeps)}, waits={len(self._waits)})"


def current_clock() -> VirtualClock | None:
    """The clock the calling code runs on, or ``None`` (real time)."""
    return _CURRENT.get()


@contextmanager
def virtual_clock(clock: VirtualClock | None = None) -> Iterator[VirtualClock]:
    """Run the block on a virtual clock (a new one unless ``clock`` is given).

    Nested clocks shadow the outer one; when an inner clock ends, the outer one moves on by
    the time that passed inside, so ``time.monotonic()`` never goes back within the block.
    """
    clock = clock if clock is not None else VirtualClock()
    outer = _CURRENT.get()
    _install()
    token = _CURRENT.set(clock)
    start = clock.elapsed
    try:
        yield clock
    finally:
        _CURRENT.reset(token)
        _uninstall()
        if outer is not None and outer is not clock:
            outer.advance(max(0.0, clock.elapsed - start))


# -- the wrappers: virtual in a clock's context, the original everywhere else ---------------------------


def _sleep(seconds: float) -> None:
    clock = _CURRENT.get()
    if clock is None:
        return _real_sleep(seconds)
    seconds = float(seconds)
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    if not math.isfinite(seconds):
        return _real_sleep(seconds)  # the real error
    clock._absorb(seconds, clock._sleeps)
    _real_sleep(0)  # let other threads run, as a real sleep would
    return None


async def _asleep(delay: float, result: Any = None) -> Any:
    clock = _CURRENT.get()
    if clock is None or not 0 < delay < math.inf:
        return await _real_asleep(delay, result)  # sleep(0) yields; an endless sleep waits to be cancelled
    clock._absorb(float(delay), clock._sleeps)
    return await _real_asleep(0, result)


async def _anyio_sleep(delay: float) -> None:
    await _asleep(delay)


def _reading(real: Callable[[], Any], per_second: float) -> Callable[[], Any]:
    """``time.time``/``time.monotonic`` (``per_second=1``) or their ``_ns`` forms (``1e9``)."""

    def read() -> Any:
        clock = _CURRENT.get()
        if clock is None:
            return real()
        return real() + (clock._offset if per_second == 1 else int(clock._offset * per_second))

    return read


_time = _reading(_real_time, 1)
_time_ns = _reading(_real_time_ns, 1e9)
_monotonic = _reading(_real_monotonic, 1)
_monotonic_ns = _reading(_real_monotonic_ns, 1e9)


# -- held replies: a fake that delays or hangs tells a waiting virtual client at once ---------------------


class Hold:
    """A reply a fake holds back on one connection: for ``seconds`` (``None``: never).

    The fake waits (in real time) for :meth:`wait_for_client`; a client on a virtual clock
    settles it at once: its read times out (the hold stays, shortened by that timeout, as a
    real delay would be), or the client takes the reply and virtual time moves by the rest.
    """

    def __init__(self, key: tuple[str, int], seconds: float | None) -> None:
        self.key = key
        self.remaining = seconds
        self._answer = threading.Event()

    def settle(self, clock: VirtualClock, timeout: float | None, ssl_socket: bool) -> None:
        """Called by a client's read: raise its timeout, or release the reply (the caller then reads it)."""
        remaining = self.remaining
        if remaining is not None and (timeout is None or remaining < timeout):
            clock._absorb(remaining, clock._waits)
            self.remaining = 0.0
            self._answer.set()
            return
        if timeout is None:  # a reply that never comes, and a client that never gives up: the fake's own limit
            return
        clock._absorb(timeout, clock._waits)
        if remaining is not None:
            self.remaining = remaining - timeout
        raise TimeoutError("The read operation timed out" if ssl_socket else "timed out")

    def wait_for_client(self, seconds: float | None, stopping: threading.Event, closed: Any) -> bool:
        """Fake side: wait until a virtual client takes the reply (``True``), the real ``seconds``
        pass (``True``), or the connection closes or the fake stops (``False``)."""
        deadline = None if seconds is None else _real_monotonic() + seconds
        while not stopping.is_set():
            if self._answer.is_set():
                return True
            left = None if deadline is None else deadline - _real_monotonic()
            if left is not None and left <= 0:
                return True
            if closed():
                return False
            self._answer.wait(0.05 if left is None else min(0.05, left))
        return False


_holds_lock = threading.Lock()
_HOLDS: dict[tuple[str, int], Hold] = {}
_LISTENERS: set[tuple[str, int]] = set()


def listener_started(address: tuple[Any, ...]) -> None:
    """A fake listens at ``address``: reads from it may be settled on a virtual clock."""
    with _holds_lock:
        _LISTENERS.add((str(address[0]), int(address[1])))


def listener_stopped(address: tuple[Any, ...]) -> None:
    with _holds_lock:
        _LISTENERS.discard((str(address[0]), int(address[1])))


@contextmanager
def hold_reply(client: tuple[Any, ...], seconds: float | None) -> Iterator[Hold]:
    """Fake side: hold a reply to ``client`` for ``seconds`` (``None``: never). While a virtual
    clock is active anywhere in the process, a client on it can settle the hold at once."""
    hold = Hold((str(client[0]), int(client[1])), seconds)
    if _installed == 0:
        yield hold
        return
    with _holds_lock:
        _HOLDS[hold.key] = hold
    try:
        yield hold
    finally:
        with _holds_lock:
            if _HOLDS.get(hold.key) is hold:
                del _HOLDS[hold.key]


def _settle_read(sock: socket.socket) -> None:
    """Before a blocking read from a fake on a virtual clock: wait (in real time) only until the
    fake has either answered or held its reply; a held reply is settled at once."""
    clock = _CURRENT.get()
    if clock is None or not _LISTENERS:
        return
    try:
        timeout = sock.gettimeout()
        if timeout == 0.0:
            return
        peer = sock.getpeername()
        if (str(peer[0]), int(peer[1])) not in _LISTENERS:
            return
        local = sock.getsockname()
    except (OSError, TypeError, IndexError):
        return
    key = (str(local[0]), int(local[1]))
    is_ssl = isinstance(sock, ssl.SSLSocket)
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return
    started = _real_monotonic()
    pause = 0.0005
    while True:
        hold = _HOLDS.get(key)
        if hold is not None:
            hold.settle(clock, timeout, is_ssl)
            return
        if _readable(sock, pause):
            return
        pause = min(pause * 2, 0.02)
        if timeout is not None and _real_monotonic() - started >= timeout:
            raise TimeoutError("The read operation timed out" if is_ssl else "timed out")  # really waited


def _readable(sock: socket.socket, seconds: float) -> bool:
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
            return bool(poller.poll(seconds * 1000))
        return bool(select.select([sock], [], [], seconds)[0])
    except (OSError, ValueError):
        return True  # let the real read report it


def _held(keys: Any) -> Hold | None:
    """The hold on one of the sockets a selector watches, if a fake holds a reply to one."""
    for key in keys:
        fileobj = key.fileobj
        try:
            if isinstance(fileobj, socket.socket):
                local = fileobj.getsockname()
            else:
                with socket.socket(fileno=os.dup(key.fd)) as view:  # a duplicate: closing it closes nothing else
                    local = view.getsockname()
        except (OSError, TypeError, ValueError):
            continue
        if isinstance(local, tuple) and len(local) >= 2:
            hold = _HOLDS.get((str(local[0]), int(local[1])))
            if hold is not None:
                return hold
    return None


class _VirtualSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type, unused-ignore]
    """The default selector, except that a wait on a virtual clock, while a fake holds a reply to
    one of the watched sockets, is settled at once (see :class:`Hold`); every other wait is real."""

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        clock = _CURRENT.get()
        if clock is None or not _LISTENERS or (timeout is not None and timeout <= 0):
            return super().select(timeout)
        started = _real_monotonic()
        pause = 0.0005
        while True:  # as a blocking read does: wait for data, or for the fake to say it holds the reply
            ready = super().select(pause if timeout is None else min(pause, timeout))
            if ready:
                return ready
            hold = _held(self.get_map().values()) if _HOLDS else None
            if hold is not None:
                break
            waited = _real_monotonic() - started
            if timeout is not None and waited >= timeout:
                return []
            pause = min(pause * 2, 0.02)
        remaining = hold.remaining
        if remaining is not None and (timeout is None or remaining < timeout):
            clock._absorb(remaining, clock._waits)  # the reply comes before the loop's next timer
            hold.remaining = 0.0
            hold._answer.set()
            return super().select(timeout)
        if timeout is None:  # a hang, and nothing scheduled: the real wait (the fake's own limit)
            return super().select(None)
        clock._absorb(timeout, clock._waits)  # nothing arrives before the next timer: move on to it
        if remaining is not None:
            hold.remaining = remaining - timeout
        return []


def _reader(original: Any) -> Any:
    def read(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
        if _CURRENT.get() is not None:
            _settle_read(self)
        return original(self, *args, **kwargs)

    read.__wrapped__ = original  # type: ignore[attr-defined]
    return read


# -- installing and restoring ----------------------------------------------------------------------------

_install_lock = threading.Lock()
_installed = 0
_saved: list[tuple[Any, str, bool, Any]] = []  # (owner, attribute, was in owner.__dict__, original)
_modules_before = 0  # len(sys.modules) when the first clock started: later imports come after, in order

_MODULE_SWAPS: tuple[tuple[str, str, Any], ...] = (
    ("time", "sleep", _sleep),
    ("time", "time", _time),
    ("time", "time_ns", _time_ns),
    ("time", "monotonic", _monotonic),
    ("time", "monotonic_ns", _monotonic_ns),
    ("asyncio", "sleep", _asleep),
    ("anyio", "sleep", _anyio_sleep),
    ("smithy_core.aio.client", "sleep", _asleep),
)
_ORIGINALS: dict[Any, Any] = {
    _sleep: _real_sleep,
    _time: _real_time,
    _time_ns: _real_time_ns,
    _monotonic: _real_monotonic,
    _monotonic_ns: _real_monotonic_ns,
    _asleep: _real_asleep,
}


#: id(wrapper) -> (wrapper, original): found by identity, so no foreign __hash__ is ever called.
_BY_ID: dict[int, tuple[Any, Any]] = {id(wrapper): (wrapper, original) for wrapper, original in _ORIGINALS.items()}


def _swap(owner: Any, attribute: str, replacement: Any) -> None:
    was_own = attribute in vars(owner)
    _saved.append((owner, attribute, was_own, getattr(owner, attribute)))
    setattr(owner, attribute, replacement)


def _install() -> None:
    global _installed, _modules_before
    with _install_lock:
        _installed += 1
        if _installed > 1:
            return
        _modules_before = len(sys.modules)
        for module_name, attribute, replacement in _MODULE_SWAPS:
            module = sys.modules.get(module_name)
            if module is None or not hasattr(module, attribute):
                continue
            if module_name == "anyio" or getattr(module, attribute) is _ORIGINALS.get(replacement):
                _swap(module, attribute, replacement)
        for cls in (socket.socket, ssl.SSLSocket):
            for name in ("recv", "recv_into"):
                _swap(cls, name, _reader(getattr(cls, name)))
        if selectors.DefaultSelector is _DEFAULT_SELECTOR:
            _swap(selectors, "DefaultSelector", _VirtualSelector)
        fetcher = _container_fetcher_init()
        if fetcher is not None and fetcher.__defaults__ is not None and _real_sleep in fetcher.__defaults__:
            _swap(fetcher, "__defaults__", tuple(_sleep if d is _real_sleep else d for d in fetcher.__defaults__))


def _uninstall() -> None:
    global _installed
    with _install_lock:
        _installed -= 1
        if _installed > 0:
            return
        while _saved:
            owner, attribute, was_own, original = _saved.pop()
            if was_own or attribute == "__defaults__":
                setattr(owner, attribute, original)
            else:
                delattr(owner, attribute)
        _unbind_new_modules()


def _container_fetcher_init() -> types.FunctionType | None:
    fetcher = getattr(sys.modules.get("botocore.utils"), "ContainerMetadataFetcher", None)
    init = vars(fetcher).get("__init__") if isinstance(fetcher, type) else None
    return init if isinstance(init, types.FunctionType) else None


def _unbind_new_modules() -> None:
    """Modules first imported on a virtual clock may have bound a wrapper (``from time import
    sleep``, a ``sleep=time.sleep`` default): give them the original back."""
    for name in list(sys.modules)[_modules_before:]:
        module = sys.modules.get(name)
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attribute, value in list(namespace.items()):
            original = _BY_ID.get(id(value))
            if original is not None and value is original[0]:
                namespace[attribute] = original[1]
    fetcher = _container_fetcher_init()
    if fetcher is not None and fetcher.__defaults__ is not None and _sleep in fetcher.__defaults__:
        fetcher.__defaults__ = tuple(_real_sleep if d is _sleep else d for d in fetcher.__defaults__)
