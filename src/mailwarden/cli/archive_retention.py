"""``archive retention|hold|purge``: retention policies, legal holds and explicit purges (decision 0010).

Registered on :data:`mailwarden.cli.archive.app`. Every change is recorded in the audit chain with the
command line's actor (``cli:<user>@<host>``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailwarden.cli.archive import app
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async

retention_app = typer.Typer(
    help="Retention policies per mailbox and folder. 按邮箱和文件夹设置保留期限。", no_args_is_help=True
)
hold_app = typer.Typer(
    help="Legal holds: never purged while active. 法律保留：生效期间永不清除。", no_args_is_help=True
)
purge_app = typer.Typer(
    help="Purge what retention allows: plan, schedule, cancel, run. 按保留策略清除：计划、排期、取消、执行。",
    no_args_is_help=True,
)
app.add_typer(retention_app, name="retention")
app.add_typer(hold_app, name="hold")
app.add_typer(purge_app, name="purge")

FolderOnly = Annotated[
    str | None, typer.Option("--folder", help="Only this folder. 仅此文件夹。", show_default=False)
]


def _actor() -> str:
    from mailwarden.audit.service import local_actor

    return local_actor()


# -- retention ------------------------------------------------------------------------------------------
@retention_app.command("set")
def retention_set(
    mailbox: Annotated[str, typer.Argument(help="The mailbox. 邮箱名称。")],
    keep: Annotated[str, typer.Option("--keep", help="How long: 90d, 18m, 7y. 保留多久：90d、18m、7y。")],
    folder: FolderOnly = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Keep a mailbox's (or folder's) messages for a time after receipt. 设置保留期限。"""
    from mailwarden.core.errors import InputError
    from mailwarden.mailboxes import service as mailboxes
    from mailwarden.retention.policies import policy_dict, set_policy
    from mailwarden.retention.rules import parse_keep

    run = Run(config, as_json, lang)
    try:
        amount, unit = parse_keep(keep)
    except InputError as exc:
        run.fail(exc)

    async def go() -> dict[str, Any]:
        async with run.database() as db:
            box = await mailboxes.get_mailbox(db, mailbox)
            return policy_dict(await set_policy(db, _actor(), box, folder, amount, unit), box.name)

    policy = run_async(go)
    run.emit({"ok": True, "policy": policy})
    run.say(run.t("retention.policy_set", scope=_scope(mailbox, folder), keep=policy["keep"]), style="green")


def _scope(mailbox: str, folder: str | None) -> str:
    return f"{mailbox}/{folder}" if folder else mailbox


@retention_app.command("list")
def retention_list(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """The retention policies. 列出保留策略。"""
    from mailwarden.retention.policies import list_policies, policy_dict

    run = Run(config, as_json, lang)

    async def go() -> list[dict[str, Any]]:
        async with run.database() as db:
            return [policy_dict(p, name) for p, name in await list_policies(db)]

    run.listing(
        "policies",
        run_async(go),
        lambda p: p,
        empty="retention.no_policies",
        columns=("mailbox", "folder", "keep", "by", "updated"),
        row=lambda p: (p["mailbox"], p["folder"] or "*", p["keep"], p["created_by"], p["updated_at"][:19]),
    )


@retention_app.command("remove")
def retention_remove(
    mailbox: Annotated[str, typer.Argument(help="The mailbox. 邮箱名称。")],
    folder: FolderOnly = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove a policy: its messages are kept forever again. 删除保留策略（恢复永久保留）。"""
    from mailwarden.mailboxes import service as mailboxes
    from mailwarden.retention.policies import remove_policy

    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await remove_policy(db, _actor(), await mailboxes.get_mailbox(db, mailbox), folder)

    run_async(go)
    run.emit({"ok": True})
    run.say(run.t("retention.policy_removed", scope=_scope(mailbox, folder)), style="green")


# -- holds ----------------------------------------------------------------------------------------------
@hold_app.command("add")
def hold_add(
    name: Annotated[str, typer.Argument(help="A name for the hold. 保留名称。")],
    mailbox: Annotated[str, typer.Option("--mailbox", help="The mailbox. 邮箱名称。")],
    reason: Annotated[str, typer.Option("--reason", help="Why (a case, a request). 原因。")],
    folder: FolderOnly = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Received on or after DATE. 此日期及之后。", show_default=False),
    ] = None,
    before: Annotated[
        str | None, typer.Option("--before", help="Received before DATE. 此日期之前。", show_default=False)
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="Sent by or to this address. 发件人或收件人地址。", show_default=False
        ),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Put messages on legal hold: never purged until released. 添加法律保留。"""
    from mailwarden.core.errors import InputError
    from mailwarden.mailboxes import service as mailboxes
    from mailwarden.recovery.selection import parse_day
    from mailwarden.retention.plan import scheduled_held
    from mailwarden.retention.policies import HoldSpec, add_hold, hold_dict

    run = Run(config, as_json, lang)
    try:
        spec = HoldSpec(
            name,
            reason,
            folder=folder,
            since=parse_day(since) if since else None,
            before=parse_day(before) if before else None,
            address=address,
        )
    except InputError as exc:
        run.fail(exc)

    async def go() -> tuple[dict[str, Any], int]:
        async with run.database() as db:
            box = await mailboxes.get_mailbox(db, mailbox)
            added = await add_hold(db, _actor(), box, spec)
            async with db.session() as session:
                return hold_dict(added, box.name), await scheduled_held(session, added)

    hold, scheduled = run_async(go)
    run.emit({"ok": True, "hold": hold, "scheduled_held": scheduled})
    run.say(run.t("retention.hold_added", name=hold["name"], mailbox=hold["mailbox"]), style="green")
    if scheduled:
        run.say(run.t("retention.hold_covers_scheduled", count=scheduled), style="yellow")


@hold_app.command("list")
def hold_list(
    include_released: Annotated[
        bool, typer.Option("--all", help="Also released holds. 包括已解除的。")
    ] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """The legal holds. 列出法律保留。"""
    from mailwarden.retention.policies import hold_dict, list_holds

    run = Run(config, as_json, lang)

    async def go() -> list[dict[str, Any]]:
        async with run.database() as db:
            return [hold_dict(h, name) for h, name in await list_holds(db, include_released=include_released)]

    def scope(h: dict[str, Any]) -> str:
        parts = [h["folder"] or "*"]
        if h["since"] or h["before"]:
            parts.append(f"{(h['since'] or '')[:10]}..{(h['before'] or '')[:10]}")
        if h["address"]:
            parts.append(h["address"])
        return " ".join(parts)

    run.listing(
        "holds",
        run_async(go),
        lambda h: h,
        empty="retention.no_holds",
        columns=("name", "mailbox", "scope", "reason", "by", "added", "released"),
        row=lambda h: (
            h["name"],
            h["mailbox"],
            scope(h),
            h["reason"],
            h["created_by"],
            h["created_at"][:19],
            (h["released_at"] or "")[:19],
        ),
    )


@hold_app.command("release")
def hold_release(
    name: Annotated[str, typer.Argument(help="The hold's name. 保留名称。")],
    note: Annotated[
        str | None, typer.Option("--note", help="Why it is released. 解除原因。", show_default=False)
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Release a hold (it is kept on record). 解除法律保留（记录保留）。"""
    from mailwarden.mailboxes import service as mailboxes
    from mailwarden.retention.policies import hold_dict, release_hold

    run = Run(config, as_json, lang)

    async def go() -> dict[str, Any]:
        async with run.database() as db:
            hold = await release_hold(db, _actor(), name, note)
            names = {b.id: b.name for b in await mailboxes.list_mailboxes(db)}
            return hold_dict(hold, names.get(hold.mailbox_id, "?"))

    hold = run_async(go)
    run.emit({"ok": True, "hold": hold})
    run.say(run.t("retention.hold_released_ok", name=name), style="green")


# the purge commands are in archive_purge.py
from mailwarden.cli import archive_purge  # noqa: E402, F401
