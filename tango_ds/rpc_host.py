"""Host the RPC bridge inside the device server, on the tagger the devices drive."""

from __future__ import annotations

from typing import Any


class RpcHost:
    """An ``rpc_bridge`` server serving ``library`` with ``tagger`` pre-registered."""

    def __init__(self, library: Any, tagger: Any, port: int) -> None:
        raise RuntimeError("the in-process RPC bridge is not available yet (rpc_bridge missing)")

    port = 0

    def close(self) -> None:
        """Stop serving."""
