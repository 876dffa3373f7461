"""A bounded run of ``bench/fuzz_tango.py``: malformed calls at every attribute and command
of every class on a real server give clean errors, never a crash, a hang or an uncaught
Python error."""
from __future__ import annotations

import importlib.util
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[2] / "bench" / "fuzz_tango.py"


def test_malformed_calls_give_clean_errors(capsys):
    spec = importlib.util.spec_from_file_location("fuzz_tango", FUZZ)
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    assert fuzz.main(["--calls", "600", "--seed", "7"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    counts = dict(line.split(None, 1) for line in out.splitlines() if line[:1].isalpha())
    assert counts["calls"].strip() == "600"
    assert counts["crashes"].strip() == counts["hangs"].strip() == counts["uncaught"].strip() == "0"
