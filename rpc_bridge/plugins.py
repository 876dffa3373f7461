"""Server-side measurement plugins: ``CustomMeasurement`` subclasses the server operator installs.

A client cannot send its own ``CustomMeasurement`` subclass: its ``process`` would be client
code running in the server. Instead the operator names plugin modules when starting the
server (``--plugin MODULE``, Tango ``RpcPlugins``); every ``CustomMeasurement`` subclass a
plugin module defines is then served like a library class, by its name::

    # plugin module, written as for the library (the served provider is importable as TimeTagger)
    import TimeTagger

    class TagCounter(TimeTagger.CustomMeasurement):
        def __init__(self, tagger, channels):
            super().__init__(tagger)
            ...

    # client
    counter = TT.TagCounter(t, [1, 2])

A plugin class offers the public methods it defines and those of every measurement (start,
stop, ``getCaptureDuration``, ...), not the processing hooks of ``CustomMeasurement``.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterable

#: The library's own module name, under which plugins import the served provider.
LIBRARY_NAME = "TimeTagger"


def _import(name: str) -> ModuleType:
    """A plugin module by dotted name, or from a ``.py`` file."""
    path = Path(name)
    if path.suffix == ".py":
        if not path.is_file():
            raise ValueError(f"plugin file {name} does not exist")
        spec = importlib.util.spec_from_file_location(f"rpc_bridge_plugin_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def load(names: Iterable[str], provider: ModuleType) -> dict[str, type]:
    """The ``CustomMeasurement`` subclasses defined by the plugin modules ``names``, by class name."""
    names = list(names)
    if not names:
        return {}
    base = getattr(provider, "CustomMeasurement", None)
    if base is None:
        raise ValueError(f"{provider.__name__} has no CustomMeasurement: plugins cannot be served")
    sys.modules.setdefault(LIBRARY_NAME, provider)
    found: dict[str, type] = {}
    for name in names:
        module = _import(name)
        classes = {n: c for n, c in inspect.getmembers(module, inspect.isclass)
                   if issubclass(c, base) and c is not base and c.__module__ == module.__name__}
        if not classes:
            raise ValueError(f"plugin module {name} defines no subclass of {provider.__name__}.CustomMeasurement")
        for class_name, cls in classes.items():
            if class_name in found or hasattr(provider, class_name):
                raise ValueError(f"plugin class {class_name} of {name} clashes with a library or plugin "
                                 "class of that name")
            found[class_name] = cls
    return found
