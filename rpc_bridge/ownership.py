"""Who owns a remote object: the scope of the connection that created it.

Every authenticated connection is a scope of its own, so a client reaches only the objects
it created (and the ones the server shares, which have no scope). Connections admitted by a
server started with ``--insecure-no-auth`` all share :data:`ANONYMOUS`: they are one
unidentified party, as Swabian's ``TimeTaggerRPC`` client (which opens a connection per
object) needs; there, unguessable object ids that no call lists are the only protection.
"""
from __future__ import annotations

from Pyro5.callcontext import current_context


class Scope:
    """The owner of the objects created through one connection (or the anonymous party)."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return f"<scope {self.label}>"


ANONYMOUS = Scope("anonymous (--insecure-no-auth)")


def current_scope() -> Scope | None:
    """The scope of the connection serving this call; None outside a client call (in process)."""
    client = getattr(current_context, "client", None)
    return getattr(client, "scope", None)


def reaches(scope: Scope | None, owner: Scope | None) -> bool:
    """True if a call in ``scope`` may use an object owned by ``owner`` (None: the server's, shared)."""
    return owner is None or scope is None or owner is scope
