"""Errors of chat and e-mail delivery (their place in the tree is drawn in ``core/errors.py``).

    RemoteError
    └── DeliveryError        the receiver answered, and the answer is "no" (or nothing we can read)
        └── BlockedAddress   the URL leads to a private or loopback address, and the channel may not go there

``answer`` is the receiver's body exactly as sent (quoted to users, never translated); ``status`` the HTTP
status. ``scope`` says what a permanent error condemns: ``"channel"`` (the token is invalid, the bot was
removed, the signature does not match: every message would fail, so the channel is disabled and shows the
answer) or ``"message"`` (this payload was refused: the alert fails, the channel goes on). ``retry_after``
is the receiver's own wish (HTTP ``Retry-After``, a rate-limit errcode), in seconds. ``in_doubt`` says the
request left and no answer came back (read timeout, connection closed): the receiver may have posted it.

Connection failures below HTTP are the core ``NetworkError`` and ``TLSFailure`` (see ``transports.http``);
they are never permanent: a receiver that refuses connections for ten minutes gets the alerts afterwards.
"""

from __future__ import annotations

from typing import Any, Literal

from mailwarden.core.errors import RemoteError

__all__ = ["BlockedAddress", "DeliveryError", "Scope"]

Scope = Literal["channel", "message"]


class DeliveryError(RemoteError):
    default_key = "notify.refused"

    def __init__(
        self,
        key: str | None = None,
        /,
        *,
        host: str = "",
        port: int = 0,
        permanent: bool = False,
        scope: Scope = "message",
        status: int | None = None,
        answer: str = "",
        retry_after: float | None = None,
        in_doubt: bool = False,
        **params: Any,
    ) -> None:
        self.in_doubt = in_doubt
        self.scope: Scope = scope
        self.status = status
        self.answer = answer
        self.retry_after = retry_after
        super().__init__(
            key,
            host=host,
            port=port,
            permanent=permanent,
            status=status if status is not None else "-",
            answer=answer,
            **params,
        )

    @property
    def disables_channel(self) -> bool:
        return self.permanent and self.scope == "channel"


class BlockedAddress(DeliveryError):
    default_key = "notify.blocked_address"

    def __init__(self, *, host: str, port: int, address: str) -> None:
        super().__init__(host=host, port=port, permanent=True, scope="channel", address=address)
