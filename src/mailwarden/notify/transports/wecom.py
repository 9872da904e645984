"""WeCom (企业微信) group bots: markdown with ``<@userid>`` mentions, or text with ``mentioned_list`` /
``mentioned_mobile_list`` when someone can only be reached by mobile number (markdown cannot do that).

No signature: the ``key`` in the URL is the credential. Answers are JSON ``{"errcode": 0, "errmsg": "ok"}``;
93000 "invalid webhook url, hint: [...], from ip: ..., more info at https://open.work.weixin.qq.com/devtool/
query?e=93000" means the key is wrong or the bot was removed (the wording in wes-lin/Cloud189Checkin#175,
zema1/watchvuln#146); 45009 is the rate limit (20 messages a minute per bot); -1 "system busy" is WeCom's
global "try again" (developer.work.weixin.qq.com/document/path/90455). Markdown content is limited to 4096
bytes, text to 2048.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mailwarden.notify.alerts import Rendered
from mailwarden.notify.transports.base import Transport, clip_utf8
from mailwarden.notify.transports.dingtalk import is_mobile

__all__ = ["WeCom"]

_CHANNEL_CODES = {
    93000,  # invalid webhook url: the key is wrong or the bot was removed
    # 93004 (bot switched off) and 93008 (bot not in the group) were NOT found in any public source we could
    # check (issue 7 review); kept as channel refusals because a wrong guess this way costs one `notify
    # channel enable` (the queue is kept), the other way every alert would fail one by one.
    93004,
    93008,
}
_RATE_CODES = {45009, 45033}
MARKDOWN_LIMIT, TEXT_LIMIT = 4096, 2048


class WeCom(Transport):
    kind: ClassVar[str] = "wecom"
    rate_per_minute = 20

    def payload(self, message: Rendered) -> dict[str, Any]:
        people = self.mentioned(message)
        user_ids = [ident for _, ident in people if ident and not is_mobile(ident)]
        mobiles = [ident for _, ident in people if ident and is_mobile(ident)]
        unreachable = [person.name for person, ident in people if not ident]
        if mobiles:
            lines = [message.title, *message.lines]
            if message.link:
                lines.append(message.link)
            if unreachable:
                lines.append(" ".join(f"@{name}" for name in unreachable))
            return {
                "msgtype": "text",
                "text": {
                    "content": clip_utf8("\n".join(lines), TEXT_LIMIT),
                    "mentioned_list": user_ids,
                    "mentioned_mobile_list": mobiles,
                },
            }
        colour = {"info": "info", "warning": "warning", "critical": "warning"}[message.severity]
        text = [f'## <font color="{colour}">{message.title}</font>', *(f"> {line}" for line in message.lines)]
        if message.link:
            text.append(f"[{message.link_label}]({message.link})")
        tags = [f"<@{ident}>" for ident in user_ids] + [f"@{name}" for name in unreachable]
        if tags:
            text.append(" ".join(tags))
        return {"msgtype": "markdown", "markdown": {"content": clip_utf8("\n".join(text), MARKDOWN_LIMIT)}}

    async def send(self, message: Rendered) -> str:
        content = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        answer = await self.context.http.post(
            self.target.url, allow_private=self.target.allow_private, content=content
        )
        data = answer.json()
        if not isinstance(data, dict):
            raise answer.by_status() if answer.status >= 400 else answer.refused(permanent=False)
        code = data.get("errcode")
        if code == 0:
            return answer.text
        if code in _CHANNEL_CODES:
            raise answer.refused(permanent=True, scope="channel")
        if code in _RATE_CODES or code == -1 or answer.status >= 500:  # -1: system busy
            raise answer.refused(permanent=False, retry_after=60.0 if code in _RATE_CODES else None)
        raise answer.refused(permanent=True)
