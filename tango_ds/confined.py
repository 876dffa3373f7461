"""Use a thread-bound library proxy from many threads, never waiting long for it.

The ``rpc_bridge`` client (like any Pyro5 proxy) belongs to the thread that created
it, while a Tango server calls the library from its request threads and from the
event workers.  :func:`confine` creates the proxy on one dedicated thread and returns
a stand-in that runs every attribute access and call there; objects it returns
(taggers, measurements) come back wrapped the same way, plain data as it is.

No caller waits more than ``call_timeout`` seconds: Tango clients give up after 3 s,
so a remote server that stops answering must not hold a request thread longer.  A
call that takes longer raises :class:`TimeoutError` (and so does every later call:
the connection is then considered lost; the TimeTagger device reconnects).  Transport
errors of Pyro5 arrive as :class:`ConnectionError`, so callers tell a lost backend
(``OSError``) from a refusal of the library (``ValueError``, ...).
"""

from __future__ import annotations

import concurrent.futures
import enum
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np
from Pyro5.errors import CommunicationError

_PLAIN = (type(None), bool, int, float, complex, str, bytes, np.ndarray, np.generic, enum.Enum)


class _Owner:
    """The one thread that may touch the proxy."""

    def __init__(self, call_timeout: float) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rpc-owner")
        self.timeout = call_timeout
        self._lost: str | None = None

    def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``function`` on the owning thread and return its result (bounded wait)."""
        if self._lost:
            raise TimeoutError(self._lost)
        try:
            future = self._pool.submit(function, *args, **kwargs)
        except RuntimeError as exc:  # shut down: the connection was closed
            raise ConnectionError("the connection to the remote server is closed") from exc
        try:
            return future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            self._lost = (f"the remote server did not answer within {self.timeout:g} s (a Tango "
                          "client waits 3 s at most); the connection is given up")
            raise TimeoutError(self._lost) from None
        except CommunicationError as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc

    def shutdown(self) -> None:
        """Let the owning thread end (once a call it is stuck in returns)."""
        self._pool.shutdown(wait=False)


class Confined:
    """Stand-in for an object living on the owner thread."""

    __slots__ = ("_owner", "_target")

    def __init__(self, owner: _Owner, target: Any) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        return _wrap(self._owner, self._owner.run(getattr, self._target, name))

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._owner, self._owner.run(lambda: self._target[key]))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = _unwrap(args), _unwrap(kwargs)
        return _wrap(self._owner, self._owner.run(self._target, *args, **kwargs))

    def __repr__(self) -> str:
        return f"Confined({self._owner.run(repr, self._target)})"


def _is_plain(value: Any) -> bool:
    if isinstance(value, type) and issubclass(value, enum.Enum):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def _wrap(owner: _Owner, value: Any) -> Any:
    return value if _is_plain(value) else Confined(owner, value)


def _unwrap(value: Any) -> Any:
    if isinstance(value, Confined):
        return value._target
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def confine(create: Callable[[], Any], call_timeout: float,
            create_timeout: float | None = None) -> tuple[Any, Callable[[], None]]:
    """(stand-in for ``create()`` made on its own thread, function that closes both).

    ``create`` may take ``create_timeout`` seconds (default ``call_timeout``); every
    later call ``call_timeout``.  Closing never waits for a stuck call.
    """
    owner = _Owner(create_timeout or call_timeout)
    try:
        target = owner.run(create)
    except BaseException:
        owner.shutdown()  # no thread left behind when e.g. the remote cannot be reached
        raise
    owner.timeout = call_timeout

    def close() -> None:
        try:
            owner._pool.submit(getattr(target, "close", lambda: None))
        except RuntimeError:
            pass  # closed already
        owner.shutdown()

    return Confined(owner, target), close
