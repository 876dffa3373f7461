"""Host the RPC bridge inside the device server, on the tagger the devices drive.

A Time Tagger can be opened by one process only; with ``RpcPort`` > 0 the device
server serves the library over ``rpc_bridge`` and hands the tagger it already holds
to every client, so a script can attach any library measurement to the same
hardware. The bridge's own rules apply: it always authenticates (``RpcKeyFile``, else
``$TIMETAGGER_RPC_KEY``, else the server user's per-user key file, created on first
start), unless ``RpcInsecureNoAuth`` says otherwise on loopback; TLS (with required
client certificates when a CA is given); file names confined to ``DataDir``; the
simulator's ``simUnplug``/``simConnect`` only with ``RpcAllowSimControl``.
"""

from __future__ import annotations

from typing import Any

from rpc_bridge import security
from rpc_bridge.server import serve_in_thread


class RpcHost:
    """An ``rpc_bridge`` server for ``library`` sharing the already opened ``tagger``."""

    def __init__(self, library: Any, tagger: Any, port: int, address: str = "127.0.0.1",
                 key_file: str = "", tls_cert: str = "", tls_key: str = "",
                 tls_ca: str = "", data_dir: str = "", insecure_no_auth: bool = False,
                 sim_control: bool = False) -> None:
        if tls_ca and not tls_cert:
            raise ValueError("RpcTlsCa needs RpcTlsCert and RpcTlsKey: client certificates "
                             "are checked on a TLS connection only")
        if insecure_no_auth and key_file:
            raise ValueError("RpcInsecureNoAuth and RpcKeyFile exclude each other")
        context = security.server_context(tls_cert, tls_key, tls_ca or None) if tls_cert else None
        self._handle = serve_in_thread(library, host=address, port=port,
                                       auth_key_file=key_file or None, tls_context=context,
                                       preexisting_taggers=[tagger], data_dir=data_dir or None,
                                       insecure_no_auth=insecure_no_auth,
                                       remote_sim_control=sim_control)
        self.uri = str(self._handle.uri)
        self.port = int(self.uri.rsplit(":", 1)[1])
        self.key_origin = self._handle.key_origin
        self.data_dir = self._handle.data_dir

    def close(self) -> None:
        """Stop serving; the tagger stays open (it belongs to the device)."""
        self._handle.shutdown()
