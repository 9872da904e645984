"""``mailwarden archive sync|watch|verify|status``.

Each command imports what it needs when it runs: a no-change ``archive sync`` is meant to take a fraction
of a second, and importing the whole package up front (verify, watch, tables, progress bars) took longer
than the pass itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailwarden.cli.common import EXIT_PROBLEM, ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import MailwardenError

if TYPE_CHECKING:
    from mailwarden.archive.models import SyncRun
    from mailwarden.db.engine import Database
    from mailwarden.mailboxes.models import Mailbox
    from mailwarden.sync.engine import FolderOutcome, PassOutcome
    from mailwarden.sync.verify import VerifyReport
    from mailwarden.sync.watch import WatchOptions

app = typer.Typer(
    help=(
        "The archive: sync, watch, verify, status, export, restore, attest, retention, holds, purges. "
        "归档：同步、监视、校验、导出、恢复、防篡改校验、保留与清除。"
    ),
    no_args_is_help=True,
)

MailboxArg = Annotated[
    str | None, typer.Argument(help="A mailbox name; all mailboxes when left out. 邮箱名称，省略则为全部。")
]


async def chosen_mailboxes(run: Run, db: Database, name: str | None) -> list[Mailbox]:
    from mailwarden.mailboxes import service as mailboxes

    if name is not None:
        return [await mailboxes.get_mailbox(db, name)]
    found = await mailboxes.list_mailboxes(db)
    if not found:
        run.say(run.t("mailbox.none"))
    return found


def _run_dict(run: SyncRun, seconds: float) -> dict[str, Any]:
    return {
        "status": run.status,
        "folders": run.folders,
        "folders_skipped": run.folders_skipped,
        "fetched": run.fetched,
        "fetched_bytes": run.fetched_bytes,
        "stored": run.stored,
        "tombstoned": run.tombstoned,
        "flag_changes": run.flag_changes,
        "seconds": round(seconds, 3),
        "error_kind": run.error_kind,
        "error": run.error,
    }


@app.command()
def sync(
    mailbox: MailboxArg = None,
    full: Annotated[
        bool, typer.Option("--full", help="Look at every folder, changed or not. 检查所有文件夹。")
    ] = False,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Do not update the search index. 不更新搜索索引。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Bring the archive up to date with the server, read-only. 同步归档（只读，不修改服务器）。"""
    from mailwarden.archive.blobstore import blob_store

    run = Run(config, as_json, lang)
    store = blob_store(run.settings.archive_dir)
    results: list[dict[str, Any]] = []
    index: dict[str, Any] | None = None

    async def go() -> None:
        nonlocal index
        async with run.database() as db:
            for box in await chosen_mailboxes(run, db, mailbox):
                results.append(await _sync_one(run, db, box, full, store))
            if results and not no_index:
                index = await archive_search.index_new(run, db)

    run_async(go)
    ok = all(r["status"] == "ok" for r in results) and (index is None or index["ok"])
    run.emit({"ok": ok, "mailboxes": results, "index": index})
    if not ok:
        raise typer.Exit(EXIT_PROBLEM)


async def _sync_one(run: Run, db: Database, box: Mailbox, full: bool, store: Any) -> dict[str, Any]:
    from mailwarden.mailboxes.connect import wants_compression
    from mailwarden.sync.engine import SyncOptions
    from mailwarden.sync.service import run_sync

    started = time.monotonic()
    progress = run.progress("{task.fields[mb]:.1f} MB · {task.fields[rate]:.1f} MB/s")
    tasks: dict[str, Any] = {}

    def on_progress(folder: str, outcome: FolderOutcome, to_fetch: int) -> None:
        mb = outcome.fetched_bytes / 1e6
        rate = mb / max(time.monotonic() - started, 1e-3)
        if folder not in tasks:
            tasks[folder] = progress.add_task(f"{box.name}/{folder}", total=to_fetch, mb=0.0, rate=0.0)
        progress.update(tasks[folder], completed=outcome.fetched, mb=mb, rate=rate)

    try:
        with progress:
            record, _ = await run_sync(
                db,
                store,
                box,
                run.credential(box),
                options=SyncOptions(full=full),
                progress=on_progress,
                compress=wants_compression(box, run.settings.archive.compress),
            )
    except MailwardenError as exc:
        run.say(run.t("archive.sync_failed", name=box.name, error=exc.render(run.lang)), style="red")
        return {"mailbox": box.name, "status": "failed", "error": exc.as_dict(run.lang)}
    seconds = time.monotonic() - started
    run.say(
        run.t(
            "archive.synced",
            name=box.name,
            fetched=record.fetched,
            mb=f"{record.fetched_bytes / 1e6:.1f}",
            folders=record.folders,
            skipped=record.folders_skipped,
            tombstoned=record.tombstoned,
            seconds=f"{seconds:.1f}",
        ),
        style="green",
    )
    return {"mailbox": box.name, **_run_dict(record, seconds)}


@app.command("watch")
def watch_(
    mailbox: MailboxArg = None,
    reconcile_minutes: Annotated[
        float, typer.Option("--reconcile-minutes", help="Full pass interval. 全量核对间隔（分钟）。")
    ] = 15.0,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Keep the archive current live (IDLE) until stopped; SIGTERM stops cleanly. 实时同步，直到被停止。"""
    import signal

    from mailwarden.archive.blobstore import blob_store
    from mailwarden.sync.watch import WatchOptions

    run = Run(config, as_json, lang)
    store = blob_store(run.settings.archive_dir)
    options = WatchOptions(reconcile_every=reconcile_minutes * 60)

    async def go() -> None:
        async with run.database() as db:
            boxes = await chosen_mailboxes(run, db, mailbox)
            if not boxes:
                return
            for box in boxes:
                run.credential(box)  # a missing key or reference is reported now, not in a retry loop
            loop = asyncio.get_running_loop()
            follower = archive_search.IndexFollower(run, db)
            indexing = asyncio.create_task(follower.follow())
            follower.poke()  # what earlier runs archived and did not index yet
            poke = follower.poke if run.settings.search.index_on_sync else lambda: None
            tasks = [asyncio.create_task(_watch_one(run, db, store, box, options, poke)) for box in boxes]
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: [t.cancel() for t in tasks])
            run.say(run.t("archive.watching", names=", ".join(b.name for b in boxes)))
            results = await asyncio.gather(*tasks, return_exceptions=True)
            indexing.cancel()
            await asyncio.gather(indexing, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    raise result
            run.say(run.t("archive.watch_stopped"))

    run_async(go)


async def _watch_one(
    run: Run, db: Database, store: Any, box: Mailbox, options: WatchOptions, archived: Callable[[], None]
) -> None:
    from mailwarden.sync.watch import watch

    def on_pass(record: SyncRun, outcome: PassOutcome) -> None:
        run.event({"event": "pass", "mailbox": box.name, **_run_dict(record, 0.0)})
        if record.stored:
            archived()
        if record.fetched or record.tombstoned or record.flag_changes:
            run.say(
                run.t(
                    "archive.watch_pass",
                    name=box.name,
                    fetched=record.fetched,
                    tombstoned=record.tombstoned,
                    flags=record.flag_changes,
                )
            )

    def on_error(exc: MailwardenError, pause: float) -> None:
        run.event({"event": "error", "mailbox": box.name, "error": exc.as_dict(run.lang), "retry_in": pause})
        run.say(
            run.t("archive.watch_error", name=box.name, error=exc.render(run.lang), seconds=f"{pause:.0f}")
        )

    try:
        await watch(
            db, store, box, lambda: run.credential(box), options=options, on_pass=on_pass, on_error=on_error
        )
    except asyncio.CancelledError:
        return


@app.command()
def verify(
    mailbox: MailboxArg = None,
    deep: Annotated[
        bool, typer.Option("--deep", help="Re-hash every archived blob. 重新校验每个归档文件。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Compare the server with the archive; list every missing, extra or mismatched message. 校验归档。"""
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.mailboxes.connect import open_imap, wants_compression
    from mailwarden.sync.verify import verify_mailbox

    run = Run(config, as_json, lang)
    store = blob_store(run.settings.archive_dir)
    reports: dict[str, VerifyReport] = {}

    async def go() -> None:
        async with run.database() as db:
            for box in await chosen_mailboxes(run, db, mailbox):
                compress = wants_compression(box, run.settings.archive.compress)
                async with await open_imap(box, run.credential(box), compress=compress) as client:
                    reports[box.name] = await verify_mailbox(db, store, client, box.id, deep=deep)
                    await client.logout()

    run_async(go)
    ok = all(r.ok for r in reports.values())
    run.emit({"ok": ok, "mailboxes": {name: r.as_dict() for name, r in reports.items()}})
    for name, report in reports.items():
        _print_verify(run, name, report)
    if not ok:
        raise typer.Exit(EXIT_PROBLEM)


def _print_verify(run: Run, name: str, report: VerifyReport) -> None:
    from rich.table import Table

    if report.ok:
        total = sum(f.archived for f in report.folders)
        run.say(
            run.t("archive.verify_ok", name=name, folders=len(report.folders), messages=total), style="green"
        )
        return
    run.say(run.t("archive.verify_problems", name=name, count=len(report.differences)), style="red")
    if run.as_json:
        return
    table = Table("kind", "folder", "UID", "Message-ID", "subject", "date", "detail")
    for d in report.differences:
        table.add_row(
            run.t(f"archive.kind.{d.kind}"),
            d.folder,
            str(d.uid or ""),
            d.message_id or "",
            d.subject or "",
            d.date.isoformat(timespec="minutes") if d.date else "",
            d.detail or "",
        )
    run.out.print(table)


@app.command()
def status(
    mailbox: MailboxArg = None, config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None
) -> None:
    """Per folder: server count, archived, tombstones, last sync, lag; recent alerts. 归档状态。"""
    from rich.table import Table

    from mailwarden.sync import status as sync_status

    run = Run(config, as_json, lang)

    async def go() -> list[sync_status.MailboxStatus]:
        async with run.database() as db:
            return [
                await sync_status.mailbox_status(db, box) for box in await chosen_mailboxes(run, db, mailbox)
            ]

    statuses = run_async(go)
    run.emit({"ok": True, "mailboxes": [s.as_dict() for s in statuses]})
    if run.as_json:
        return
    for st in statuses:
        last = st.last_run
        run.say(
            f"{st.name}: "
            + (
                run.t("archive.status_last", status=last.status, when=last.finished_at or last.started_at)
                if last
                else run.t("archive.status_never")
            ),
            style="bold",
        )
        if last and last.error:
            run.say("  " + last.error, style="red")
        table = Table("folder", "server", "archived", "tombstones", "last sync", "lag")
        for f in st.folders:
            table.add_row(
                f.name,
                "" if f.server is None else str(f.server),
                str(f.archived),
                str(f.tombstones),
                f.last_synced_at.isoformat(timespec="seconds") if f.last_synced_at else "-",
                f"{f.lag_seconds:.0f} s" if f.lag_seconds is not None else "-",
            )
        run.out.print(table)
        for alert in st.alerts:
            run.say(
                f"  ! {alert.created_at:%Y-%m-%d %H:%M} {alert.kind} {alert.folder or ''} {alert.detail}",
                style="yellow",
            )


# export and restore live in archive_recovery.py; importing it registers them on ``app``
# (search, reindex, index-status, show in archive_search.py; attest and audit in archive_integrity.py;
# retention, holds and purges in archive_retention.py)
from mailwarden.cli import (  # noqa: E402, F401
    archive_integrity,
    archive_recovery,
    archive_retention,
    archive_search,
)
