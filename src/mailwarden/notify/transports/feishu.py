"""Feishu (飞书) and Lark custom bots: a signed interactive card with ``<at id=...>`` mentions.

Signing, as Feishu documents it: the HMAC-SHA256 *key* is ``"<timestamp>\\n<secret>"`` and the message is
empty; the base64 of the digest goes into the body as ``sign``, with ``timestamp`` in seconds. Feishu refuses
a timestamp more than an hour from its clock. Answers are JSON: ``{"code": 0, "msg": "success"}``, or a
non-zero ``code`` — 19021 "sign match fail or timestamp is not within one hour from current time" (the
wording quoted from Feishu's guide in blog.csdn.net/zhanglili1993/article/details/136473704), 9499 "Bad
Request" for a body Feishu cannot use, 19002 "params error, msg_type need" for one without ``msg_type``
(cliii-one/FnDepot#22) — a refusal of that payload, not of the bot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, ClassVar

from mailwarden.core import clock
from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport

__all__ = ["Feishu", "Lark", "feishu_sign"]

#: codes after which no message can get through until someone changes the bot or our channel
_CHANNEL_CODES = {
    19001,  # param invalid: incoming webhook access token invalid
    # 19002 is NOT here: it was taken for "the bot is gone", but it is a parameter error of the payload
    # ("params error, msg_type need", cliii-one/FnDepot#22), so it fails that alert and the channel goes on
    19021,  # sign match fail or timestamp is not within one hour
    19022,  # Ip Not Allowed
    19024,  # Key Words Not Found: the bot demands keywords our alerts do not carry
}
_RATE_CODES = {11232}  # frequency limited
_COLOURS = {"info": "blue", "warning": "orange", "critical": "red"}


def feishu_sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class Feishu(Transport):
    kind: ClassVar[str] = "feishu"
    rate_per_minute = 100  # Feishu: 100 a minute and 5 a second per custom bot

    def card(self, message: Rendered) -> dict[str, Any]:
        mentions = " ".join(
            f"<at id={ident}></at>" if ident else f"@{person.name}"
            for person, ident in self.mentioned(message)
        )
        text = "\n".join(message.lines) + (f"\n{mentions}" if mentions else "")
        elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": text}}]
        if message.link:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": message.link_label},
                            "type": "primary",
                            "url": message.link,
                        }
                    ],
                }
            )
        return {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": message.title},
                "template": _COLOURS[message.severity],
            },
            "elements": elements,
        }

    def payload(self, message: Rendered) -> dict[str, Any]:
        body: dict[str, Any] = {"msg_type": "interactive", "card": self.card(message)}
        secret = self.secret()
        if secret:
            timestamp = int(clock.now().timestamp())
            body = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **body}
        return body

    async def send(self, message: Rendered) -> str:
        content = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        answer = await self.context.http.post(
            self.target.url, allow_private=self.target.allow_private, content=content
        )
        data = answer.json()
        if not isinstance(data, dict):
            if answer.status >= 400:
                raise answer.by_status()
            raise answer.refused(permanent=False)  # not Feishu's JSON: a proxy's error page, probably
        code = data.get("code", data.get("StatusCode"))
        if code == 0:
            return answer.text
        if code in _CHANNEL_CODES:
            raise answer.refused(permanent=True, scope="channel")
        if code in _RATE_CODES or answer.status == 429 or answer.status >= 500:
            raise answer.refused(permanent=False, retry_after=answer.retry_after() or 60.0)
        raise answer.refused(permanent=True)


class Lark(Feishu):
    """Lark, Feishu's international twin: the same protocol at open.larksuite.com."""

    kind: ClassVar[str] = "lark"
