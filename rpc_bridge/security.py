"""Challenge-response authentication and TLS contexts of the bridge.

Every connection proves the shared key before any call reaches the library:

1. the client opens the connection with a hello carrying a fresh client nonce;
2. the server answers with a fresh random challenge for this connection only;
3. the client sends ``HMAC-SHA256(key, "client:" challenge ":" nonce)``;
4. the server checks it and answers with ``HMAC-SHA256(key, "server:" challenge ":" nonce)``,
   so the client knows it reached the holder of the key, not an impostor on the port.

The key never crosses the network and nothing depends on clocks: a recorded handshake is
useless on any other connection (the challenge differs), before or after a restart.
See :mod:`rpc_bridge.keys` for where the key comes from.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import ssl

from Pyro5 import errors

NONCE_HEX = 32
_HEX = re.compile(rf"^[0-9a-f]{{{NONCE_HEX}}}$")
_MAC_HEX = re.compile(r"^[0-9a-f]{64}$")
#: How a challenge is written into the server's refusal text (which stock Pyro5 clients show).
CHALLENGE_MARK = "rpc_bridge challenge"
_CHALLENGE = re.compile(rf"\[{CHALLENGE_MARK} ([0-9a-f]{{{NONCE_HEX}}})\]")


def new_nonce() -> str:
    """128 random bits as hex: a client nonce or a server challenge."""
    return secrets.token_hex(NONCE_HEX // 2)


def _mac(key: bytes, role: str, challenge: str, nonce: str) -> str:
    return hmac.new(key, f"{role}:{challenge}:{nonce}".encode(), hashlib.sha256).hexdigest()


def hello(**offers: object) -> dict:
    """The client's first handshake: announces our protocol with a fresh nonce (and ``offers``)."""
    return {"rpc_bridge": 1, "nonce": new_nonce(), **offers}


def challenge_text(challenge: str) -> str:
    """The server's refusal of an unauthenticated hello, carrying the challenge."""
    return (f"authentication required: this server accepts only clients that hold its key "
            f"(rpc_bridge.client.createProxy finds it) [{CHALLENGE_MARK} {challenge}]")


def challenge_in(text: str) -> str | None:
    """The challenge inside a server's refusal, or None if it is a plain refusal."""
    match = _CHALLENGE.search(text)
    return match.group(1) if match else None


def response(key: bytes, challenge: str, hello_token: dict) -> dict:
    """The client's answer to ``challenge``."""
    nonce = hello_token["nonce"]
    return {"nonce": nonce, "mac": _mac(key, "client", challenge, nonce)}


def verify_server(key: bytes, challenge: str, hello_token: dict, proof: object) -> None:
    """Raise :class:`Pyro5.errors.SecurityError` unless the server proved the key."""
    expected = _mac(key, "server", challenge, hello_token["nonce"])
    if not (isinstance(proof, dict) and isinstance(proof.get("mac"), str)
            and hmac.compare_digest(proof["mac"], expected)):
        raise errors.SecurityError("the server did not prove the shared key: it is not the "
                                   "rpc_bridge server you meant to reach (or its key differs)")


class Authenticator:
    """Server side: issues challenges and checks answers with the shared key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @staticmethod
    def challenge() -> str:
        """A fresh challenge for one connection."""
        return new_nonce()

    def check(self, challenge: str, token: object) -> dict:
        """The server's proof for a valid answer; SecurityError otherwise (nothing else leaks)."""
        if not (isinstance(token, dict) and isinstance(token.get("nonce"), str)
                and isinstance(token.get("mac"), str) and _HEX.match(token["nonce"])
                and _MAC_HEX.match(token["mac"])):
            raise errors.SecurityError("authentication required: this server needs the shared key")
        if not hmac.compare_digest(token["mac"], _mac(self._key, "client", challenge, token["nonce"])):
            raise errors.SecurityError("authentication failed: wrong shared key")
        return {"mac": _mac(self._key, "server", challenge, token["nonce"])}


def server_context(cert: str, key: str, ca: str | None = None) -> ssl.SSLContext:
    """Server TLS context; with ``ca``, clients must present a certificate signed by it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if ca:
        context.load_verify_locations(cafile=ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(ca: str | None = None, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    """Client TLS context verifying the server against ``ca`` (system store if None)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context
