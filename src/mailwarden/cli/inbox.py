"""``mailwarden inbox ingest|list|show``: the team inbox from the command line (contract, for scripts)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async, when
from mailwarden.inbox import service
from mailwarden.inbox.ingest import IngestReport
from mailwarden.inbox.present import summary_dict, view_dict
from mailwarden.inbox.tokens import KEY_PURPOSE

app = typer.Typer(help="The team inbox: conversations. 团队收件箱：会话。", no_args_is_help=True)


@app.command()
def ingest(
    from_start: Annotated[
        bool,
        typer.Option(
            "--from-start",
            help="Read the whole archive again (changes nothing placed). 从头重读归档（已归入的不变）。",
        ),
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Turn newly archived messages into conversations (one pass). 将新归档的邮件归入会话（执行一次）。"""
    from mailwarden.archive.blobstore import blob_store
    from mailwarden.inbox.assign import Assigner
    from mailwarden.inbox.ingest import ingest as run_ingest
    from mailwarden.inbox.ingest import reset_cursor, team_for
    from mailwarden.inbox.teams import Teams
    from mailwarden.workers.service import placed_hook

    run = Run(config, as_json, lang)
    settings = run.settings.inbox

    async def go() -> IngestReport:
        keys = run.secret_box().derive(KEY_PURPOSE)
        async with run.database() as db:
            if from_start:
                await reset_cursor(db)
            team = await team_for(db, keys, settings)
            progress = run.progress()
            task = progress.add_task(run.t("inbox.ingesting"), total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, advance=done, total=total)

            on_placed = placed_hook(Assigner(Teams(settings)))

            with progress:
                return await run_ingest(
                    db, blob_store(run.settings.archive_dir), team, batch=settings.batch,
                    progress=advance, on_placed=on_placed,
                )  # fmt: skip

    report = run_async(go)
    counts = report.outcomes
    run.say(
        run.t(
            "inbox.ingested",
            read=report.read,
            opened=counts["opened"],
            attached=counts["attached"] + counts["copy"] + counts["sent_seen"],
            noise=counts["noise"],
            seconds=f"{report.seconds:.1f}",
        ),
        style="green",
    )
    run.emit({"ok": True, **report.as_dict()})


@app.command("list")
def list_(
    mailbox: Annotated[str | None, typer.Option("--mailbox", help="Only this mailbox. 仅此邮箱。")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open, pending, snoozed or closed. 状态。")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many. 最多条数。")] = 50,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many. 跳过条数。")] = 0,
    tag: Annotated[str | None, typer.Option("--tag", help="Only those with this tag. 仅含此标签。")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List conversations, the most recent first. 列出会话（最近的在前）。"""
    run = Run(config, as_json, lang)

    async def go() -> service.Page:
        async with run.database() as db:
            return await service.list_conversations(
                db, mailbox=mailbox, status=status, limit=limit, offset=offset, tag=tag
            )

    page = run_async(go)
    if as_json:
        run.emit(
            {
                "ok": True,
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "conversations": [summary_dict(c) for c in page.items],
            }
        )
        return
    run.listing(
        "conversations",
        page.items,
        summary_dict,
        empty="inbox.none",
        columns=(
            "id",
            "mailbox",
            "status",
            "assignee",
            "contact",
            "company",
            "messages",
            "last",
            "due",
            "subject",
        ),
        row=lambda c: (
            str(c.id),
            c.mailbox,
            run.t(f"inbox.status.{c.status}"),
            c.assignee or "",
            c.contact or "",
            c.company or "",
            str(c.messages),
            when(c.last_message_at),
            when(c.sla_due_at) + (" !" if c.sla_outcome == "breached" else ""),
            c.subject,
        ),
    )
    if page.total > page.offset + len(page.items):
        run.say(run.t("inbox.more", shown=len(page.items), total=page.total, offset=page.offset))


@app.command()
def show(
    ident: Annotated[str, typer.Argument(metavar="ID", help="Conversation id (or uid). 会话编号。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Show one conversation: messages, contact, company, assignee, SLA, timeline (audited as a view).
    显示一个会话：邮件、联系人、公司、负责人、SLA、时间线。"""
    from mailwarden.audit.service import local_actor
    from mailwarden.inbox import events
    from mailwarden.inbox.feed import view_timeline
    from mailwarden.inbox.status import conversation_sla
    from mailwarden.inbox.teams import Teams

    run = Run(config, as_json, lang)

    async def go() -> tuple[service.ConversationView, Any, list[dict[str, Any]]]:
        async with run.database() as db:
            view = await service.show_conversation(db, ident)
            sla = await conversation_sla(db, Teams(run.settings.inbox), view.summary.id)
            timeline = await view_timeline(db, view.summary.id, view.summary.uid)
            await events.note_view(db, view.summary.id, actor=local_actor())
            return view, sla, timeline

    view, sla, timeline = run_async(go)
    run.emit(
        {
            "ok": True,
            "conversation": view_dict(view),
            "sla": None if sla is None else sla.as_dict(),
            "timeline": timeline,
        }
    )
    if as_json:
        return
    head = view.summary
    run.say(f"#{head.id} {head.subject}", style="bold")
    if view.merged_into_id is not None:
        run.say(run.t("inbox.collab.show_merged", into=view.merged_into_id), style="yellow")
    if view.tags:
        run.say(run.t("inbox.collab.show_tags", tags=", ".join(view.tags)))
    run.say(
        run.t(
            "inbox.show_head",
            mailbox=head.mailbox,
            status=run.t(f"inbox.status.{head.status}"),
            assignee=head.assignee or run.t("inbox.unassigned"),
        )
    )
    if view.contact is not None:
        addresses = ", ".join(view.contact.addresses)
        run.say(run.t("inbox.show_contact", name=view.contact.name or "-", addresses=addresses))
    if view.company is not None:
        run.say(
            run.t(
                "inbox.show_company", domain=view.company.display_domain, country=view.company.country or "-"
            )
        )
    for message in view.messages:
        arrow = "→" if message.direction == "out" else "←"
        noise = "" if message.noise == "person" else f" [{run.t(f'inbox.noise.{message.noise}')}]"
        sender = message.from_name or message.from_addr or ""
        run.say(f"{arrow} {when(message.at)}  {sender}{noise}  {message.subject}")
        if message.bounce is not None:
            failed = ", ".join(r["address"] for r in message.bounce.recipients)
            run.say("  " + run.t("inbox.show_bounce", recipients=failed or "-"), style="red")
    current = sla.current if sla is not None else None
    if current is not None:
        run.say(
            run.t(
                "inbox.show_sla",
                clock=run.t(f"inbox.sla_clock.{current.clock.value}"),
                outcome=run.t(f"inbox.sla_outcome.{current.outcome.value}"),
                due=when(current.due_at) or "-",
            ),
            style="red" if current.outcome.value == "breached" else None,
        )
    for event in timeline:
        run.say(f"  · {when(event['at'])}  {event['kind']}  {event['actor']}", style="dim")


#: modules that add their commands to ``inbox`` (each has ``register(app)``): one per part of the inbox, so
#: that the group stays one command while its code stays in modules small enough to read
_PARTS: tuple[str, ...] = (
    "inbox_assign",
    "inbox_assign_rules",
    "inbox_reply",
    "inbox_collab",
    "inbox_contacts",
    "inbox_slaw",
)


def _register_parts() -> None:
    import importlib

    for part in _PARTS:
        importlib.import_module(f"mailwarden.cli.{part}").register(app)


_register_parts()
