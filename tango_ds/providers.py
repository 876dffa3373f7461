"""Choose the provider of the Time Tagger library from the ``Backend`` property.

A provider is a module with the ``Swabian.TimeTagger`` API: the real library, the
simulator ``timetagger_sim``, or an ``rpc_bridge`` client proxy of a remote one.  The
rest of ``tango_ds`` only ever sees the module returned here, never which one it is.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from .confined import confine
from .messages import shown

BACKENDS_ALLOWED = "auto, swabian, sim or rpc://host:port"
_RPC = re.compile(r"^rpc://(?P<host>[A-Za-z0-9.\-]{1,253}):(?P<port>\d{1,5})/?$")
#: Longest a call to a remote library may keep a Tango request waiting (Tango clients
#: give up after 3 s): a slower remote counts as lost and is reconnected.
CALL_TIMEOUT_S = 2.5


class BackendError(ValueError):
    """The Backend property names no usable provider (message says why and what is allowed)."""


@dataclass
class Provider:
    """An opened provider: the library-like module and how to release it."""

    module: Any
    description: str
    close: Callable[[], None] = lambda: None
    remote: bool = False


def _import_swabian() -> ModuleType:
    """The real library, under either of the names Swabian ships it as."""
    try:
        return importlib.import_module("Swabian.TimeTagger")
    except ImportError:
        return importlib.import_module("TimeTagger")


def _import_sim() -> ModuleType:
    return importlib.import_module("timetagger_sim")


def _rpc(host: str, port: int, timeout: float) -> Provider:
    """A remote library, found and authenticated the way ``rpc_bridge.client`` does by default.

    Connecting may take ``timeout`` seconds; every later call at most
    :data:`CALL_TIMEOUT_S` (see :mod:`tango_ds.confined`), so a hung remote server gives
    the device a FAULT instead of freezing it or the client waiting for it.
    """
    from rpc_bridge import client  # imported lazily: only this backend needs it

    module, close = confine(lambda: client.createProxy(host=host, port=port, timeout=timeout),
                            call_timeout=min(CALL_TIMEOUT_S, timeout),
                            create_timeout=timeout + 1.0)
    return Provider(module, f"rpc://{host}:{port}", close, remote=True)


def _hardware_found(module: Any) -> bool:
    """True when the real library sees at least one Time Tagger (USB scan only)."""
    try:
        return len(module.scanTimeTagger()) > 0
    except Exception:  # noqa: BLE001 - a library without driver is "no hardware"
        return False


def open_provider(backend: str, timeout: float = 10.0) -> Provider:
    """Return the provider named by ``backend`` (see :data:`BACKENDS_ALLOWED`).

    ``timeout`` (s) bounds connecting to a remote (``rpc://``) provider; its calls are
    bounded by :data:`CALL_TIMEOUT_S` as well.
    """
    value = (backend or "auto").strip()
    if len(value) > 300:
        raise BackendError(f"Backend = {shown(value)} is not allowed: use {BACKENDS_ALLOWED}")
    key = value.lower()
    if key == "sim":
        return Provider(_import_sim(), "sim")
    if key == "swabian":
        try:
            return Provider(_import_swabian(), "swabian")
        except ImportError as exc:
            raise BackendError(f"Backend = 'swabian' but the Swabian Time Tagger library is not "
                               f"installed ({exc}); install Swabian-TimeTagger or use 'sim'") from exc
    if key == "auto":
        try:
            swabian = _import_swabian()
        except ImportError:
            return Provider(_import_sim(), "sim (auto: no Swabian library)")
        if _hardware_found(swabian):
            return Provider(swabian, "swabian (auto)")
        return Provider(_import_sim(), "sim (auto: no hardware found)")
    match = _RPC.match(value)
    if match and 0 < int(match["port"]) < 65536:
        return _rpc(match["host"], int(match["port"]), timeout)
    raise BackendError(f"Backend = {shown(value)} is not allowed: use {BACKENDS_ALLOWED}")
