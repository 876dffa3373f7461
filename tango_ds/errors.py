"""DevFailed reasons of this server and a helper to raise them.

Clients match on the reason; the description is a sentence for the operator that
names the bad value and what is allowed (or what to do).
"""

from __future__ import annotations

from typing import NoReturn

import tango

from .messages import wire_text

INVALID_VALUE = "TimeTagger_InvalidValue"
NOT_READY = "TimeTagger_NotReady"
BACKEND_FAILURE = "TimeTagger_BackendFailure"
NO_DATABASE = "TimeTagger_NoDatabase"
OVER_BUDGET = "TimeTagger_OverBudget"


def fail(reason: str, description: str, origin: str = "tango_ds") -> NoReturn:
    """Raise ``DevFailed`` with ``reason`` and the human ``description``.

    Built as a ``DevError`` (not ``Except.throw_exception``, which sends the text as
    UTF-8 to clients that read Latin-1), so non-ASCII text arrives as it was written.
    """
    error = tango.DevError()
    error.reason, error.desc, error.origin = reason, wire_text(description), origin
    error.severity = tango.ErrSeverity.ERR
    raise tango.DevFailed(error)
