"""``archive export`` and ``archive restore`` (registered on :data:`mailwarden.cli.archive.app`)."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Annotated, Any

import typer

from mailwarden.cli.archive import MailboxArg, app, chosen_mailboxes
from mailwarden.cli.common import EXIT_PROBLEM, ConfigOpt, JsonOpt, LangOpt, Run, run_async

# -- export and restore: the messages the filters choose ---------------------------------------------------
FolderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--folder", help="Only this folder (repeatable). 仅此文件夹（可重复）。", show_default=False
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Received on or after DATE (YYYY-MM-DD). 此日期及之后收到。", show_default=False
    ),
]
BeforeOpt = Annotated[
    str | None,
    typer.Option("--before", help="Received before DATE (YYYY-MM-DD). 此日期之前收到。", show_default=False),
]
MessageIdOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--message-id", help="Only this Message-ID (repeatable). 仅此 Message-ID。", show_default=False
    ),
]
QueryOpt = Annotated[
    str | None,
    typer.Option(
        "--query",
        help="Only messages this search finds (archive search's language). 仅限此搜索找到的邮件。",
        show_default=False,
    ),
]
GoneOpt = Annotated[
    bool,
    typer.Option("--include-gone", help="Also messages deleted on the server. 包括服务器上已删除的邮件。"),
]


def _selection(
    run: Run,
    folders: list[str] | None,
    since: str | None,
    before: str | None,
    message_ids: list[str] | None,
    query: str | None,
    include_gone: bool,
) -> Any:
    from mailwarden.core.errors import InputError
    from mailwarden.recovery.selection import Selection, parse_day

    try:
        return Selection(
            folders=tuple(folders or ()),
            since=parse_day(since) if since else None,
            before=parse_day(before) if before else None,
            message_ids=tuple(message_ids or ()),
            include_gone=include_gone,
            query=query,
        )
    except InputError as exc:
        run.fail(exc)


@app.command("export")
def export_(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write (must not exist). 输出路径（不得已存在）。")
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="eml-zip, mbox or maildir. 格式：eml-zip、mbox 或 maildir。")
    ] = "eml-zip",
    mailbox: MailboxArg = None,
    folder: FolderOpt = None,
    since: SinceOpt = None,
    before: BeforeOpt = None,
    message_id: MessageIdOpt = None,
    query: QueryOpt = None,
    include_gone: GoneOpt = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Export archived messages, byte for byte, with a manifest of hashes. 导出归档邮件（附哈希清单）。"""
    import threading

    from mailwarden.archive.blobstore import blob_store
    from mailwarden.audit.service import local_actor
    from mailwarden.core.errors import MailwardenError
    from mailwarden.recovery.events import record_run
    from mailwarden.recovery.export import FORMATS, export_items
    from mailwarden.recovery.selection import select_items

    run = Run(config, as_json, lang)
    if fmt not in FORMATS:
        from mailwarden.core.errors import InputError

        run.fail(InputError("recovery.unknown_format", format=fmt, formats=", ".join(FORMATS)))
    selection = _selection(run, folder, since, before, message_id, query, include_gone)
    store = blob_store(run.settings.archive_dir)

    async def go() -> Any:
        async with run.database() as db:
            boxes = await chosen_mailboxes(run, db, mailbox)
            items = await select_items(db, boxes, selection, search_dir=run.settings.search_dir)
            progress = run.progress()
            stop = threading.Event()
            target = out.absolute()
            audit = functools.partial(
                record_run,
                db,
                local_actor(),
                "archive.export",
                str(target),
                mailboxes=[b.name for b in boxes],
                selection=selection,
            )
            with progress:
                task = progress.add_task(str(out), total=len(items))
                try:
                    report = await asyncio.to_thread(
                        export_items, store, items, fmt, target, lambda _: progress.advance(task), stop
                    )
                except MailwardenError as exc:
                    await audit(error=exc)
                    raise
                finally:
                    stop.set()  # cancelled (Ctrl-C): the thread stops at the next message and cleans up
            await audit(result=report.as_dict())
            return report

    report = run_async(go)
    run.emit({"ok": True, **report.as_dict()})
    run.say(
        run.t("recovery.exported", count=report.messages, mb=f"{report.bytes / 1e6:.1f}", path=str(out)),
        style="green",
    )


@app.command("restore")
def restore_(
    to: Annotated[str, typer.Option("--to", help="The target mailbox (registered). 恢复到的目标邮箱。")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="The archived mailbox to restore. 要恢复的归档邮箱。", show_default=False
        ),
    ] = None,
    folder_map: Annotated[
        list[str] | None,
        typer.Option("--folder-map", help="SRC=DST (repeatable). 文件夹映射（可重复）。", show_default=False),
    ] = None,
    folder: FolderOpt = None,
    since: SinceOpt = None,
    before: BeforeOpt = None,
    message_id: MessageIdOpt = None,
    query: QueryOpt = None,
    include_gone: GoneOpt = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """APPEND archived messages into another account, with flags and dates; safe to run again. 恢复邮件。"""
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.audit.service import local_actor
    from mailwarden.core.errors import InputError, MailwardenError, SystemFailure
    from mailwarden.mailboxes import service as mailboxes
    from mailwarden.mailboxes.connect import open_imap, wants_compression
    from mailwarden.recovery.events import record_run
    from mailwarden.recovery.lease import target_lease
    from mailwarden.recovery.restore import parse_folder_map, restore
    from mailwarden.recovery.selection import select_items
    from mailwarden.sync.owner import dead_here, holder_id

    run = Run(config, as_json, lang)
    selection = _selection(run, folder, since, before, message_id, query, include_gone)
    try:
        mapping = parse_folder_map(folder_map or [])
    except InputError as exc:
        run.fail(exc)
    store = blob_store(run.settings.archive_dir)

    async def go() -> Any:
        async with run.database() as db:
            target = await mailboxes.get_mailbox(db, to)
            if source is not None:
                origin = await mailboxes.get_mailbox(db, source)
            else:
                others = [b for b in await mailboxes.list_mailboxes(db) if b.id != target.id]
                if len(others) != 1:
                    raise InputError("recovery.source_needed" if others else "recovery.nothing_archived")
                origin = others[0]
            items = await select_items(db, [origin], selection, search_dir=run.settings.search_dir)
            audit = functools.partial(
                record_run,
                db,
                local_actor(),
                "archive.restore",
                target.name,
                mailboxes=[origin.name],
                selection=selection,
            )
            progress = run.progress()
            with progress:
                task = progress.add_task(f"{origin.name} → {target.name}", total=len(items))
                try:
                    async with (
                        target_lease(db, target, holder_id(), dead_here),
                        await open_imap(
                            target,
                            run.credential(target),
                            compress=wants_compression(target, run.settings.archive.compress),
                        ) as client,
                    ):
                        report = await restore(
                            db, store, target, client, items, mapping, lambda *_: progress.advance(task)
                        )
                        await client.logout()
                except MailwardenError as exc:
                    await audit(error=exc)
                    if isinstance(exc, SystemFailure):  # not the user's mistake: running it again resumes
                        run.say(
                            run.t("recovery.restore_failed", target=target.name, error=exc.render(run.lang))
                        )
                    raise
            await audit(result=report.as_dict())
            return report

    report = run_async(go)
    run.emit({"ok": not report.failed, **report.as_dict()})
    run.say(
        run.t(
            "recovery.restored",
            target=report.target,
            appended=report.appended,
            present=report.present,
            folders=report.folders,
            created=report.created,
        ),
        style="green",
    )
    for failure in report.failed:
        run.say(
            run.t(
                "recovery.not_restored",
                folder=failure["folder"],
                uid=failure["uid"],
                message_id=failure["message_id"] or "-",
                error=failure["error"],
            ),
            style="red",
        )
    if report.failed:
        raise typer.Exit(EXIT_PROBLEM)
