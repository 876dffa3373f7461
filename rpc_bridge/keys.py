"""The bridge's shared secret: where it comes from, and the checks a key file must pass.

The bridge always authenticates. Its key comes, in this order, from an explicit key file,
from ``$TIMETAGGER_RPC_KEY``, or from the per-user default file
(:func:`default_key_file`, in the user's configuration directory), which a server creates
with a random key on first start. A client of the same user on the same host therefore
finds the key without being told, and nobody else can read it.

A key file must be a small regular file owned by the user and not accessible to group or
others. It is opened without blocking (a FIFO cannot stall the caller) and read only up to
:data:`KEY_FILE_MAX_BYTES`, so a device such as ``/dev/zero`` cannot exhaust memory.
"""
from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

KEY_ENV = "TIMETAGGER_RPC_KEY"
KEY_FILE_MAX_BYTES = 4096
APP_NAME = "tango-timetagger"


class KeyFileError(ValueError):
    """A key file is unusable; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Key:
    """A shared secret and where it was found (for the server's start-up banner)."""

    secret: bytes
    origin: str


def default_key_file() -> Path:
    """The per-user key file: ``<user config dir>/tango-timetagger/rpc.key``."""
    return platformdirs.user_config_path(APP_NAME) / "rpc.key"


def read_key_file(path: str | os.PathLike) -> bytes:
    """The key in ``path`` (first line, stripped) after checking the file is safe to trust."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise KeyFileError(f"key file {path} cannot be opened: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        _check_key_file(path, info)
        data = os.read(fd, KEY_FILE_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > KEY_FILE_MAX_BYTES:
        raise KeyFileError(f"key file {path} is larger than {KEY_FILE_MAX_BYTES} bytes: "
                           "it must hold one line, the key")
    key = data.split(b"\n", 1)[0].strip()
    if not key:
        raise KeyFileError(f"key file {path} is empty: write the key on its first line")
    return key


def _check_key_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else "a directory" if stat.S_ISDIR(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise KeyFileError(f"key file {path} is {kind}: use a regular file holding the key")
    if info.st_uid != os.geteuid():
        raise KeyFileError(f"key file {path} belongs to uid {info.st_uid}, not to this user "
                           f"(uid {os.geteuid()}): use a file of your own")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"key file {path} is accessible to other users (mode "
                           f"{stat.S_IMODE(info.st_mode):03o}): run chmod 600 {path}")
    if info.st_size > KEY_FILE_MAX_BYTES:
        raise KeyFileError(f"key file {path} is {info.st_size} bytes: a key file holds one line "
                           f"of at most {KEY_FILE_MAX_BYTES} bytes")


def create_key_file(path: str | os.PathLike) -> bytes:
    """Write a new random key to ``path`` (mode 600, parent mode 700); refuses to overwrite."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(key + b"\n")
    return key


def find_key(key_file: str | os.PathLike | None = None) -> Key | None:
    """The key from ``key_file``, else ``$TIMETAGGER_RPC_KEY``, else the default file if it exists."""
    if key_file:
        return Key(read_key_file(key_file), f"key file {key_file}")
    value = os.environ.get(KEY_ENV, "").strip()
    if value:
        return Key(value.encode(), f"${KEY_ENV}")
    default = default_key_file()
    if default.exists():
        return Key(read_key_file(default), f"key file {default}")
    return None


def server_key(key_file: str | os.PathLike | None = None) -> Key:
    """The key a server uses: as :func:`find_key`, creating the default file on first start."""
    found = find_key(key_file)
    if found is not None:
        return found
    default = default_key_file()
    try:
        return Key(create_key_file(default), f"new key file {default}")
    except FileExistsError:  # another server created it just now
        return Key(read_key_file(default), f"key file {default}")
