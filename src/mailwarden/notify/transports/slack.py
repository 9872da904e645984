"""Slack incoming webhooks: Block Kit with ``<@U…>`` mentions and a plain ``text`` fallback.

Slack answers ``200 ok`` as plain text, and errors as an HTTP status with a short code in the body:
404 ``no_service`` (the webhook was disabled or removed), 404 ``channel_not_found``, 410
``channel_is_archived``, 403 ``action_prohibited`` / ``invalid_token``, 400 ``invalid_payload`` /
``no_text``, 429 with ``Retry-After``, 500 ``rollup_error``. A webhook takes about one message a second.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport

__all__ = ["Slack", "slack_escape"]

_CHANNEL_ERRORS = {
    "no_service",
    "no_active_hooks",
    "invalid_token",
    "channel_not_found",
    "channel_is_archived",
    "action_prohibited",
    "posting_to_general_channel_denied",
}


def slack_escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(Transport):
    kind: ClassVar[str] = "slack"
    rate_per_minute = 60

    def payload(self, message: Rendered) -> dict[str, Any]:
        mentions = " ".join(
            f"<@{ident}>" if ident else slack_escape(f"@{person.name}")
            for person, ident in self.mentioned(message)
        )
        body = "\n".join(slack_escape(line) for line in message.lines)
        if message.link:
            body += f"\n<{message.link}|{slack_escape(message.link_label)}>"
        if mentions:
            body += f"\n{mentions}"
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
        ]
        fallback = slack_escape(message.title) + (f" {mentions}" if mentions else "")
        return {"text": fallback, "blocks": blocks}

    async def send(self, message: Rendered) -> str:
        content = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        answer = await self.context.http.post(
            self.target.url, allow_private=self.target.allow_private, content=content
        )
        if answer.status == 200:
            return answer.text
        code = answer.text.strip()
        if code in _CHANNEL_ERRORS:
            raise answer.refused(permanent=True, scope="channel")
        raise answer.by_status()
