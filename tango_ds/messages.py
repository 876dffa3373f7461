"""How values appear in the sentences this server sends to operators.

Every message that names a value a client or a property gave goes through
:func:`shown`: numbers as Python prints them (``99.0``, not ``np.float64(99.0)``),
long values abbreviated to about :data:`LIMIT` characters with their size, text quoted
with its non-ASCII characters intact.  :func:`wire_text` makes a finished sentence safe
for Tango, which carries strings as Latin-1: a character Latin-1 cannot hold would
otherwise make pytango raise instead of reporting the error.
"""

from __future__ import annotations

import enum
import math
import numbers
from typing import Any, Iterable

import numpy as np

#: About how many characters of an offending value a message shows.
LIMIT = 200
#: Longest sentence sent to a client (a last guard; sentences are much shorter).
MAX_SENTENCE = 4000
_MAX_DEPTH = 4
_DIGITS_SHOWN = 60  # an integer longer than this is described, not printed


def shown(value: Any, limit: int = LIMIT) -> str:
    """``value`` as an operator should read it, in at most about ``limit`` characters."""
    return _shown(value, limit, 0)


def _shown(value: Any, limit: int, depth: int) -> str:
    if isinstance(value, (str, bytes)):
        return _text(value, limit)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return _integer(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, dict):
        items = (f"{_shown(k, limit, depth + 1)}: {_shown(v, limit, depth + 1)}"
                 for k, v in value.items())
        return _sequence(items, len(value), "{", "}", limit, depth)
    if isinstance(value, np.ndarray) and value.ndim > 1:
        return f"{'x'.join(map(str, value.shape))} array of {value.dtype}"
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = (_shown(item, limit, depth + 1) for item in value)
        return _sequence(items, len(value), "[", "]", limit, depth)
    if value is None:
        return "None"
    return _text(f"<{type(value).__name__}>", limit)


def _integer(value: int) -> str:
    """The digits, or the integer's size when printing it would flood the message."""
    if value.bit_length() <= _DIGITS_SHOWN * 3.32:
        return str(value)
    digits = int(value.bit_length() * math.log10(2)) + 1
    return f"{'-' if value < 0 else ''}<an integer of about {digits} digits>"


def _sequence(items: Iterable[str], count: int, opening: str, closing: str,
              limit: int, depth: int) -> str:
    if depth >= _MAX_DEPTH:
        return f"{opening}...{closing}" if count else f"{opening}{closing}"
    parts: list[str] = []
    used = 0
    for item in items:
        if parts and used + len(item) > limit:
            break
        parts.append(item)
        used += len(item) + 2
        if used > limit:
            break
    if len(parts) < count:
        return f"{opening}{', '.join(parts)}, ... ({count} values){closing}"
    return f"{opening}{', '.join(parts)}{closing}"


def _text(value: str | bytes, limit: int) -> str:
    """Quoted text; controls escaped, everything else (non-ASCII included) as it is."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    head = text[:limit]
    quoted = "'" + "".join(_escape(c) for c in head) + "'"
    if len(text) > limit:
        return f"{quoted}... ({len(text)} characters)"
    return quoted


def _escape(char: str) -> str:
    code = ord(char)
    if char in "'\\":
        return "\\" + char
    if code < 0x20 or code == 0x7F:
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\x{code:02x}")
    return char


def wire_text(sentence: str) -> str:
    """``sentence`` bounded in length, with characters beyond Latin-1 as ``\\uXXXX``.

    Tango strings travel as Latin-1 here (what pytango sends and decodes), so Latin-1
    text such as ``é`` reaches the client intact, and bytes a UTF-8 client sent come
    back as the same bytes; only characters Latin-1 cannot hold need an escape.
    """
    if len(sentence) > MAX_SENTENCE:
        sentence = sentence[:MAX_SENTENCE] + f"... ({len(sentence)} characters)"
    return "".join(c if ord(c) < 0x100 else f"\\u{ord(c):04x}" if ord(c) < 0x10000
                   else f"\\U{ord(c):08x}" for c in sentence)
