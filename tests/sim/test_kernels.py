"""The compiled helpers against plain numpy."""
from __future__ import annotations

import numpy as np
import pytest

from timetagger_sim.kernels import stream as kernels


@pytest.mark.parametrize("n_runs", [1, 2, 3, 5, 8, 13])
def test_merging_sorted_runs_equals_a_stable_sort(n_runs):
    rng = np.random.default_rng(n_runs)
    runs = [np.sort(rng.integers(0, 500, rng.integers(0, 60))) for _ in range(n_runs)]   # many ties
    ts = np.concatenate(runs).astype(np.int64)
    ch = np.concatenate([np.full(r.size, i, np.int32) for i, r in enumerate(runs)])
    bounds = np.cumsum([0] + [r.size for r in runs])
    merged_ts, merged_ch = kernels.merge_sorted_runs(ts, ch, bounds)
    order = np.argsort(ts, kind="stable")
    np.testing.assert_array_equal(merged_ts, ts[order])
    np.testing.assert_array_equal(merged_ch, ch[order])


def test_lookup_rows_maps_listed_channels_and_marks_the_rest():
    channels = np.array([3, -2, 101], np.int32)
    table = np.full(101 - (-2) + 1, -1, np.int64)
    table[channels + 2] = np.arange(3)
    rows = kernels.lookup_rows(np.array([3, 101, 5, -2, -7, 200], np.int32), table, -2)
    np.testing.assert_array_equal(rows, [0, 2, -1, 1, -1, -1])
