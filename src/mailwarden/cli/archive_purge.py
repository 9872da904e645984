"""``archive purge plan|schedule|cancel|run|list`` (registered on the ``purge`` group of
:mod:`.archive_retention`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailwarden.cli import archive_search
from mailwarden.cli.archive import MailboxArg, chosen_mailboxes
from mailwarden.cli.archive_retention import purge_app
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async


def _actor() -> str:
    from mailwarden.audit.service import local_actor

    return local_actor()


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f}"


@purge_app.command("plan")
def plan(
    mailbox: MailboxArg = None, config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None
) -> None:
    """What retention would purge now, per folder; changes nothing. 预览将被清除的邮件（不做改动）。"""
    from mailwarden.core import clock
    from mailwarden.retention.plan import make_plan

    run = Run(config, as_json, lang)

    async def go() -> dict[str, Any]:
        async with run.database() as db:
            boxes = await chosen_mailboxes(run, db, mailbox)
            async with db.session() as session:
                return (await make_plan(session, boxes, clock.now())).as_dict()

    result = run_async(go)
    run.emit({"ok": True, **result})
    if run.as_json:
        return
    if not result["folders"]:
        run.say(run.t("retention.plan_nothing"))
        return
    from rich.table import Table

    table = Table("mailbox", "folder", "keep", "before", "due", "MB", "held", "scheduled")
    for line in result["folders"]:
        table.add_row(
            line["mailbox"],
            line["folder"],
            line["keep"],
            line["cutoff"][:10],
            str(line["due"]),
            _mb(line["due_bytes"]),
            f"{line['held']} {','.join(line['held_by'])}".strip(),
            str(line["scheduled"]),
        )
    run.out.print(table)
    run.say(
        run.t("retention.plan_total", due=result["due"], mb=_mb(result["due_bytes"]), held=result["held"])
    )


@purge_app.command("schedule")
def schedule_(
    mailbox: MailboxArg = None,
    grace_days: Annotated[
        int | None,
        typer.Option(
            "--grace-days",
            min=0,
            help="Days before it can run (default [archive] purge_grace_days). 宽限天数。",
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Put every message due now in a purge batch; cancellable during the grace period. 排期清除。"""
    from mailwarden.retention.purge import batch_dict, schedule

    run = Run(config, as_json, lang)
    grace = run.settings.archive.purge_grace_days if grace_days is None else grace_days

    async def go() -> dict[str, Any] | None:
        async with run.database() as db:
            boxes = await chosen_mailboxes(run, db, mailbox)
            batch = await schedule(db, _actor(), boxes, grace)
            return batch_dict(batch) if batch else None

    batch = run_async(go)
    run.emit({"ok": True, "batch": batch})
    if batch is None:
        run.say(run.t("retention.plan_nothing"))
        return
    run.say(
        run.t(
            "retention.scheduled",
            batch=batch["batch"],
            count=batch["messages"],
            mb=_mb(batch["bytes"]),
            until=batch["grace_until"][:19],
        ),
        style="green",
    )


@purge_app.command("cancel")
def cancel_(
    batch: Annotated[int, typer.Argument(help="The batch number. 批次编号。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Cancel a scheduled purge batch: its messages are kept. 取消清除批次。"""
    from mailwarden.retention.purge import batch_dict, cancel

    run = Run(config, as_json, lang)

    async def go() -> dict[str, Any]:
        async with run.database() as db:
            return batch_dict(await cancel(db, _actor(), batch))

    done = run_async(go)
    run.emit({"ok": True, "batch": done})
    run.say(run.t("retention.cancelled", batch=batch, count=done["messages"]), style="green")


@purge_app.command("run")
def run_(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Execute the batches past their grace period (holds checked again now). 执行到期的清除批次。"""
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.retention.purge import run_due

    run = Run(config, as_json, lang)
    store = blob_store(run.settings.archive_dir)

    index: dict[str, Any] | None = None

    async def go() -> list[dict[str, Any]]:
        nonlocal index
        async with run.database() as db:
            done = [r.as_dict() for r in await run_due(db, store, _actor())]
            if any(r["purged"] for r in done):  # the search index drops them now, not at the next sync
                index = await archive_search.index_new(run, db)
            return done

    results = run_async(go)
    run.emit({"ok": True, "batches": results, "index": index})
    if not results:
        run.say(run.t("retention.run_nothing"))
    for r in results:
        run.say(
            run.t(
                "retention.executed",
                batch=r["batch"],
                purged=r["purged"],
                kept=r["kept"],
                mb=_mb(r["bytes"]),
                blobs=r["blobs_removed"],
            ),
            style="green",
        )


@purge_app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Purge batches and their state. 列出清除批次。"""
    from mailwarden.retention.purge import batch_dict, list_batches

    run = Run(config, as_json, lang)

    async def go() -> list[dict[str, Any]]:
        async with run.database() as db:
            return [batch_dict(b) for b in await list_batches(db)]

    run.listing(
        "batches",
        run_async(go),
        lambda b: b,
        empty="retention.no_batches",
        columns=("batch", "state", "messages", "MB", "grace until", "by", "purged", "kept"),
        row=lambda b: (
            str(b["batch"]),
            b["state"],
            str(b["messages"]),
            _mb(b["bytes"]),
            b["grace_until"][:19],
            b["created_by"],
            str(b["purged"]),
            str(b["kept"]),
        ),
    )
