"""``TimeTaggerDS <instance>`` / ``python -m tango_ds <instance>``.

Works with a Tango database (``TANGO_HOST``) and with
``-nodb -ORBendPoint giop:tcp:127.0.0.1:N -dlist a/b/c,...``.
"""

from __future__ import annotations

import sys

from .server import main as _run


def main() -> None:
    """Console-script entry point."""
    _run(["TimeTaggerDS", *sys.argv[1:]])


if __name__ == "__main__":
    main()
