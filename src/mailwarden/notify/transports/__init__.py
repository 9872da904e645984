"""One module per channel kind; this table is the only place that lists them."""

from __future__ import annotations

from mailwarden.core.errors import InputError
from mailwarden.notify.transports.base import Context, Target, Transport
from mailwarden.notify.transports.console import Console
from mailwarden.notify.transports.dingtalk import DingTalk
from mailwarden.notify.transports.email import Email
from mailwarden.notify.transports.feishu import Feishu, Lark
from mailwarden.notify.transports.slack import Slack
from mailwarden.notify.transports.teams import Teams
from mailwarden.notify.transports.webhook import Webhook
from mailwarden.notify.transports.wecom import WeCom

__all__ = ["KINDS", "TRANSPORTS", "Context", "Target", "Transport", "transport_for"]

TRANSPORTS: dict[str, type[Transport]] = {
    t.kind: t for t in (Feishu, Lark, DingTalk, WeCom, Slack, Teams, Webhook, Email, Console)
}
KINDS = tuple(TRANSPORTS)


def transport_for(kind: str) -> type[Transport]:
    try:
        return TRANSPORTS[kind]
    except KeyError:
        raise InputError("notify.unknown_kind", kind=kind, kinds=", ".join(KINDS)) from None
