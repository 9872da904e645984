"""``archive search``, ``archive reindex`` and ``archive index-status`` (registered on the archive app)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailwarden.cli.archive import app
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.core.errors import ConflictError, MailwardenError

if TYPE_CHECKING:
    from mailwarden.db.engine import Database
    from mailwarden.search.indexer import IndexReport
    from mailwarden.search.service import Hit


def _hit_dict(hit: Hit) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(hit)


def _show(run: Run, number: int, hit: Hit) -> None:
    from rich.text import Text

    when = hit.date.strftime("%Y-%m-%d") if hit.date else "----------"
    sender = f"{hit.from_name} <{hit.from_addr}>" if hit.from_name else (hit.from_addr or "")
    head = Text(f"{number:>3}. {when}  {hit.mailbox}/{hit.folder}  ", style="dim")
    head.append(sender)
    if hit.has_attachment:
        head.append("  [" + run.t("search.attachment") + "]", style="cyan")
    if hit.gone:
        head.append("  [" + run.t("search.gone") + "]", style="yellow")
    run.out.print(head)
    for text, spans in (
        (hit.subject or run.t("search.no_subject"), hit.subject_spans),
        (hit.snippet, hit.snippet_spans),
    ):
        line = Text("     " + text)
        for start, end in spans:
            line.stylize("bold reverse", start + 5, end + 5)
        run.out.print(line)
    if hit.also_in:
        run.out.print(
            "     " + run.t("search.also_in", places=", ".join("/".join(p) for p in hit.also_in)), style="dim"
        )


@app.command("search")
def search_(
    query: Annotated[str, typer.Argument(help="What to find (see docs/operations.md). 搜索内容。")],
    limit: Annotated[int, typer.Option("--limit", help="Hits to show. 显示条数。")] = 20,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many hits. 跳过条数。")] = 0,
    newest: Annotated[
        bool, typer.Option("--newest", help="Newest first instead of best match. 按时间倒序。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Full-text search of the archive, Chinese and English. 全文搜索归档（中英文）。"""
    from mailwarden.audit.service import local_actor
    from mailwarden.search.service import search
    from mailwarden.search.store import IndexStore

    run = Run(config, as_json, lang)
    store = IndexStore(run.settings.search_dir)

    async def go() -> Any:
        async with run.database() as db:
            return await search(
                db, store, query, limit=limit, offset=offset, newest_first=newest, actor=local_actor()
            )

    try:
        results = run_async(go)
    except MailwardenError as exc:
        run.fail(exc)
    run.emit({"ok": True, "query": query, "total": results.total, "took_ms": round(results.took_ms, 1),
              "hits": [_hit_dict(hit) for hit in results.hits]})  # fmt: skip
    if as_json:
        return
    run.say(run.t("search.found", total=results.total, shown=len(results.hits), ms=f"{results.took_ms:.0f}"))
    for number, hit in enumerate(results.hits, start=offset + 1):
        _show(run, number, hit)


def _report_dict(report: IndexReport) -> dict[str, Any]:
    from dataclasses import asdict

    return {**asdict(report), "seconds": round(report.seconds, 3)}


async def index_new(run: Run, db: Database, *, bar: bool = True) -> dict[str, Any] | None:
    """After a sync: index what it archived. Returns the JSON part (None when indexing is turned off).
    ``bar``: a progress bar while indexing (not for ``archive watch``, which prints a line per pass)."""
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.search.indexer import catch_up
    from mailwarden.search.store import IndexStore

    if not run.settings.search.index_on_sync:
        return None
    progress = run.progress()
    task = None

    def advance(done: int, total: int) -> None:
        nonlocal task
        if task is None:  # shown only once there is something to index: a no-change sync prints no bar
            if bar:
                progress.start()
            task = progress.add_task(run.t("search.indexing"), total=total)
        progress.advance(task, done)

    try:
        try:
            blobs, store = blob_store(run.settings.archive_dir), IndexStore(run.settings.search_dir)
            report = await catch_up(db, blobs, store, progress=advance)
        finally:
            if task is not None:
                progress.stop()
    except ConflictError as exc:  # another process is indexing: it will take these messages too
        run.say(exc.render(run.lang), style="yellow")
        return {"ok": True, "busy": True}
    except MailwardenError as exc:
        run.say(run.t("search.index_failed", error=exc.render(run.lang)), style="red")
        return {"ok": False, "error": exc.as_dict(run.lang)}
    if report.indexed:
        run.say(run.t("search.indexed", count=report.indexed, problems=report.problems,
                      seconds=f"{report.seconds:.1f}"))  # fmt: skip
    # what the quick no-change check can say too (cli/quick.py), so both give the same document
    return {"ok": True, "indexed": report.indexed, "problems": report.problems, "cursor": report.cursor}


class IndexFollower:
    """For ``archive watch``: index after the passes that archived something, one catch-up at a time.

    Passes only ``poke`` it; pokes that arrive while a catch-up runs make one more run afterwards (it takes
    everything archived meanwhile), so a burst of mail costs one indexing run per wave, not one per pass.
    """

    def __init__(self, run: Run, db: Database) -> None:
        self.run, self.db = run, db
        self._wanted = asyncio.Event()

    def poke(self) -> None:
        self._wanted.set()

    async def follow(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            result = await index_new(self.run, self.db, bar=False)
            if result is not None:
                self.run.event({"event": "indexed", **result})


@app.command("reindex")
def reindex(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Rebuild the search index from the archive; search keeps working meanwhile. 重建搜索索引。"""
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.search.indexer import rebuild
    from mailwarden.search.store import IndexStore

    run = Run(config, as_json, lang)
    progress = run.progress()

    async def go() -> IndexReport:
        async with run.database() as db:
            with progress:
                task = progress.add_task(run.t("search.indexing"), total=None)
                return await rebuild(
                    db,
                    blob_store(run.settings.archive_dir),
                    IndexStore(run.settings.search_dir),
                    progress=lambda done, total: progress.update(task, advance=done, total=total),
                )

    try:
        report = run_async(go)
    except MailwardenError as exc:
        run.fail(exc)
    run.emit({"ok": True, **_report_dict(report)})
    seconds = f"{report.seconds:.1f}"
    run.say(
        run.t("search.rebuilt", count=report.indexed, problems=report.problems, seconds=seconds),
        style="green",
    )


@app.command("index-status")
def index_status(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """How current the search index is, and what it could not read. 搜索索引状态。"""
    from mailwarden.search.status import index_status as status_of
    from mailwarden.search.store import IndexStore

    run = Run(config, as_json, lang)

    async def go() -> Any:
        async with run.database() as db:
            return await status_of(db, IndexStore(run.settings.search_dir))

    try:
        status = run_async(go)
    except MailwardenError as exc:
        run.fail(exc)
    run.emit({"ok": True, **status})
    run.say(
        run.t("search.status", **{k: status[k] for k in ("documents", "cursor", "newest", "lag", "problems")})
    )
    for problem in status["recent_problems"][-10:]:
        run.say(run.t("search.problem", **problem), style="yellow")


@app.command("show")
def show(
    row_id: Annotated[int, typer.Argument(help="The number archive search shows. 搜索结果中的编号。")],
    raw: Annotated[
        bool, typer.Option("--raw", help="The archived bytes, exactly, to stdout. 原样输出归档字节。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """One archived message: where it is, headers, text, attachments. 查看一封归档邮件。"""
    import sys
    from dataclasses import asdict

    from mailwarden.archive.blobstore import blob_store
    from mailwarden.audit.service import local_actor
    from mailwarden.search.view import raw_message, view_message

    run = Run(config, as_json, lang)
    blobs = blob_store(run.settings.archive_dir)

    async def go() -> Any:
        async with run.database() as db:
            actor = local_actor()
            if raw:
                return await raw_message(db, blobs, row_id, actor=actor)
            return await view_message(db, blobs, row_id, actor=actor)

    try:
        found = run_async(go)
    except MailwardenError as exc:
        run.fail(exc)
    if raw:
        sys.stdout.buffer.write(found[1])
        sys.stdout.buffer.flush()
        return
    run.emit({"ok": True, **asdict(found)})
    if as_json:
        return
    for label, value in (
        ("Folder", f"{found.mailbox}/{found.folder} (UID {found.uid})"),
        ("From", ", ".join(found.from_)),
        ("To", ", ".join(found.to)),
        ("Cc", ", ".join(found.cc)),
        ("Date", str(found.date or "")),
        ("Subject", found.subject),
        ("Message-ID", found.message_id or ""),
    ):
        if value:
            run.say(f"{label}: {value}")
    if found.gone:
        run.say(run.t("archive.shown_gone"), style="yellow")
    run.say("")
    run.say(found.text)
    if found.attachments:
        run.say(run.t("archive.shown_attachments"))
        for item in found.attachments:
            run.say(
                f"  [{item['part']}] {item['filename'] or '-'} ({item['content_type']}, {item['size']} B)"
            )
