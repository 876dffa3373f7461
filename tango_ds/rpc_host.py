"""Host the RPC bridge inside the device server, on the tagger the devices drive.

A Time Tagger can be opened by one process only; with ``RpcPort`` > 0 the device
server serves the library over ``rpc_bridge`` and hands the tagger it already holds
to every client, so a script can attach any library measurement to the same
hardware.  Authentication and TLS (with required client certificates when a CA is
given) are the bridge's own options.
"""

from __future__ import annotations

from typing import Any

from rpc_bridge import security
from rpc_bridge.server import serve_in_thread


class RpcHost:
    """An ``rpc_bridge`` server for ``library`` sharing the already opened ``tagger``."""

    def __init__(self, library: Any, tagger: Any, port: int, address: str = "127.0.0.1",
                 key_file: str = "", tls_cert: str = "", tls_key: str = "",
                 tls_ca: str = "") -> None:
        if tls_ca and not tls_cert:
            raise ValueError("RpcTlsCa needs RpcTlsCert and RpcTlsKey: client certificates "
                             "are checked on a TLS connection only")
        context = security.server_context(tls_cert, tls_key, tls_ca or None) if tls_cert else None
        self._handle = serve_in_thread(library, host=address, port=port,
                                       auth_key=security.load_key(key_file or None),
                                       tls_context=context, preexisting_taggers=[tagger])
        self.uri = str(self._handle.uri)
        self.port = int(self.uri.rsplit(":", 1)[1])

    def close(self) -> None:
        """Stop serving; the tagger stays open (it belongs to the device)."""
        self._handle.shutdown()
