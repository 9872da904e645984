"""``mailwarden inbox rule add|list|move|remove`` and ``inbox owner set|clear|list``: the rules tried in
order, and the sticky owners of companies and contacts (see docs/inbox-assign.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailwarden.audit.service import local_actor
from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.inbox import assign_owner, assign_rules

_Name = Annotated[str, typer.Argument(metavar="AGENT", help="The agent's name. 成员姓名。")]

# --- rules ---------------------------------------------------------------------------------------------
rule_app = typer.Typer(
    help="Assignment rules, tried in order. 分配规则（按顺序匹配）。", no_args_is_help=True
)


@rule_app.command("add")
def rule_add(
    name: Annotated[str, typer.Argument(help="The rule's name. 规则名。")],
    agents: Annotated[
        list[str], typer.Option("--agent", help="Agent (repeat: they take turns). 成员（可重复，轮流）。")
    ],
    mailboxes: Annotated[list[str] | None, typer.Option("--mailbox", help="Mailbox name. 邮箱。")] = None,
    countries: Annotated[
        list[str] | None, typer.Option("--country", help="ISO country code (DE). 国家代码。")
    ] = None,
    languages: Annotated[
        list[str] | None, typer.Option("--language", help="ISO language code (de). 语言代码。")
    ] = None,
    keywords: Annotated[
        list[str] | None, typer.Option("--keyword", help="In the subject or body. 主题或正文关键词。")
    ] = None,
    position: Annotated[int | None, typer.Option("--position", help="1 = first. 顺序（1 为最先）。")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Add a rule. 添加规则。"""
    run = Run(config, as_json, lang)

    async def go() -> assign_rules.Rule:
        async with run.database() as db:
            return await assign_rules.add_rule(
                db, name, agents, mailboxes=mailboxes or (), countries=countries or (),
                languages=languages or (), keywords=keywords or (), position=position, actor=local_actor(),
            )  # fmt: skip

    rule = run_async(go)
    run.say(run.t("inbox.assign.rule_added", name=rule.name, position=rule.position), style="green")
    run.emit({"ok": True, "rule": rule.as_dict()})


def _rule_row(rule: assign_rules.Rule) -> tuple[str, ...]:
    conditions = [
        *(f"mailbox={m}" for m in rule.mailboxes),
        *(f"country={c}" for c in rule.countries),
        *(f"language={lang}" for lang in rule.languages),
        *(f"keyword={k}" for k in rule.keywords),
    ]
    return str(rule.position), rule.name, " ".join(conditions) or "*", ", ".join(rule.agents)


@rule_app.command("list")
def rule_list(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """List the rules in order. 按顺序列出规则。"""
    run = Run(config, as_json, lang)

    async def go() -> list[assign_rules.Rule]:
        async with run.database() as db:
            return await assign_rules.list_rules(db)

    run.listing(
        "rules",
        run_async(go),
        lambda r: r.as_dict(),
        empty="inbox.assign.rules_none",
        columns=("#", "name", "when", "agents"),
        row=_rule_row,
    )


@rule_app.command("remove")
def rule_remove(
    name: Annotated[str, typer.Argument()],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove a rule. 删除规则。"""
    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await assign_rules.remove_rule(db, name, actor=local_actor())

    run_async(go)
    run.say(run.t("inbox.assign.rule_removed", name=name), style="green")
    run.emit({"ok": True, "removed": name})


@rule_app.command("move")
def rule_move(
    name: Annotated[str, typer.Argument()],
    position: Annotated[int, typer.Argument(metavar="POSITION", help="1 = first. 1 为最先。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Move a rule to another place in the order. 调整规则顺序。"""
    run = Run(config, as_json, lang)

    async def go() -> list[assign_rules.Rule]:
        async with run.database() as db:
            return await assign_rules.move_rule(db, name, position, actor=local_actor())

    rules = run_async(go)
    moved = next(r for r in rules if r.name == name)
    run.say(run.t("inbox.assign.rule_moved", name=name, position=moved.position), style="green")
    run.emit({"ok": True, "rules": [r.as_dict() for r in rules]})


# --- sticky owners -------------------------------------------------------------------------------------
owner_app = typer.Typer(
    help="Sticky owners of companies and contacts. 公司与联系人的专属负责人。", no_args_is_help=True
)
_Company = Annotated[str | None, typer.Option("--company", help="The company's domain. 公司域名。")]
_Contact = Annotated[str | None, typer.Option("--contact", help="The contact's address. 联系人邮箱。")]


@owner_app.command("set")
def owner_set(
    agent: _Name,
    company: _Company = None,
    contact: _Contact = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Pin an agent as the owner (answering does not move it). 指定负责人（回复不会改变）。"""
    run = Run(config, as_json, lang)

    async def go() -> assign_owner.Owner | None:
        async with run.database() as db:
            return await assign_owner.set_owner(
                db, agent, company=company, contact=contact, actor=local_actor()
            )

    owner = run_async(go)
    assert owner is not None
    run.say(run.t("inbox.assign.owner_set", party=owner.party, agent=owner.agent), style="green")
    run.emit({"ok": True, "owner": owner.as_dict()})


@owner_app.command("clear")
def owner_clear(
    company: _Company = None,
    contact: _Contact = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Remove the owner of a company or a contact. 移除负责人。"""
    run = Run(config, as_json, lang)

    async def go() -> None:
        async with run.database() as db:
            await assign_owner.set_owner(db, None, company=company, contact=contact, actor=local_actor())

    run_async(go)
    run.say(run.t("inbox.assign.owner_cleared", party=company or contact or ""), style="green")
    run.emit({"ok": True, "cleared": company or contact})


@owner_app.command("list")
def owner_list(
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's. 仅此成员。")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List sticky owners. 列出负责人。"""
    run = Run(config, as_json, lang)

    async def go() -> list[assign_owner.Owner]:
        async with run.database() as db:
            return await assign_owner.list_owners(db, agent)

    run.listing(
        "owners",
        run_async(go),
        lambda o: o.as_dict(),
        empty="inbox.assign.owners_none",
        columns=("kind", "party", "agent", "source"),
        row=lambda o: (
            run.t(f"inbox.assign.kind.{o.kind}"),
            o.party,
            o.agent,
            run.t(f"inbox.assign.source.{o.source}"),
        ),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(rule_app, name="rule")
    app.add_typer(owner_app, name="owner")
