"""Messages show values as an operator reads them: plain numbers, abbreviated, text intact."""
from __future__ import annotations

import numpy as np

from tango_ds.messages import LIMIT, shown, wire_text


def test_numbers_are_plain():
    assert shown([np.float64(99.0), np.float64(0.3)]) == "[99.0, 0.3]"
    assert shown(np.int32(7)) == "7" and shown(np.bool_(True)) == "True"
    assert shown(float("nan")) == "nan" and shown(-float("inf")) == "-inf"
    assert shown(2**63) == "9223372036854775808"


def test_long_values_are_abbreviated_with_their_size():
    big = np.arange(1_000_000, dtype=np.float64)
    text = shown(big)
    assert len(text) < LIMIT + 60 and text.startswith("[0.0, 1.0, 2.0") and "(1000000 values)" in text
    text = shown("x" * 100_000)
    assert len(text) < LIMIT + 40 and "(100000 characters)" in text
    assert shown(10 ** 5000) == "<an integer of about 5001 digits>"
    nested = []
    for _ in range(10_000):
        nested = [nested]
    assert len(shown(nested)) < 40
    assert shown(np.zeros((4, 1 << 20))) == "4x1048576 array of float64"


def test_text_is_quoted_with_non_ascii_intact_and_controls_escaped():
    assert shown("Bogus é") == "'Bogus é'"
    assert shown("日本") == "'日本'"
    assert shown("a\nb\x00'") == "'a\\nb\\x00\\''"


def test_wire_text_keeps_latin1_and_escapes_the_rest():
    """Tango carries strings as Latin-1 here: é arrives as é; what Latin-1 cannot hold is
    escaped rather than making pytango fail."""
    assert wire_text("Bogus é") == "Bogus é"
    assert wire_text("日本") == "\\u65e5\\u672c"
    assert len(wire_text("y" * 100_000)) < 4100
