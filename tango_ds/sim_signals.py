"""The ``SimSignals`` property: simulated sources described as a JSON list of steps.

Each step creates one ``Experimental`` signal object of the library on the tagger::

    [
      {"class": "ExponentialSignalGenerator", "rate": 1e5, "base_channel": 1},
      {"class": "ExponentialSignalGenerator", "id": "pairs", "rate": 5e4},
      {"class": "SimDetector", "input_channel": "@pairs", "jitter": 3e-11, "connect": 2},
      {"class": "SimDetector", "input_channel": "@pairs", "jitter": 3e-11, "connect": 3,
       "delay": 2000}
    ]

* ``class``: an ``Experimental`` class (``ExponentialSignalGenerator``,
  ``GaussianSignalGenerator``, ``UniformSignalGenerator``, ``SimSignalSplitter``,
  ``SimDetector``, ``TransformGaussianBroadening``, ``TransformDeadtime``,
  ``TransformEfficiency``); the other keys are its constructor arguments by name.
* ``id``: names the step; later steps use its output channel as ``"@id"``
  (``"@id.left"`` / ``"@id.right"`` for a ``SimSignalSplitter``).
* ``connect``: cable the step's output into this physical input (``simConnect``),
  so trigger level, jitter, dead time and input delay apply as on real hardware.
* ``delay``: with ``connect``, the propagation delay of that cable in ps.  It is part
  of the signal path (``simConnect``'s cable delay), not an input setting: the
  user's ``input_delays`` start at 0 and ``Reset`` keeps the cable as it is.

Two detectors fed by the same source, as above, give a photon-pair source: the
correlation of inputs 2 and 3 peaks at ``delay``.
"""

from __future__ import annotations

import json
from typing import Any

from .messages import shown

SIGNAL_CLASSES = ("ExponentialSignalGenerator", "GaussianSignalGenerator",
                  "UniformSignalGenerator", "SimSignalSplitter", "SimDetector",
                  "TransformGaussianBroadening", "TransformDeadtime", "TransformEfficiency")
_STEP_KEYS = ("class", "id", "connect", "delay")
#: Longest SimSignals text accepted (a list of a few dozen steps is a few kB).
MAX_TEXT = 65536


class SimSignalsError(ValueError):
    """The SimSignals text is not a valid list of steps (message says where and why)."""


def _output(obj: Any, selector: str, where: str) -> int:
    if selector == "":
        return int(obj.getChannel())
    if selector in ("left", "right"):
        return int(getattr(obj, f"get{selector.capitalize()}Channel")())
    raise SimSignalsError(f"{where}: {shown('.' + selector)} is not an output: use '.left' or '.right' "
                          "for a SimSignalSplitter, nothing otherwise")


def parse(text: str) -> list[dict[str, Any]]:
    """The steps of a SimSignals text, checked for shape (not yet for values)."""
    if len(text or "") > MAX_TEXT:
        raise SimSignalsError(f"SimSignals is {len(text)} characters long: at most {MAX_TEXT} "
                              "are allowed")
    try:
        steps = json.loads(text or "[]")
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, too deep or too long a number
        raise SimSignalsError(f"SimSignals is not valid JSON ({shown(str(exc))[1:-1]})") from exc
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise SimSignalsError("SimSignals must be a JSON list of objects, e.g. "
                              '[{"class": "ExponentialSignalGenerator", "rate": 1e5, "base_channel": 1}]')
    for number, step in enumerate(steps):
        if step.get("class") not in SIGNAL_CLASSES:
            raise SimSignalsError(f"SimSignals step {number}: class = {shown(step.get('class'))} "
                                  f"is not allowed: use one of {', '.join(SIGNAL_CLASSES)}")
    return steps


def apply(library: Any, tagger: Any, text: str) -> list[Any]:
    """Create the signal objects of ``text`` on ``tagger``; keep the returned list alive."""
    objects: list[Any] = []
    named: dict[str, Any] = {}
    for number, step in enumerate(parse(text)):
        where = f"SimSignals step {number} ({step['class']})"

        def resolve(value: Any) -> Any:
            if isinstance(value, str) and value.startswith("@"):
                name, _, selector = value[1:].partition(".")
                if name not in named:
                    raise SimSignalsError(f"{where}: {shown(value)} names no earlier step "
                                          f"(known ids: {sorted(named) or 'none'})")
                return _output(named[name], selector, where)
            return value

        kwargs = {k: resolve(v) for k, v in step.items() if k not in _STEP_KEYS}
        try:
            obj = getattr(library.Experimental, step["class"])(tagger, **kwargs)
            if "connect" in step:
                tagger.simConnect(_output(obj, "", where), int(step["connect"]),
                                  int(step.get("delay", 0)))
        except SimSignalsError:
            raise
        except AttributeError as exc:
            raise SimSignalsError(f"{where}: this backend cannot do it ({exc}); "
                                  "'connect' needs the simulator (Backend sim)") from exc
        except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
            raise SimSignalsError(f"{where}: {shown(str(exc))[1:-1]}") from exc
        objects.append(obj)
        if "id" in step:
            named[str(step["id"])] = obj
    return objects
