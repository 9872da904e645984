"""``mailwarden inbox reply``, ``inbox outgoing list|retry|send`` and ``inbox signature set``.

``inbox reply`` queues the reply (durably, with its Message-ID) and returns; ``--send-now`` also runs one
pass of the outgoing worker and reports what became of it. Without it, ``mailwarden worker`` (or
``inbox outgoing send``) sends it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import InputError
from mailwarden.inbox.reply import OutgoingView

__all__ = ["register"]

outgoing_app = typer.Typer(help="Replies on their way out. 待发回复。", no_args_is_help=True)
signature_app = typer.Typer(help="Agents' signatures. 客服签名。", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("inbox.reply.file_unreadable", path=str(path), detail=str(exc)) from exc


def _attachment(path: Path) -> Any:
    from mailwarden.inbox.compose import Attachment

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            "inbox.reply.file_unreadable", path=str(path), detail=exc.strerror or str(exc)
        ) from exc
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Attachment(path.name, content_type, data)


def _summary(view: OutgoingView) -> dict[str, Any]:
    return view.as_dict()


def _error_text(run: Run, error: dict[str, Any] | None) -> str:
    """A stored failure in the reader's language (stored in English, with its key and parameters)."""
    if not error:
        return ""
    from mailwarden.core import i18n

    key = str(error.get("key", ""))
    if key and i18n.has(key):
        return run.t(key, **dict(error.get("params") or {}))
    return str(error.get("message", ""))


def reply(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Conversation id (or uid). 会话编号。")],
    agent: Annotated[str, typer.Option("--as", help="The agent replying. 回复的客服。")],
    body_file: Annotated[Path, typer.Option("--body-file", help="The text (UTF-8). 正文文件。")],
    html_file: Annotated[
        Path | None, typer.Option("--html-file", help="An HTML version (cleaned). HTML 正文。")
    ] = None,
    attach: Annotated[
        list[Path] | None, typer.Option("--attach", help="A file to attach (repeatable). 附件。")
    ] = None,
    cc: Annotated[list[str] | None, typer.Option("--cc", help="Also to (repeatable). 抄送。")] = None,
    seen: Annotated[
        int | None,
        typer.Option("--seen", help="The newest message id you have read. 您已读的最新邮件编号。"),
    ] = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Send even if the conversation changed. 会话有变化仍发送。")
    ] = False,
    quote: Annotated[
        bool | None,
        typer.Option("--quote/--no-quote", help="Quote the customer's message. 引用客户邮件。"),
    ] = None,
    send_now: Annotated[
        bool, typer.Option("--send-now", help="Send at once and report. 立即发送并报告结果。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Reply to a conversation from its mailbox's address. 以邮箱地址回复会话。"""
    from mailwarden.inbox import reply as service
    from mailwarden.inbox.outgoing import send_pass

    run = Run(config, as_json, lang)
    settings = run.settings

    async def go() -> tuple[OutgoingView, OutgoingView | None]:
        body = _read(body_file)
        html = _read(html_file) if html_file else None
        attachments = [_attachment(path) for path in attach or []]
        async with run.database() as db:
            queued = await service.reply(
                db,
                settings,
                ident,
                agent=agent,
                body_text=body,
                body_html=html,
                attachments=attachments,
                cc=cc or [],
                seen_message_id=seen,
                confirm=confirm,
                quote=quote,
            )
            if not send_now:
                return queued, None
            await send_pass(db, settings)
            (after,) = [
                each for each in await service.list_outgoing(db, conversation=ident) if each.id == queued.id
            ]
            return queued, after

    queued, after = run_async(go)
    run.say(run.t("inbox.reply.queued", id=queued.id, subject=queued.subject, to=", ".join(queued.rcpt_to)))
    if after is None:
        run.emit({"ok": True, "reply": _summary(queued)})
        return
    ok = after.status in ("sent", "filed")
    if ok:
        run.say(run.t("inbox.reply.sent_now", id=after.id, status=after.status), style="green")
    else:
        error = _error_text(run, after.error) or after.status
        run.say(run.t("inbox.reply.failed_now", id=after.id, error=error), style="red")
    run.emit({"ok": ok, "reply": _summary(after)})
    if not ok:
        raise typer.Exit(1)


@outgoing_app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option("--status", help="queued, sending, sent, filed or failed. 状态。")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Only this conversation. 仅此会话。")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many. 最多条数。")] = 50,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List replies, the newest first, with their errors. 列出回复（最新在前）及错误。"""
    from mailwarden.inbox import reply as service

    run = Run(config, as_json, lang)

    async def go() -> list[OutgoingView]:
        async with run.database() as db:
            return await service.list_outgoing(db, status=status, conversation=conversation, limit=limit)

    items = run_async(go)
    run.listing(
        "replies",
        items,
        _summary,
        empty="inbox.reply.none",
        columns=("id", "conversation", "agent", "status", "attempts", "next", "error"),
        row=lambda r: (
            str(r.id),
            str(r.conversation_id),
            r.agent,
            r.status,
            str(r.attempts),
            r.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if r.next_attempt_at else "",
            _error_text(run, r.error),
        ),
    )


@outgoing_app.command()
def retry(
    outgoing_id: Annotated[int, typer.Argument(metavar="ID", help="Reply id. 回复编号。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Try a failed reply again now. 立即重试失败的回复。"""
    from mailwarden.audit.service import local_actor
    from mailwarden.inbox import reply as service

    run = Run(config, as_json, lang)

    async def go() -> OutgoingView:
        async with run.database() as db:
            return await service.retry(db, outgoing_id, actor=local_actor())

    view = run_async(go)
    run.say(run.t("inbox.reply.retried", id=view.id), style="green")
    run.emit({"ok": True, "reply": _summary(view)})


@outgoing_app.command()
def send(
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Send every reply that is due (one pass). 发送所有到期的回复（执行一次）。"""
    from mailwarden.inbox.outgoing import Pass, send_pass

    run = Run(config, as_json, lang)

    async def go() -> Pass:
        async with run.database() as db:
            return await send_pass(db, run.settings)

    done = run_async(go)
    counts = {
        "done": done.count("filed") + done.count("sent"),
        "retry": done.count("retry") + done.count("in_doubt"),
        "failed": done.count("failed"),
    }
    run.say(run.t("inbox.reply.pass_done", **counts))
    run.emit({"ok": counts["failed"] == 0, "outcomes": done.outcomes, "next_at": done.next_at})
    if counts["failed"]:
        raise typer.Exit(1)


@signature_app.command("set")
def set_(
    agent: Annotated[str, typer.Argument(metavar="AGENT", help="Agent name. 客服名称。")],
    file: Annotated[Path, typer.Option("--file", help="The signature text (UTF-8). 签名文本。")],
    html_file: Annotated[
        Path | None, typer.Option("--html-file", help="An HTML version. HTML 签名。")
    ] = None,
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", help="Only for this mailbox. 仅用于此邮箱。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Set an agent's signature. 设置客服签名。"""
    from mailwarden.inbox.signatures import set_signature

    run = Run(config, as_json, lang)

    async def go() -> Any:
        text = _read(file)
        html = _read(html_file) if html_file else None
        async with run.database() as db:
            return await set_signature(db, agent, text=text, html=html, mailbox=mailbox)

    stored = run_async(go)
    run.say(run.t("inbox.reply.signature_set", agent=agent), style="green")
    run.emit({"ok": True, "agent": agent, "mailbox": mailbox, "text": stored.text, "html": stored.html})


def register(app: typer.Typer) -> None:
    app.command("reply")(reply)
    app.add_typer(outgoing_app, name="outgoing")
    app.add_typer(signature_app, name="signature")
