"""``mailwarden notify channel add|list|remove|enable|disable`` and ``notify test``; the queue's commands
(``worker``, ``outbox``, ``retry``) are in :mod:`.notify_queue`."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from mailwarden.access import service as access
from mailwarden.access.models import Agent
from mailwarden.cli import notify_queue
from mailwarden.cli.common import EXIT_PROBLEM, ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core import clock
from mailwarden.core.errors import InputError, MailwardenError
from mailwarden.notify import service
from mailwarden.notify.alerts import Alert, Person, render
from mailwarden.notify.errors import DeliveryError
from mailwarden.notify.models import Channel
from mailwarden.notify.transports import TRANSPORTS, Context
from mailwarden.notify.transports.http import HTTP
from mailwarden.notify.worker import worker_name

app = typer.Typer(help="Chat and e-mail alerts. 聊天群与邮件通知。", no_args_is_help=True)
channel_app = typer.Typer(help="Where alerts go. 通知通道。", no_args_is_help=True)
app.add_typer(channel_app, name="channel")
app.command("worker")(notify_queue.worker)
app.command("outbox")(notify_queue.outbox)
app.command("retry")(notify_queue.retry)

Kind = StrEnum("Kind", {k: k for k in TRANSPORTS})  # type: ignore[misc]


def person(agent: Agent) -> Person:
    """An agent as notify sees a person: plain values, identities by chat system."""
    return Person(
        name=agent.name,
        email=agent.email,
        timezone=agent.timezone,
        ids={i.kind: i.ident for i in agent.identities},
    )


@channel_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. sales-dingtalk. 通道名称。")],
    kind: Annotated[Kind, typer.Option("--kind", help="Channel kind. 通道类型。")],
    url: Annotated[str, typer.Option("--url", help="Webhook URL, or mailto:addresses for e-mail.")],
    secret: Annotated[
        str | None, typer.Option("--secret", help="Signing secret (Feishu, DingTalk, webhook). 签名密钥。")
    ] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the secret from standard input. 从标准输入读取密钥。")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private",
            help="May reach private addresses (if [notify] allow_private_targets). 允许内网地址。",
        ),
    ] = False,
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", help="E-mail: the mailbox that sends. 发信邮箱。")
    ] = None,
    channel_lang: Annotated[
        str | None, typer.Option("--channel-lang", help="Language of the alerts: en or zh-CN. 通知语言。")
    ] = None,
    rate: Annotated[
        int | None, typer.Option("--rate", help="Messages per minute (default: the vendor's limit).")
    ] = None,
    digest: Annotated[
        bool, typer.Option("--digest", help="Summarise bursts beyond the rate limit. 超限时合并发送。")
    ] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Only these alert kinds (repeatable). 只接收这些通知。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add a channel; its URL and secret are stored encrypted. 添加通知通道（URL 与密钥加密保存）。"""
    run = Run(config, as_json, lang)
    if secret is not None and secret_stdin:
        run.fail(InputError("notify.secret_stdin_twice"))
    if secret_stdin:
        secret = sys.stdin.read().strip("\r\n")
    spec = service.ChannelSpec(
        name=name,
        kind=str(kind.value),
        url=url,
        secret=secret,
        allow_private=allow_private,
        language=channel_lang or run.settings.language,
        rate_per_minute=rate,
        digest=digest,
        alert_kinds=only or None,
        options={"mailbox": mailbox} if mailbox else {},
    )
    private_targets = run.settings.notify.allow_private_targets
    try:
        spec.validate(private_targets=private_targets)
    except InputError as exc:
        run.fail(exc)
    box = run.secret_box()

    async def go() -> Channel:
        async with run.database() as db:
            return await service.add_channel(db, box, spec, private_targets=private_targets)

    channel = run_async(go)
    run.say(run.t("notify.channel_added", name=name, kind=channel.kind, url=channel.url_shown), style="green")
    run.emit({"ok": True, "channel": _describe(channel)})


@channel_app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List channels, their state and last error (never URLs or secrets). 列出通道。"""
    run = Run(config, as_json, lang)

    async def go() -> list[Channel]:
        async with run.database() as db:
            return await service.list_channels(db)

    run.listing(
        "channels",
        run_async(go),
        _describe,
        empty="notify.no_channels",
        columns=("name", "kind", "url", "enabled", "rate/min", "digest", "last ok", "last error"),
        row=lambda c: (
            c.name,
            c.kind,
            c.url_shown,
            "yes" if c.enabled else "NO",
            str(c.rate_per_minute or TRANSPORTS[c.kind].rate_per_minute or "-"),
            "yes" if c.digest else "no",
            c.last_ok_at.isoformat(timespec="seconds") if c.last_ok_at else "",
            (c.last_error or "")[:120],
        ),
    )


@channel_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove a channel and its queued alerts. 删除通道及其队列。"""
    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await service.remove_channel(db, name)

    run_async(go)
    run.say(run.t("notify.channel_removed", name=name))
    run.emit({"ok": True, "removed": name})


def _set_enabled(name: str, enabled: bool, run: Run) -> None:
    async def go() -> Channel:
        async with run.database() as db:
            return await service.set_enabled(db, name, enabled)

    channel = run_async(go)
    run.say(run.t("notify.channel_enabled" if enabled else "notify.channel_disabled", name=name))
    run.emit({"ok": True, "channel": _describe(channel)})


@channel_app.command("enable")
def enable(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Enable a channel (after fixing what disabled it). 启用通道。"""
    _set_enabled(name, True, Run(config, as_json, lang))


@channel_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Disable a channel; its alerts queue until it is enabled. 停用通道（通知继续排队）。"""
    _set_enabled(name, False, Run(config, as_json, lang))


@app.command("test")
def check(
    name: Annotated[str, typer.Argument(help="The channel. 通道名称。")],
    mention: Annotated[
        list[str] | None, typer.Option("--mention", help="An agent to @mention (repeatable). 要 @ 的成员。")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds (default: [notify] timeout). 超时秒数。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Send a test alert now, past the queue; exit 1 with the receiver's answer if it fails. 发送测试通知。"""
    run = Run(config, as_json, lang)
    box = run.secret_box()

    async def go() -> str:
        async with run.database() as db:
            channel = await service.get_channel(db, name)
            people = [person(await access.get_agent(db, n)) for n in mention or ()]
            alert = Alert(
                "test",
                f"test:{name}:{clock.now().isoformat()}",
                {"channel": name, "sender": worker_name().rsplit(":", 1)[0]},
                mentions=people,
            )
            http = HTTP(timeout=timeout or run.settings.notify.timeout)
            try:
                target = service.target(
                    channel, box, private_targets=run.settings.notify.allow_private_targets
                )
                transport = TRANSPORTS[channel.kind](target, Context(http, db, box))
                return await transport.send(render(alert, channel.language))
            finally:
                await http.aclose()

    try:
        answer = asyncio.run(go())
    except DeliveryError as exc:
        run.emit({"ok": False, "error": exc.as_dict(run.lang), "status": exc.status, "answer": exc.answer})
        run.say("✗ " + run.t("notify.test_failed", name=name), style="red")
        run.say("  " + exc.render(run.lang))
        raise typer.Exit(EXIT_PROBLEM) from None
    except MailwardenError as exc:
        run.fail(exc)
    run.say("✓ " + run.t("notify.test_ok", name=name, answer=answer.strip()[:300]), style="green")
    run.emit({"ok": True, "answer": answer})


def _describe(c: Channel) -> dict[str, Any]:
    return {
        "name": c.name,
        "kind": c.kind,
        "url": c.url_shown,
        "signed": c.secret_cipher is not None,
        "allow_private": c.allow_private,
        "enabled": c.enabled,
        "language": c.language,
        "rate_per_minute": c.rate_per_minute or TRANSPORTS[c.kind].rate_per_minute,
        "digest": c.digest,
        "alert_kinds": c.alert_kinds,
        "options": c.options,
        "last_ok_at": c.last_ok_at,
        "last_error": c.last_error,
        "last_error_at": c.last_error_at,
    }
