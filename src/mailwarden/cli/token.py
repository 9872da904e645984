"""``mailwarden token add|list|revoke``: bearer tokens for the REST API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from mailwarden.access import principals
from mailwarden.access.models import ApiToken
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async, when
from mailwarden.core import clock

app = typer.Typer(help="API tokens for the REST API. REST API 令牌。", no_args_is_help=True)


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="A name for the token (who or what uses it). 令牌名称。")],
    agent: Annotated[
        str | None, typer.Option("--agent", help="Act as this agent, with their mailbox roles. 代表的成员。")
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="An operator token: every mailbox, no agent. 管理员令牌。")
    ] = False,
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Expires after this many days. 有效天数。")
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Make a token; it is printed once and never stored. 创建令牌（仅显示一次）。"""
    run = Run(config, as_json, lang)
    expires = clock.now() + timedelta(days=days) if days else None

    async def go() -> tuple[ApiToken, str]:
        async with run.database() as db:
            return await principals.create_token(db, name, agent=agent, admin=admin, expires_at=expires)

    row, token = run_async(go)
    run.say(run.t("access.token_made", name=row.name), style="green")
    run.say(token)
    run.emit({"ok": True, "name": row.name, "token": token, "agent": agent, "admin": row.admin})


@app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the tokens (never the tokens themselves). 列出令牌。"""
    run = Run(config, as_json, lang)

    async def go() -> list[tuple[ApiToken, str | None]]:
        async with run.database() as db:
            return await principals.list_tokens(db)

    def describe(item: tuple[ApiToken, str | None]) -> dict[str, Any]:
        row, agent_name = item
        return {
            "name": row.name,
            "prefix": f"mw_{row.prefix}_",
            "agent": agent_name,
            "admin": row.admin,
            "created_at": row.created_at,
            "expires_at": row.expires_at,
            "revoked_at": row.revoked_at,
            "last_used_at": row.last_used_at,
        }

    run.listing(
        "tokens",
        run_async(go),
        describe,
        empty="access.tokens_none",
        columns=("name", "prefix", "agent", "admin", "last used", "revoked"),
        row=lambda item: (
            item[0].name,
            f"mw_{item[0].prefix}_",
            item[1] or "",
            "yes" if item[0].admin else "",
            when(item[0].last_used_at),
            when(item[0].revoked_at),
        ),
    )


@app.command()
def revoke(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Revoke a token at once. 吊销令牌。"""
    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await principals.revoke_token(db, name)

    run_async(go)
    run.say(run.t("access.token_revoked", name=name))
    run.emit({"ok": True, "revoked": name})
