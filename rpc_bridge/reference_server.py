"""Run the official ``TimeTaggerRPC`` server on any provider (for compatibility tests and benchmarks).

The official server does ``import TimeTagger``; this launcher makes the chosen provider
importable under that name first. Usage::

    python -m rpc_bridge.reference_server --port 23001 [--backend MODULE]

``--backend`` names the provider module to import (default ``timetagger_sim``; e.g.
``Swabian.TimeTagger``).

It prints the official ``Server URI= ...`` line once listening.
"""
from __future__ import annotations

import argparse
import importlib
import sys


def main(argv: list[str] | None = None) -> None:
    """Command line: run the official server on the provider module given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", metavar="MODULE", default="timetagger_sim",
                        help="provider module to import as TimeTagger (default timetagger_sim)")
    args = parser.parse_args(argv)
    provider = importlib.import_module(args.backend)
    # TimeTaggerRPC 0.0.6 assumes every class with getDataObject() has a "<Class>Data" class;
    # since library 2.22 two return a shared one (the real library fails this way too)
    for name, data in (("HistogramCustomBinsData", "HistogramLogBinsData"),
                       ("PulsePerSecondMonitorData", "PulsePerSecondData")):
        if not hasattr(provider, name) and hasattr(provider, data):
            setattr(provider, name, getattr(provider, data))
    sys.modules["TimeTagger"] = provider
    from TimeTaggerRPC import server  # imported after the alias: it does `import TimeTagger`

    sys.stdout.reconfigure(line_buffering=True)
    server.start_server(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
