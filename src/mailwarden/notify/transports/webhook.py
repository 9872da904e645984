"""A generic webhook: our own JSON, signed with HMAC-SHA256 over the timestamp and the exact body.

Headers, for the receiver to check (docs/configuration.md shows the verification):

    X-Mailwarden-Timestamp   Unix seconds when the request was signed; refuse it if far from your clock
    X-Mailwarden-Signature   ``sha256=`` + hex HMAC-SHA256(secret, ``<timestamp>.`` + body bytes)
    X-Mailwarden-Delivery    the message's id: the same on every attempt, so a receiver can drop repeats

Because of that id, a request whose answer was lost is sent again (the receiver drops the repeat): this is
the one channel that gets exactly-once delivery across a crash, provided the receiver de-duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, ClassVar

from mailwarden.core import clock
from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport

__all__ = ["Webhook", "webhook_signature"]


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook(Transport):
    kind: ClassVar[str] = "webhook"
    repeat_in_doubt = True

    def payload(self, message: Rendered) -> dict[str, Any]:
        return {
            "id": message.message_id,
            "kind": message.kind,
            "keys": list(message.covers),
            "severity": message.severity,
            "title": message.title,
            "lines": list(message.lines),
            "link": message.link,
            "language": message.lang,
            "mentions": [{"name": p.name, "email": p.email, "ids": dict(p.ids)} for p in message.mentions],
        }

    async def send(self, message: Rendered) -> str:
        body = json.dumps(self.payload(message), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(clock.now().timestamp())
        headers = {"X-Mailwarden-Timestamp": str(timestamp), "X-Mailwarden-Delivery": message.message_id}
        secret = self.secret()
        if secret:
            headers["X-Mailwarden-Signature"] = webhook_signature(secret, timestamp, body)
        answer = await self.context.http.post(
            self.target.url, allow_private=self.target.allow_private, content=body, headers=headers
        )
        if 200 <= answer.status < 300:
            return answer.text or str(answer.status)
        raise answer.by_status()
