"""The base every channel module fills in: turn a :class:`Rendered` alert into the receiver's request, and
read the receiver's answer into success or a :class:`DeliveryError` that says whether retrying helps.

Adding a channel is one module with one subclass, and one line in ``transports/__init__.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mailwarden.core.secrets import SecretBox, SecretValue
from mailwarden.db.engine import Database
from mailwarden.notify.alerts import Person, Rendered
from mailwarden.notify.transports.http import HTTP

__all__ = ["Context", "Target", "Transport", "clip_utf8"]


@dataclass(frozen=True)
class Target:
    """A channel as a transport needs it: where, with which secret, and its options."""

    name: str
    kind: str
    url: str
    secret: SecretValue | None = None
    allow_private: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What transports share in one process: the HTTP clients, and (for e-mail) the mailboxes."""

    http: HTTP
    db: Database | None = None
    box: SecretBox | None = None


class Transport(ABC):
    kind: ClassVar[str]
    #: messages a minute the receiver takes, as its vendor documents it (None: no documented limit)
    rate_per_minute: ClassVar[int | None] = None
    #: whether a request whose answer was lost may be sent again because the receiver drops repeats itself
    repeat_in_doubt: ClassVar[bool] = False
    #: URL schemes a channel of this kind accepts
    schemes: ClassVar[tuple[str, ...]] = ("https", "http")
    #: whether the channel needs a secret (a signing key) besides its URL
    secret_required: ClassVar[bool] = False

    def __init__(self, target: Target, context: Context) -> None:
        self.target = target
        self.context = context

    @abstractmethod
    async def send(self, message: Rendered) -> str:
        """Deliver ``message``; return the receiver's answer. Raise ``DeliveryError`` or a network error."""

    def secret(self) -> str | None:
        return self.target.secret.reveal() if self.target.secret is not None else None

    def mentioned(self, message: Rendered) -> list[tuple[Person, str | None]]:
        """Each person to mention, with their id on this channel's system (None: shown by name only)."""
        return [(person, person.id_for(self.kind)) for person in message.mentions]


def clip_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary, marked with an ellipsis."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"
