"""Keep large message buffers in the heap instead of fresh ``mmap``s (glibc only).

Why: every reply carrying an array needs a fresh multi-megabyte buffer on both ends.
glibc serves blocks above 128 KiB with ``mmap`` and returns them at ``free``, so each
transfer pays page faults on every 4 KiB page, which on these machines cost more than
the copy itself (8 MB array: ~8.5 ms per call instead of ~3 ms). Raising the mmap
threshold to its maximum (32 MiB on 64-bit) and keeping up to :data:`TRIM_THRESHOLD` of
free heap lets consecutive transfers reuse warm pages. The cost is that the process
keeps up to that much freed memory. Other C libraries: nothing is changed.

The setting is process wide. The server (our process) always tunes; the client's process
belongs to the user, so there it is the explicit ``tune_allocator`` keyword of
``createProxy`` (off by default: with arrays received into their final buffer it no longer
measures above noise).
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 128 * 1024 * 1024
_done = False


def keep_large_buffers_warm() -> bool:
    """Tune glibc's allocator once per process; True if it was (or already is) tuned."""
    global _done
    if _done:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done


def is_tuned() -> bool:
    """True once :func:`keep_large_buffers_warm` has tuned this process."""
    return _done
