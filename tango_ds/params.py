"""Turn property and attribute values into library constructor arguments.

Every value a client gives (device property, attribute write) goes through
:func:`to_library`, which checks it against its :class:`~tango_ds.specs.Param` and
raises :class:`ParamError` with a sentence naming the parameter, the value and what
is allowed.  Channel parameters accept a number or the name of a virtual-channel
device of the same server; a name is resolved by the caller-supplied function.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence

from .specs import CHANNEL_UNUSED, ENUMS, UNUSED, Param


class ParamError(ValueError):
    """A parameter value is not allowed; the message is meant for the operator."""


class DependencyPending(RuntimeError):
    """A referenced device exists but is not ready yet (retry later)."""


ChannelResolver = Callable[[str], int]


def describe(param: Param, value: Any) -> str:
    """'<name> = <value> is not allowed: use <allowed>'."""
    return f"{param.name} = {value!r} is not allowed: use {param.allowed()}"


def _channel(param: Param, raw: Any, resolve: ChannelResolver) -> int:
    text = str(raw).strip()
    if text == "" or text.lower() == UNUSED:
        if param.required:
            raise ParamError(describe(param, raw))
        return CHANNEL_UNUSED
    try:
        return int(text)
    except ValueError:
        pass
    if "/" not in text:
        raise ParamError(describe(param, raw))
    return resolve(text)


def _number(param: Param, raw: Any) -> int | float:
    try:
        value: int | float = float(raw) if param.kind == "float" else int(str(raw).strip())
    except (TypeError, ValueError):
        raise ParamError(describe(param, raw)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamError(describe(param, raw))
    if (param.minimum is not None and value < param.minimum) or (
            param.maximum is not None and value > param.maximum):
        raise ParamError(describe(param, raw))
    return value


def _enum(param: Param, raw: Any) -> str:
    """The member label for a label (any case) or its value (an integer or digit string:
    Tango writes enum attributes as integers, and older servers stored them as "1")."""
    labels = ENUMS[param.enum or ""]
    text = str(raw).strip()
    if isinstance(raw, numbers.Integral) or text.isdigit():
        if 0 <= int(text) < len(labels):
            return labels[int(text)]
        raise ParamError(describe(param, raw))
    for label in labels:
        if str(raw).strip().lower() == label.lower():
            return label
    raise ParamError(describe(param, raw))


def to_library(param: Param, raw: Any, resolve: ChannelResolver, library: Any) -> Any:
    """The constructor argument for ``raw`` (property text or attribute value)."""
    if raw is None or (isinstance(raw, str) and raw == "" and param.kind != "channel"):
        if param.required:
            raise ParamError(f"{param.name} is not set: it is required ({param.allowed()})")
        raw = param.default
    if param.kind == "channel":
        return _channel(param, raw, resolve)
    if param.kind == "channels":
        items: Sequence[Any] = [raw] if isinstance(raw, (str, int)) else list(raw)
        items = [item for item in items if str(item).strip()]
        if not items:
            raise ParamError(describe(param, list(items)))
        single = Param(param.name, "channel", param.doc)
        return [_channel(single, item, resolve) for item in items]
    if param.kind == "enum":
        return getattr(library, param.enum or "")[_enum(param, raw)]
    return _number(param, raw)


def to_property(param: Param, raw: Any) -> list[str]:
    """The device-property text of a value (what the memory of a parameter stores).

    Enums are stored by label, so the property reads the same in Jive and is valid
    whatever the client wrote (label or value).
    """
    if param.kind == "enum":
        return [_enum(param, raw)]
    shown = to_tango(param, raw)
    return [str(item) for item in shown] if isinstance(shown, list) else [str(raw)]


def to_tango(param: Param, raw: Any) -> Any:
    """The value as the mirrored attribute shows it (text for channels, index for enums)."""
    if raw is None:
        raw = None if param.required else param.default
    if param.kind == "channel":
        return "" if raw is None else str(raw)
    if param.kind == "channels":
        if raw is None:
            return []
        return [str(item) for item in ([raw] if isinstance(raw, (str, int)) else raw)]
    if param.kind == "enum":
        labels = ENUMS[param.enum or ""]
        return labels.index(_enum(param, raw)) if raw is not None else 0
    if raw is None:
        return 0
    return float(raw) if param.kind == "float" else int(raw)
