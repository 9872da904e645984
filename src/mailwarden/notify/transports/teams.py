"""Microsoft Teams, through a Workflows (Power Automate) webhook: an Adaptive Card with real mentions.

Teams mentions need two parts that agree: ``<at>Name</at>`` in a TextBlock, and an entry in
``msteams.entities`` of type ``mention`` whose ``text`` is that same ``<at>Name</at>`` and whose
``mentioned.id`` is the person's UPN (or Entra object id). A Workflows trigger answers ``202 Accepted``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport

__all__ = ["Teams"]

_STYLES = {"info": "default", "warning": "warning", "critical": "attention"}


class Teams(Transport):
    kind: ClassVar[str] = "teams"
    rate_per_minute = 30

    def card(self, message: Rendered) -> dict[str, Any]:
        entities: list[dict[str, Any]] = []
        tags: list[str] = []
        for person, ident in self.mentioned(message):
            if ident is None:
                tags.append(f"@{person.name}")
                continue
            tag = f"<at>{person.name}</at>"
            tags.append(tag)
            entities.append({"type": "mention", "text": tag, "mentioned": {"id": ident, "name": person.name}})
        body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": message.title,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": _STYLES[message.severity] if message.severity != "info" else "Default",
            },
            *({"type": "TextBlock", "text": line, "wrap": True} for line in message.lines),
        ]
        if tags:
            body.append({"type": "TextBlock", "text": " ".join(tags), "wrap": True})
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
            "msteams": {"width": "Full", "entities": entities},
        }
        if message.link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": message.link_label, "url": message.link}]
        return card

    def payload(self, message: Rendered) -> dict[str, Any]:
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": self.card(message),
                }
            ],
        }

    async def send(self, message: Rendered) -> str:
        content = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        answer = await self.context.http.post(
            self.target.url, allow_private=self.target.allow_private, content=content
        )
        if answer.status in (200, 202):
            return answer.text or str(answer.status)
        raise answer.by_status()
