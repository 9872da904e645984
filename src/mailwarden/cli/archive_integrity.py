"""``archive attest`` (is the archive what was archived, is its audit trail whole?) and ``archive audit``
(the trail itself); decision 0010."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mailwarden.cli.archive import app, chosen_mailboxes
from mailwarden.cli.common import EXIT_PROBLEM, ConfigOpt, JsonOpt, LangOpt, Run, run_async

if TYPE_CHECKING:
    from mailwarden.archive.attest import AttestReport


@app.command("attest")
def attest_(
    mailbox: Annotated[
        str | None,
        typer.Option(
            "--mailbox", help="Check only this mailbox's blobs. 仅校验此邮箱的归档文件。", show_default=False
        ),
    ] = None,
    blobs: Annotated[
        bool, typer.Option("--blobs/--no-blobs", help="Re-hash every live blob. 重新校验每个归档文件。")
    ] = True,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="An audit head hash written down earlier; it must be in the chain. 事先记下的审计链头哈希。",
            show_default=False,
        ),
    ] = None,
    expect_seal: Annotated[
        str | None,
        typer.Option(
            "--expect-seal",
            help="A seal head written down earlier; it must be among the seals. 事先记下的封印头哈希。",
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Verify the audit chain, the archive's seals and every blob; name the first break. 校验防篡改链。"""
    from mailwarden.archive.attest import attest
    from mailwarden.archive.blobstore import blob_store

    run = Run(config, as_json, lang)
    store = blob_store(run.settings.archive_dir)

    async def go() -> AttestReport:
        async with run.database() as db:
            ids = [b.id for b in await chosen_mailboxes(run, db, mailbox)] if mailbox else None
            progress = run.progress()
            task: list[Any] = []

            def on_blobs(total: int) -> None:
                task.append(progress.add_task(run.t("retention.attest_blobs"), total=total))

            with progress if blobs else contextlib.nullcontext():
                return await attest(
                    db,
                    store,
                    mailbox_ids=ids,
                    blobs=blobs,
                    expect_head=expect_head,
                    expect_seal=expect_seal,
                    on_blobs=on_blobs,
                    on_progress=lambda n: progress.advance(task[0], n),
                )

    report = run_async(go)
    run.emit(report.as_dict())
    _print(run, report)
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEM)


def _print(run: Run, report: AttestReport) -> None:
    chain, seals, blobs = report.audit, report.seals, report.blobs
    if chain.broken is None:
        run.say(
            run.t("retention.audit_ok", events=chain.events, seq=chain.head_seq, hash=chain.head_hash),
            style="green",
        )
        if chain.anchor_seq is not None:
            run.say(run.t("retention.anchor_found", seq=chain.anchor_seq), style="green")
    else:
        b = chain.broken
        run.say(run.t(f"retention.audit_{b.kind}", seq=b.seq or "-", detail=b.detail), style="red")
    for name, other in report.chains.items():
        if other.broken is None:
            run.say(
                run.t("retention.chain_ok", chain=name, events=other.events, seq=other.head_seq),
                style="green",
            )
        else:
            b = other.broken
            detail = run.t(f"retention.audit_{b.kind}", seq=b.seq or "-", detail=b.detail)
            run.say(run.t("retention.chain_broken", chain=name, detail=detail), style="red")
    if seals.broken is None:
        run.say(
            run.t(
                "retention.seals_ok",
                seals=seals.seals,
                rows=seals.rows,
                unsealed=seals.unsealed,
                hash=seals.head_hash,
            ),
            style="green",
        )
        if seals.anchor_seal is not None:
            run.say(run.t("retention.seal_anchor_found", seal=seals.anchor_seal), style="green")
    else:
        s = seals.broken
        run.say(run.t(f"retention.seal_{s.kind}", seal=s.seal, detail=s.detail), style="red")
    if blobs is None:
        return
    if blobs.ok:
        run.say(run.t("retention.blobs_ok", checked=blobs.checked), style="green")
        return
    run.say(
        run.t("retention.blobs_broken", checked=blobs.checked, missing=blobs.missing, damaged=blobs.damaged),
        style="red",
    )
    for item in blobs.broken:
        run.say(
            run.t(
                f"retention.blob_{item['kind']}",
                sha256=item["sha256"],
                folder=item.get("folder", "-"),
                uid=item.get("uid", "-"),
                message_id=item.get("message_id") or "-",
            ),
            style="red",
        )


@app.command("audit")
def audit_(
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="Only this action or its sub-actions (archive.purge). 仅此操作。",
            show_default=False,
        ),
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Only this actor. 仅此操作者。", show_default=False)
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="On or after DATE. 此日期及之后。", show_default=False)
    ] = None,
    before: Annotated[
        str | None, typer.Option("--before", help="Before DATE. 此日期之前。", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N events. 最多 N 条。")] = 50,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """The audit trail, newest first: who exported, restored, held or purged what. 审计记录（最新在前）。"""
    from mailwarden.audit.query import event_dict, list_events
    from mailwarden.core.errors import InputError
    from mailwarden.recovery.selection import parse_day

    run = Run(config, as_json, lang)
    try:
        start = parse_day(since) if since else None
        end = parse_day(before) if before else None
    except InputError as exc:
        run.fail(exc)

    async def go() -> list[dict[str, Any]]:
        async with run.database() as db, db.session() as session:
            found = await list_events(
                session, action=action, actor=actor, since=start, before=end, limit=limit
            )
            return [event_dict(e) for e in found]

    def detail(event: dict[str, Any]) -> str:
        return json.dumps(event["detail"], ensure_ascii=False, sort_keys=True)[:120]

    run.listing(
        "events",
        run_async(go),
        lambda e: e,
        empty="retention.no_events",
        columns=("seq", "at (UTC)", "actor", "action", "target", "detail"),
        row=lambda e: (str(e["seq"]), e["at"][:19], e["actor"], e["action"], e["target"], detail(e)),
    )
