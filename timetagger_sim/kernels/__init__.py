"""Compiled inner loops (numba), one module per family: the stream, pairs, markers, logic."""
