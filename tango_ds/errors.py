"""DevFailed reasons of this server and a helper to raise them.

Clients match on the reason; the description is a sentence for the operator that
names the bad value and what is allowed (or what to do).
"""

from __future__ import annotations

from typing import NoReturn

import tango

INVALID_VALUE = "TimeTagger_InvalidValue"
NOT_READY = "TimeTagger_NotReady"
BACKEND_FAILURE = "TimeTagger_BackendFailure"
NO_DATABASE = "TimeTagger_NoDatabase"


def fail(reason: str, description: str, origin: str = "tango_ds") -> NoReturn:
    """Raise ``DevFailed`` with ``reason`` and the human ``description``."""
    tango.Except.throw_exception(reason, description, origin)
