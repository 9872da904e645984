"""DingTalk (钉钉) custom robots: markdown with ``at.atMobiles`` / ``at.atUserIds`` and matching ``@`` text.

Signing, as DingTalk documents it: HMAC-SHA256 with the secret as key over ``"<timestamp>\\n<secret>"``,
base64, then URL-encoded; ``timestamp`` (milliseconds) and ``sign`` go into the query string, and DingTalk
refuses a timestamp more than an hour off. The URL encoding must happen exactly once: the raw base64 holds
``+``, ``/`` and ``=``; left raw, ``+`` arrives as a space; encoded twice, ``%2B`` arrives as ``%2B``. We
hand the raw value to httpx's query builder, which encodes it once.

A robot takes 20 messages a minute; past that it answers errcode 130101 "send too fast, exceed 20 times
per minute", drops the message and refuses the robot for ten minutes, so the worker paces each DingTalk
channel itself and, should it meet 130101 anyway (another sender on the same robot), waits those ten
minutes. DingTalk shows an @ as a mention only when the text contains ``@<mobile>`` or ``@<userId>``
besides the ``at`` list.

Answers, and where they were checked (issue 7 review; the stand-in in tests answers the same):
- 310000 is every signature refusal: "sign not match, more: [...]", since 2022
  "description:机器人发送签名不匹配;solution:..." (qd-today/qd#510, megaease/easeprobe#202), and a timestamp
  more than an hour off, "invalid timestamp, more: [...]" (jenkinsci/dingtalk-plugin#116,
  leitingting08/ding-bot-sdk#3; CatchZeng/dingtalk#2: milliseconds, within one hour). Keyword and
  IP-whitelist refusals share the code.
- 130101 and the ten-minute block: blog.csdn.net/jialiuyang/article/details/118615052 and
  juejin.cn/post/7129698690297495583, both quoting DingTalk's custom-robot guide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, ClassVar

import httpx

from mailwarden.core import clock
from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport

__all__ = ["DingTalk", "dingtalk_sign", "is_mobile"]

_CHANNEL_CODES = {
    300001,  # "token is not exist": the robot was removed or the URL is wrong
    310000,  # sign not match / invalid timestamp / keywords not in content / ip not in whitelist
    # 400101 and 400102 (the robot switched off or taken down) were NOT found in any public source we could
    # check (issue 7 review). They stay here because a wrong guess in this direction costs an operator one
    # `notify channel enable` (the queue is kept), while reading a dead robot as a per-message refusal would
    # fail every alert one by one.
    400101,
    400102,
}
_RATE_CODES = {130101, 410100}  # send too fast, exceed 20 times per minute
#: DingTalk blocks a robot for ten minutes after it exceeded its rate (see the module docstring)
RATE_BLOCK_SECONDS = 600.0


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` value *before* URL encoding (the query builder encodes it, once)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_mobile(ident: str) -> bool:
    """A phone number (``13800138000``, ``+86-13800138000``) rather than a user id."""
    digits = ident.replace("+", "").replace("-", "").replace(" ", "")
    return digits.isdigit() and len(digits) >= 6


class DingTalk(Transport):
    kind: ClassVar[str] = "dingtalk"
    rate_per_minute = 20

    def payload(self, message: Rendered) -> dict[str, Any]:
        mobiles: list[str] = []
        user_ids: list[str] = []
        tags: list[str] = []
        for person, ident in self.mentioned(message):
            if ident is None:
                tags.append(person.name)
                continue
            (mobiles if is_mobile(ident) else user_ids).append(ident)
            tags.append(f"@{ident}")
        text = [f"#### {message.title}", "", *(f"- {line}" for line in message.lines)]
        if message.link:
            text += ["", f"[{message.link_label}]({message.link})"]
        if tags:
            text += ["", " ".join(tags)]
        return {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": "\n".join(text)},
            "at": {"atMobiles": mobiles, "atUserIds": user_ids, "isAtAll": False},
        }

    def url(self) -> httpx.URL:
        url = httpx.URL(self.target.url)
        secret = self.secret()
        if not secret:
            return url
        timestamp = int(clock.now().timestamp() * 1000)
        return url.copy_merge_params({"timestamp": str(timestamp), "sign": dingtalk_sign(secret, timestamp)})

    async def send(self, message: Rendered) -> str:
        content = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        answer = await self.context.http.post(
            self.url(), allow_private=self.target.allow_private, content=content
        )
        data = answer.json()
        if not isinstance(data, dict):
            raise answer.by_status() if answer.status >= 400 else answer.refused(permanent=False)
        code = data.get("errcode")
        if code == 0:
            return answer.text
        if code in _CHANNEL_CODES:
            raise answer.refused(permanent=True, scope="channel")
        if code in _RATE_CODES:
            raise answer.refused(permanent=False, retry_after=answer.retry_after() or RATE_BLOCK_SECONDS)
        if answer.status == 429 or answer.status >= 500:
            raise answer.refused(permanent=False, retry_after=answer.retry_after() or 60.0)
        raise answer.refused(permanent=True)
