"""Argument checks that raise the library's exception types with a message naming value and range."""
from __future__ import annotations

import numbers
from typing import Iterable


def integer(name: str, value: object) -> int:
    """An integral number (floats with integral values are accepted, as the library's examples use 1e12)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if isinstance(value, numbers.Integral):
        return int(value)
    if float(value).is_integer():
        return int(value)
    raise TypeError(f"{name} must be an integer, got {value!r}")


def positive_int(name: str, value: object, unit: str = "") -> int:
    """An integer > 0."""
    number = integer(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be a positive integer{' (' + unit + ')' if unit else ''}, got {number}")
    return number


def in_range(name: str, value: object, low: float, high: float, unit: str = "") -> float:
    """A real number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    if not low <= float(value) <= high:
        raise ValueError(f"{name} {value}{' ' + unit if unit else ''} is out of range: allowed "
                         f"{low} to {high}{' ' + unit if unit else ''}")
    return value


def channel_list(name: str, channels: object) -> list[int]:
    """A non-empty list of channel numbers (a single int is accepted as a list of one)."""
    if isinstance(channels, numbers.Integral) and not isinstance(channels, bool):
        return [int(channels)]
    if isinstance(channels, (str, bytes)) or not isinstance(channels, Iterable):
        raise TypeError(f"{name} must be a list of channel numbers, got {channels!r}")
    result = [integer(name, c) for c in channels]
    return result


#: Largest array one measurement may allocate for a size the user chose (bytes).
MAX_ARRAY_BYTES = 2 << 30


def budget(name: str, elements: int, itemsize: int) -> int:
    """Refuse, before allocating, an array of ``elements`` x ``itemsize`` bytes beyond MAX_ARRAY_BYTES."""
    total = int(elements) * int(itemsize)
    if elements < 0 or total > MAX_ARRAY_BYTES:
        raise ValueError(f"{name} = {int(elements)} elements ({total / 2**20:.0f} MiB) exceed the simulator's "
                         f"limit of {MAX_ARRAY_BYTES >> 20} MiB per array: choose fewer")
    return int(elements)
