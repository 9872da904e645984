"""``mailwarden agent add|list|remove``: the people alerts @mention."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailwarden.access import service
from mailwarden.access.models import Agent
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async

app = typer.Typer(help="The team's agents (salespeople). 团队成员（业务员）。", no_args_is_help=True)


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The agent's name. 姓名。")],
    email: Annotated[str, typer.Option("--email", help="E-mail address. 邮箱地址。")],
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA zone, e.g. Asia/Shanghai. 时区。")
    ] = None,
    im: Annotated[
        list[str] | None,
        typer.Option(
            "--im",
            help="KIND:ID (repeatable): dingtalk:13800138000, feishu:ou_x, wecom:userid, slack:U1, teams:upn",
        ),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add an agent with their chat identities. 添加成员及其聊天身份。"""
    run = Run(config, as_json, lang)

    async def go() -> Agent:
        async with run.database() as db:
            return await service.add_agent(db, name, email, timezone=timezone, ims=im or ())

    agent = run_async(go)
    run.say(run.t("agent.added", name=agent.name, email=agent.email), style="green")
    run.emit({"ok": True, "agent": _describe(agent)})


@app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the agents. 列出成员。"""
    run = Run(config, as_json, lang)

    async def go() -> list[Agent]:
        async with run.database() as db:
            return await service.list_agents(db)

    run.listing(
        "agents",
        run_async(go),
        _describe,
        empty="agent.none",
        columns=("name", "email", "timezone", "identities"),
        row=lambda a: (
            a.name,
            a.email,
            a.timezone or "",
            " ".join(f"{i.kind}:{i.ident}" for i in a.identities),
        ),
    )


@app.command()
def remove(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove an agent. 删除成员。"""
    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await service.remove_agent(db, name)

    run_async(go)
    run.say(run.t("agent.removed", name=name))
    run.emit({"ok": True, "removed": name})


def _describe(a: Agent) -> dict[str, Any]:
    return {
        "name": a.name,
        "email": a.email,
        "timezone": a.timezone,
        "identities": {i.kind: i.ident for i in a.identities},
    }


@app.command()
def grant(
    name: Annotated[str, typer.Argument(help="The agent. 成员。")],
    mailbox: Annotated[str, typer.Argument(help="The mailbox. 邮箱。")],
    role: Annotated[
        str, typer.Option("--role", help="read | answer | manage. 角色：只读、答复、管理。")
    ] = "answer",
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Give an agent a role in a mailbox. 授予成员在某邮箱中的角色。"""
    from mailwarden.access import principals

    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await principals.grant(db, name, mailbox, role)

    run_async(go)
    run.say(run.t("access.granted", agent=name, mailbox=mailbox, role=role), style="green")
    run.emit({"ok": True, "agent": name, "mailbox": mailbox, "role": role})


@app.command("revoke-grant")
def revoke_grant(
    name: Annotated[str, typer.Argument()],
    mailbox: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Take an agent's role in a mailbox away. 撤销成员在某邮箱中的角色。"""
    from mailwarden.access import principals

    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await principals.revoke_grant(db, name, mailbox)

    run_async(go)
    run.say(run.t("access.grant_revoked", agent=name, mailbox=mailbox))
    run.emit({"ok": True, "agent": name, "mailbox": mailbox, "role": None})


@app.command()
def grants(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List who holds which role in which mailbox. 列出邮箱授权。"""
    from mailwarden.access import principals

    run = Run(config, as_json, lang)

    async def go() -> list[tuple[str, str, str]]:
        async with run.database() as db:
            return await principals.list_grants(db)

    run.listing(
        "grants",
        run_async(go),
        lambda g: {"agent": g[0], "mailbox": g[1], "role": g[2]},
        empty="access.grants_none",
        columns=("agent", "mailbox", "role"),
        row=lambda g: g,
    )
