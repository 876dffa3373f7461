"""Session-wide test hygiene: per-user directories of the tests are temporary, never the user's own.

The RPC key file (config directory), the quickstart database and the bridge's data directory
(data directory) live in platformdirs' per-user locations; pointing ``XDG_CONFIG_HOME`` and
``XDG_DATA_HOME`` at a temporary tree keeps the tests (and every server they start, which
inherits the environment) away from the real home directory and from each other's runs.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

_HOME = tempfile.mkdtemp(prefix="tango-timetagger-tests-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[_name] = os.path.join(_HOME, _name.split("_")[1].lower())
    os.makedirs(os.environ[_name], exist_ok=True)


@pytest.fixture(scope="session")
def user_dirs_root() -> str:
    """The temporary root holding the tests' per-user config, data, state and cache directories."""
    return _HOME
