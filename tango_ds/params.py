"""Turn property and attribute values into library constructor arguments.

Every value a client gives (device property, attribute write, CreateMeasurement
parameter) goes through :func:`to_library` (or :func:`to_arguments` for a whole
set), which checks it against its :class:`~tango_ds.specs.Param` and raises
:class:`ParamError` with a sentence naming the parameter, the value and what is
allowed.  Channel parameters accept a number or the name of a virtual-channel device
of the same server; a name is resolved by the caller-supplied function.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Sequence

from .messages import shown
from .specs import CHANNEL_UNUSED, ENUMS, MAX_SPAN_PS, UNUSED, ClassSpec, Param, bound_text


class ParamError(ValueError):
    """A parameter value is not allowed; the message is meant for the operator."""


class DependencyPending(RuntimeError):
    """A referenced device exists but is not ready yet (retry later)."""


ChannelResolver = Callable[[str], int]
_INT32 = (-(1 << 31), (1 << 31) - 1)


def describe(param: Param, value: Any) -> str:
    """'<name> = <value> is not allowed: use <allowed>'."""
    return f"{param.name} = {shown(value)} is not allowed: use {param.allowed()}"


def is_device_name(value: Any) -> bool:
    """True for text naming a device (``domain/family/member``) rather than a channel number."""
    return isinstance(value, str) and "/" in value


def _channel(param: Param, raw: Any, resolve: ChannelResolver) -> int:
    if isinstance(raw, numbers.Integral) and not isinstance(raw, bool):
        number = int(raw)
    else:
        text = str(raw).strip()
        if text == "" or text.lower() == UNUSED:
            number = CHANNEL_UNUSED
        elif is_device_name(text):
            return resolve(text)
        else:
            try:
                number = int(text)
            except ValueError:
                raise ParamError(describe(param, raw)) from None
    if number == CHANNEL_UNUSED and param.required:
        raise ParamError(describe(param, raw))
    if not _INT32[0] <= number <= _INT32[1]:
        raise ParamError(describe(param, raw))
    return number


def _number(param: Param, raw: Any) -> int | float:
    try:
        if param.kind == "float":
            value: int | float = float(raw)
        elif isinstance(raw, numbers.Integral) and not isinstance(raw, bool):
            value = int(raw)
        else:
            value = int(str(raw).strip())
    except (TypeError, ValueError, OverflowError):
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
    index: int | None = None
    if isinstance(raw, numbers.Integral) and not isinstance(raw, bool):
        index = int(raw)
    elif text.isdigit() and len(text) < 10:
        index = int(text)
    if index is not None:
        if 0 <= index < len(labels):
            return labels[index]
        raise ParamError(describe(param, raw))
    for label in labels:
        if text.lower() == label.lower():
            return label
    raise ParamError(describe(param, raw))


def _items(raw: Any) -> list[Any]:
    """The entries of a ``channels`` value (one entry given alone counts as a list)."""
    if isinstance(raw, (str, bytes, numbers.Number)):
        return [raw]
    return [item for item in raw if not isinstance(item, str) or item.strip()]


def to_library(param: Param, raw: Any, resolve: ChannelResolver, library: Any) -> Any:
    """The constructor argument for ``raw`` (property text or attribute value)."""
    if raw is None or (isinstance(raw, str) and raw == "" and param.kind != "channel"):
        if param.required:
            raise ParamError(f"{param.name} is not set: it is required ({param.allowed()})")
        raw = param.default
    if param.kind == "channel":
        return _channel(param, raw, resolve)
    if param.kind == "channels":
        try:
            items = _items(raw)
        except TypeError:
            raise ParamError(describe(param, raw)) from None
        if not items or len(items) > 256:
            raise ParamError(describe(param, raw))
        single = Param(param.name, "channel", param.doc)
        return [_channel(single, item, resolve) for item in items]
    if param.kind == "enum":
        return getattr(library, param.enum or "")[_enum(param, raw)]
    return _number(param, raw)


def to_arguments(spec: ClassSpec, values: dict[str, Any], resolve: ChannelResolver,
                 library: Any) -> dict[str, Any]:
    """Every constructor argument of ``spec``, with the spans of bin widths checked."""
    args = {p.name: to_library(p, values.get(p.name), resolve, library) for p in spec.params}
    for param in spec.params:
        if param.span_with and args[param.name] * args[param.span_with] > MAX_SPAN_PS:
            raise ParamError(
                f"{param.name} x {param.span_with} = {args[param.name]} x "
                f"{args[param.span_with]} = {args[param.name] * args[param.span_with]} ps is "
                f"not allowed: the span must stay <= {bound_text(MAX_SPAN_PS)} ps "
                f"({MAX_SPAN_PS} ps, 53 days) so that the bin times fit in 64 bits")
    return args


def references(spec: ClassSpec, values: dict[str, Any]) -> list[str]:
    """Device names the channel parameters in ``values`` refer to (lower case)."""
    found: list[str] = []
    for param in spec.params:
        raw = values.get(param.name)
        if raw is None or param.kind not in ("channel", "channels"):
            continue
        try:
            items = _items(raw) if param.kind == "channels" else [raw]
        except TypeError:
            continue
        found += [item.strip().lower() for item in items if is_device_name(item)]
    return found


def find_cycle(start: str, first: Iterable[str],
               references_of: Callable[[str], Sequence[str]]) -> list[str] | None:
    """The chain ``start -> ... -> start`` when following references leads back, else None."""
    start = start.lower()
    stack = [(name, [start, name]) for name in first]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        if name == start:
            return path
        if name in seen:
            continue
        seen.add(name)
        stack += [(following, path + [following]) for following in references_of(name)]
    return None


def to_property(param: Param, raw: Any) -> list[str]:
    """The device-property text of a value (what the memory of a parameter stores).

    Enums are stored by label, so the property reads the same in Jive and is valid
    whatever the client wrote (label or value).
    """
    if param.kind == "enum":
        return [_enum(param, raw)]
    if param.kind == "channels":
        return [str(item) for item in _items(raw)]
    return [str(raw)]


def to_tango(param: Param, raw: Any) -> Any:
    """The value of a number or enum parameter as its attribute shows it (index for enums)."""
    if raw is None:
        raw = None if param.required else param.default
    if param.kind == "enum":
        return ENUMS[param.enum or ""].index(_enum(param, raw)) if raw is not None else 0
    if raw is None:
        return 0
    return _number(param, raw)
