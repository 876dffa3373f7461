"""Docstrings and call signatures as plain data, so ``help()`` on the client shows the library's.

A signature travels as parameter dicts (name, kind, default, annotation) and a return annotation;
defaults that are not plain values (enum members, objects) travel as their ``repr`` and
are shown as such on the client.
"""
from __future__ import annotations

import enum
import inspect
from typing import Any, Callable

_PLAIN = (bool, int, float, str, type(None))
_KINDS = {int(kind): kind for kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                       inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.KEYWORD_ONLY,
                                       inspect.Parameter.VAR_KEYWORD)}


def signature_of(func: Callable) -> inspect.Signature | None:
    """``inspect.signature`` or None where the provider (e.g. SWIG) gives none."""
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def without_self(sig: inspect.Signature | None) -> inspect.Signature | None:
    """The signature as seen on an instance or a constructor call (first parameter dropped)."""
    if sig is None:
        return None
    params = list(sig.parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    return sig.replace(parameters=params)


def _annotation(value: Any) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    return value if isinstance(value, str) else getattr(value, "__name__", repr(value))


def to_wire(sig: inspect.Signature | None) -> dict | None:
    """Serializer-friendly form of a signature (``self`` already removed by the caller)."""
    if sig is None:
        return None
    params = []
    for p in sig.parameters.values():
        entry: dict[str, Any] = {"name": p.name, "kind": int(p.kind)}
        if p.default is not inspect.Parameter.empty:
            default = p.default
            if isinstance(default, enum.Enum) or not isinstance(default, _PLAIN):
                entry["default_repr"] = repr(default)
            else:
                entry["default"] = default
        annotation = _annotation(p.annotation)
        if annotation:
            entry["annotation"] = annotation
        params.append(entry)
    return {"params": params, "returns": _annotation(sig.return_annotation)}


class _Shown:
    """A default value that is only displayed (its repr came over the wire)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __repr__(self) -> str:
        return self._text


def from_wire(wire: dict | None, with_self: bool = False) -> inspect.Signature | None:
    """Rebuild an ``inspect.Signature`` for display; ``with_self`` prepends ``self`` for methods."""
    if wire is None:
        return None
    result = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)] if with_self else []
    for entry in wire["params"]:
        if "default" in entry:
            default = entry["default"]
        elif "default_repr" in entry:
            default = _Shown(entry["default_repr"])
        else:
            default = inspect.Parameter.empty
        result.append(inspect.Parameter(entry["name"], _KINDS[entry["kind"]], default=default,
                                        annotation=entry.get("annotation", inspect.Parameter.empty)))
    try:
        returns = wire.get("returns")
        return inspect.Signature(result, return_annotation=inspect.Signature.empty if returns is None else returns)
    except ValueError:  # e.g. a provider signature invalid after our edits: show none
        return None


def describe(func: Callable, drop_self: bool = True) -> dict:
    """{'doc', 'sig'} for one function or method."""
    sig = signature_of(func)
    return {"doc": inspect.getdoc(func) or "", "sig": to_wire(without_self(sig) if drop_self else sig)}
