"""The whole Time Tagger API over Pyro5, generated from whichever provider module is served.

Modules (one job each):

* :mod:`~rpc_bridge.introspect` sorts a provider's public names (functions, taggers,
  measurements, data objects, enums, constants; exclusions with reasons);
* :mod:`~rpc_bridge.adapters` generates the exposed Pyro5 adapters and owns lifecycle,
  argument/result conversion and exception translation;
* :mod:`~rpc_bridge.codec` puts numpy arrays on the wire (raw bytes over msgpack; the
  official base64 ``.npy`` over serpent), never pickle;
* :mod:`~rpc_bridge.security` shared-secret handshake and TLS;
* :mod:`~rpc_bridge.server` :func:`~rpc_bridge.server.serve_in_thread` (in-process
  hosting, e.g. by the Tango device server on its own tagger) and the
  ``timetagger-rpc-server`` command;
* :mod:`~rpc_bridge.client` :func:`~rpc_bridge.client.createProxy`, a module-like proxy;
* :mod:`~rpc_bridge.reference_server` runs the official ``TimeTaggerRPC`` server on any
  provider (compatibility tests, benchmark).

Server side, in process::

    from rpc_bridge.server import serve_in_thread
    handle = serve_in_thread(provider_module, host="127.0.0.1", port=23000,
                             auth_key=None, tls_context=None, preexisting_taggers=[tagger])
    handle.uri; handle.shutdown()

Client side::

    from rpc_bridge.client import createProxy
    TT = createProxy("127.0.0.1", 23000)
"""
