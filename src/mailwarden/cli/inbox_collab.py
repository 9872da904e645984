"""``mailwarden inbox note|notes|tag|tags|canned|merge|split``: working on conversations together.

Registered into the ``inbox`` group by :func:`register` (see ``_PARTS`` in :mod:`.inbox`). Changes are
recorded as the agent named by ``--as`` where there is one (a note has an author), else as the person at
the command line (``cli:<user>@<host>``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import InputError

AgentOpt = Annotated[str, typer.Option("--as", help="The agent who writes. 以哪位成员的身份。")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="Conversation id (or uid). 会话编号。")]

canned_app = typer.Typer(help="Canned replies with {variables}. 带变量的快捷回复。", no_args_is_help=True)


def _actor() -> str:
    from mailwarden.audit.service import local_actor

    return local_actor()


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("inbox.collab.cli_unreadable", path=str(path), detail=str(exc)) from None


def note(
    ident: IdArg,
    text: Annotated[str | None, typer.Argument(help="The note (or --file). 备注内容。")] = None,
    agent: AgentOpt = "",
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the note from a file. 从文件读取。")
    ] = None,
    edit: Annotated[
        int | None, typer.Option("--edit", help="Change your note NOTE_ID (a new version). 修改备注。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add an internal note; @name alerts that agent. 添加内部备注；@姓名 会通知该成员。"""
    from mailwarden.inbox.notes import NoteWritten, add_note, edit_note

    run = Run(config, as_json, lang)

    async def go() -> NoteWritten:
        if not agent:
            raise InputError("inbox.collab.cli_needs_agent")
        if (text is None) == (file is None):
            raise InputError("inbox.collab.cli_text_or_file")
        body = text if text is not None else _read(file)  # type: ignore[arg-type]
        async with run.database() as db:
            if edit is not None:
                return await edit_note(db, edit, body, editor=agent)
            return await add_note(db, ident, body, author=agent)

    written = run_async(go)
    run.say(run.t("inbox.collab.noted", id=written.note.id, version=written.note.version), style="green")
    if written.alerted:
        run.say(run.t("inbox.collab.alerted", names=", ".join(written.alerted)))
    if written.unknown_mentions:
        run.say(
            run.t("inbox.collab.unknown_mentions", names=", ".join(written.unknown_mentions)), style="yellow"
        )
    run.emit({"ok": True, **written.as_dict()})


def notes(
    ident: IdArg,
    history: Annotated[bool, typer.Option("--history", help="Every version. 显示全部版本。")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List a conversation's internal notes. 列出会话的内部备注。"""
    from mailwarden.inbox.notes import NoteView, list_notes

    run = Run(config, as_json, lang)

    async def go() -> list[NoteView]:
        async with run.database() as db:
            return await list_notes(db, ident, history=history)

    found = run_async(go)
    run.emit({"ok": True, "notes": [n.as_dict() for n in found]})
    if not found:
        run.say(run.t("inbox.collab.no_notes"))
    for each in found:
        edited = run.t("inbox.collab.edited", version=each.version) if each.version > 1 else ""
        run.say(f"#{each.id} {each.author} {each.created_at:%Y-%m-%d %H:%M}{edited}", style="bold")
        run.say(each.text)
        for version in each.history[:-1]:
            run.say(f"  v{version['version']} {version['at']:%Y-%m-%d %H:%M}: {version['text']}", style="dim")


def tag(
    ident: IdArg,
    changes: Annotated[
        list[str], typer.Argument(metavar="[+TAG|-TAG|TAG]...", help="+add -remove. 添加/删除。")
    ],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add (+tag or tag) and remove (-tag) tags. 添加（+标签）或删除（-标签）标签。"""
    from mailwarden.inbox.tags import TagChange, change_tags

    run = Run(config, as_json, lang)
    add = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    remove = [c[1:] for c in changes if c.startswith("-")]

    async def go() -> TagChange:
        async with run.database() as db:
            return await change_tags(db, ident, add=add, remove=remove, actor=_actor())

    change = run_async(go)
    run.say(run.t("inbox.collab.tagged", id=change.conversation_id, tags=", ".join(change.tags) or "-"))
    run.emit({"ok": True, **change.as_dict()})


def tags(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Tags in use, with how many conversations carry each. 正在使用的标签及会话数。"""
    from mailwarden.inbox.tags import tag_counts

    run = Run(config, as_json, lang)

    async def go() -> list[tuple[str, int]]:
        async with run.database() as db:
            return await tag_counts(db)

    run.listing(
        "tags",
        run_async(go),
        lambda item: {"tag": item[0], "conversations": item[1]},
        empty="inbox.collab.no_tags",
        columns=("tag", "conversations"),
        row=lambda item: (item[0], str(item[1])),
    )


def merge(
    into: Annotated[str, typer.Argument(metavar="INTO", help="The conversation kept. 保留的会话。")],
    from_: Annotated[str, typer.Argument(metavar="FROM", help="The one merged into it. 被合并的会话。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Merge conversation FROM into INTO (same mailbox). 将会话 FROM 合并到 INTO（同一邮箱）。"""
    from mailwarden.inbox.merge import MergeResult, merge_conversations

    run = Run(config, as_json, lang)

    async def go() -> MergeResult:
        async with run.database() as db:
            return await merge_conversations(db, into, from_, actor=_actor())

    result = run_async(go)
    run.say(
        run.t("inbox.collab.merged", into=result.into_id, id=result.from_id, messages=result.messages),
        style="green",
    )
    run.emit({"ok": True, **result.as_dict()})


def split(
    ident: IdArg,
    message_ids: Annotated[
        list[int], typer.Argument(metavar="MSG_ID...", help="Messages to move. 要移出的邮件。")
    ],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Move messages into a new conversation. 将邮件移到一个新会话。"""
    from mailwarden.inbox.merge import SplitResult, split_conversation
    from mailwarden.inbox.tokens import KEY_PURPOSE

    run = Run(config, as_json, lang)

    async def go() -> SplitResult:
        key = run.secret_box().derive(KEY_PURPOSE)[0]
        async with run.database() as db:
            return await split_conversation(db, ident, message_ids, token_key=key, actor=_actor())

    result = run_async(go)
    run.say(
        run.t("inbox.collab.split", id=result.from_id, new=result.new_id, messages=len(result.messages)),
        style="green",
    )
    run.emit({"ok": True, **result.as_dict()})


@canned_app.command("add")
def canned_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. price-list. 名称。")],
    body_file: Annotated[Path, typer.Option("--body-file", help="Plain-text template. 纯文本模板。")],
    html_file: Annotated[Path | None, typer.Option("--html-file", help="HTML template. HTML 模板。")] = None,
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", help="Only for this mailbox (default: all). 仅限此邮箱。")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite one of that name. 覆盖同名。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Save a canned reply. 保存快捷回复。"""
    from mailwarden.inbox.canned import CannedView, add_canned

    run = Run(config, as_json, lang)

    async def go() -> CannedView:
        body = _read(body_file)
        html = _read(html_file) if html_file is not None else None
        async with run.database() as db:
            return await add_canned(
                db, name, body, html=html, mailbox=mailbox, replace=replace, actor=_actor()
            )

    saved = run_async(go)
    run.say(run.t("inbox.collab.canned_saved", name=saved.name), style="green")
    run.emit({"ok": True, "canned": saved.as_dict()})


@canned_app.command("list")
def canned_list(
    mailbox: Annotated[
        str | None, typer.Option("--mailbox", help="Usable in this mailbox. 此邮箱可用。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List canned replies. 列出快捷回复。"""
    from mailwarden.inbox.canned import CannedView, list_canned

    run = Run(config, as_json, lang)

    async def go() -> list[CannedView]:
        async with run.database() as db:
            return await list_canned(db, mailbox=mailbox)

    run.listing(
        "canned",
        run_async(go),
        lambda c: c.as_dict(),
        empty="inbox.collab.no_canned",
        columns=("name", "mailbox", "html", "text"),
        row=lambda c: (c.name, c.mailbox or "*", "✓" if c.html else "", " ".join(c.body.split())[:60]),
    )


@canned_app.command("show")
def canned_show(
    name: Annotated[str, typer.Argument(help="Its name. 名称。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show a canned reply's templates. 显示快捷回复模板。"""
    from mailwarden.inbox.canned import CannedView, get_canned

    run = Run(config, as_json, lang)

    async def go() -> CannedView:
        async with run.database() as db:
            return await get_canned(db, name)

    found = run_async(go)
    run.emit({"ok": True, "canned": found.as_dict()})
    run.say(f"{found.name} ({found.mailbox or '*'})", style="bold")
    run.say(found.body)
    if found.html:
        run.say("--- html ---", style="dim")
        run.say(found.html)


@canned_app.command("remove")
def canned_remove(
    name: Annotated[str, typer.Argument(help="Its name. 名称。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove a canned reply. 删除快捷回复。"""
    from mailwarden.inbox.canned import remove_canned

    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await remove_canned(db, name, actor=_actor())

    run_async(go)
    run.say(run.t("inbox.collab.canned_removed", name=name), style="green")
    run.emit({"ok": True, "removed": name})


@canned_app.command("render")
def canned_render(
    name: Annotated[str, typer.Argument(help="Its name. 名称。")],
    ident: IdArg,
    agent: AgentOpt = "",
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Fill a canned reply in for a conversation. 为会话填充快捷回复。"""
    from mailwarden.inbox.canned import Rendered, render_canned

    run = Run(config, as_json, lang)

    async def go() -> Rendered:
        if not agent:
            raise InputError("inbox.collab.cli_needs_agent")
        async with run.database() as db:
            return await render_canned(db, name, ident, agent=agent)

    shown = run_async(go)
    run.emit({"ok": True, "rendered": shown.as_dict()})
    run.say(shown.text)


def register(app: typer.Typer) -> None:
    app.command()(note)
    app.command()(notes)
    # "-old" is a tag to remove, not an option
    app.command(context_settings={"ignore_unknown_options": True})(tag)
    app.command()(tags)
    app.command()(merge)
    app.command()(split)
    app.add_typer(canned_app, name="canned")


__all__ = ["register"]
