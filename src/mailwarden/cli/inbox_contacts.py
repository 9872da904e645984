"""``mailwarden inbox contact merge|candidates``: merging duplicate contacts (see :mod:`.inbox_collab`)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailwarden.cli.common import ConfigOpt, JsonOpt, LangOpt, Run, run_async
from mailwarden.cli.inbox_collab import _actor

contact_app = typer.Typer(help="Contacts: merge duplicates. 联系人：合并重复。", no_args_is_help=True)


@contact_app.command("merge")
def contact_merge(
    into: Annotated[int, typer.Argument(metavar="INTO", help="The contact kept. 保留的联系人。")],
    from_: Annotated[int, typer.Argument(metavar="FROM", help="The duplicate. 重复的联系人。")],
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Merge contact FROM into INTO. 将联系人 FROM 合并到 INTO。"""
    from mailwarden.inbox.contacts import ContactMerge, merge_contacts

    run = Run(config, as_json, lang)

    async def go() -> ContactMerge:
        async with run.database() as db:
            return await merge_contacts(db, into, from_, actor=_actor())

    result = run_async(go)
    run.say(
        run.t(
            "inbox.collab.contact_merged_done",
            into=result.into_id,
            id=result.from_id,
            addresses=result.addresses,
        ),
        style="green",
    )
    run.emit({"ok": True, **result.as_dict()})


@contact_app.command("candidates")
def contact_candidates(config: ConfigOpt = None, as_json: JsonOpt = False, lang: LangOpt = None) -> None:
    """Contacts that look like one person. 疑似同一人的联系人。"""
    from mailwarden.inbox.contacts import CandidateGroup, list_merge_candidates

    run = Run(config, as_json, lang)

    async def go() -> list[CandidateGroup]:
        async with run.database() as db:
            return await list_merge_candidates(db)

    def describe(group: CandidateGroup) -> str:
        return "; ".join(f"#{c.id} {c.name or '-'} <{', '.join(c.addresses)}>" for c in group.contacts)

    run.listing(
        "candidates",
        run_async(go),
        lambda g: g.as_dict(),
        empty="inbox.collab.no_candidates",
        columns=("reason", "contacts"),
        row=lambda g: (run.t(f"inbox.collab.reason.{g.reason}"), describe(g)),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(contact_app, name="contact")


__all__ = ["register"]
