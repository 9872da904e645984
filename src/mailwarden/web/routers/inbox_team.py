"""Team work over HTTP: notes with @mentions, tags, canned replies, merge and split, contacts, the
assignment queue and the metrics.

Roles as in :mod:`.inbox_work`: notes, tags and rendering a canned reply need ``answer``; merging,
splitting, contact merges and storing canned replies need ``manage``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mailwarden.core.secrets import load_box
from mailwarden.inbox import canned, contacts, merge, metrics, notes, tags
from mailwarden.inbox.assign_queue import list_queue
from mailwarden.inbox.teams import Teams
from mailwarden.inbox.tokens import KEY_PURPOSE
from mailwarden.web.deps import Caller, Ctx, scope
from mailwarden.web.results import out

router = APIRouter(tags=["inbox"])


class NoteBody(BaseModel):
    #: plain text, never sent to the customer; ``@name`` alerts that teammate in their chat app
    text: str


@router.get("/conversations/{ident}/notes")
async def list_notes(ident: str, principal: Caller, ctx: Ctx, history: bool = False) -> dict[str, Any]:
    """Internal notes, oldest first (``history``: every version of each)."""
    found = await notes.list_notes(ctx.db, ident, history=history, mailbox_ids=scope(principal, "read"))
    return {"items": [out(note) for note in found]}


@router.post("/conversations/{ident}/notes", status_code=201)
async def add_note(ident: str, body: NoteBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    written = await notes.add_note(
        ctx.db, ident, body.text, author=principal.require_agent(), actor=principal.actor,
        mailbox_ids=scope(principal, "answer"),
    )  # fmt: skip
    return out(written)


@router.put("/notes/{note_id}")
async def edit_note(note_id: int, body: NoteBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """A new version of one's own note (the old one is kept)."""
    written = await notes.edit_note(
        ctx.db, note_id, body.text, editor=principal.require_agent(), actor=principal.actor,
        mailbox_ids=scope(principal, "answer"),
    )  # fmt: skip
    return out(written)


class TagsBody(BaseModel):
    add: list[str] = []
    remove: list[str] = []


@router.post("/conversations/{ident}/tags")
async def change_tags(ident: str, body: TagsBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    done = await tags.change_tags(
        ctx.db, ident, add=body.add, remove=body.remove, actor=principal.actor,
        mailbox_ids=scope(principal, "answer"),
    )  # fmt: skip
    return out(done)


@router.get("/tags")
async def tag_counts(principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Tags in use in the caller's mailboxes, with how many conversations carry each."""
    counts = await tags.tag_counts(ctx.db, mailbox_ids=scope(principal, "read"))
    return {"items": [{"tag": tag, "conversations": n} for tag, n in counts]}


class CannedBody(BaseModel):
    name: str
    body: str
    html: str | None = None
    #: a mailbox name; none: for every mailbox (operators only)
    mailbox: str | None = None
    replace: bool = False


@router.get("/canned")
async def list_canned(principal: Caller, ctx: Ctx, mailbox: str | None = None) -> dict[str, Any]:
    found = await canned.list_canned(ctx.db, mailbox=mailbox, mailbox_ids=scope(principal, "read"))
    return {"items": [out(item) for item in found]}


@router.post("/canned", status_code=201)
async def add_canned(body: CannedBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Store a canned reply; variables such as ``{customer_first_name|there}`` are checked now."""
    stored = await canned.add_canned(
        ctx.db, body.name, body.body, html=body.html, mailbox=body.mailbox, replace=body.replace,
        actor=principal.actor, mailbox_ids=scope(principal, "manage"),
    )  # fmt: skip
    return out(stored)


@router.get("/conversations/{ident}/canned/{name}")
async def render_canned(ident: str, name: str, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Canned reply ``name`` filled in for this conversation and the caller's agent."""
    rendered = await canned.render_canned(
        ctx.db,
        name,
        ident,
        agent=principal.require_agent(),
        mailbox_ids=scope(principal, "answer"),
    )
    return out(rendered)


class MergeBody(BaseModel):
    #: the conversation (id or uid) merged INTO the one in the path; it is closed and points here
    from_: str = Field(alias="from")


@router.post("/conversations/{ident}/merge")
async def merge_into(ident: str, body: MergeBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    done = await merge.merge_conversations(
        ctx.db, ident, body.from_, actor=principal.actor, mailbox_ids=scope(principal, "manage")
    )
    return out(done)


class SplitBody(BaseModel):
    #: inbox message ids of this conversation to move into a new one
    message_ids: list[int] = Field(min_length=1)


@router.post("/conversations/{ident}/split")
async def split(ident: str, body: SplitBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    settings = ctx.settings
    box = load_box(settings.secret_key.get_secret_value() if settings.secret_key else None, settings.key_file)
    done = await merge.split_conversation(
        ctx.db, ident, body.message_ids, token_key=box.derive(KEY_PURPOSE)[0], actor=principal.actor,
        mailbox_ids=scope(principal, "manage"),
    )  # fmt: skip
    return out(done)


class ContactMergeBody(BaseModel):
    into: int
    from_: int = Field(alias="from")


@router.get("/contacts/merge-candidates")
async def merge_candidates(principal: Caller, ctx: Ctx) -> dict[str, Any]:
    """Contacts that look like one person (same name at the same company, ...), for an agent to merge."""
    found = await contacts.list_merge_candidates(ctx.db, mailbox_ids=scope(principal, "read"))
    return {"items": [out(item) for item in found]}


@router.post("/contacts/merge")
async def merge_contacts(body: ContactMergeBody, principal: Caller, ctx: Ctx) -> dict[str, Any]:
    done = await contacts.merge_contacts(
        ctx.db,
        body.into,
        body.from_,
        actor=principal.actor,
        mailbox_ids=scope(principal, "manage"),
    )
    return out(done)


@router.get("/queue")
async def queue(principal: Caller, ctx: Ctx, team: str | None = None) -> dict[str, Any]:
    """Conversations waiting for an agent (nobody available), oldest first."""
    found = await list_queue(ctx.db, team=team, mailbox_ids=scope(principal, "read"))
    return {"items": [out(item) for item in found]}


@router.get("/metrics")
async def team_metrics(
    principal: Caller, ctx: Ctx, since: date | None = None, mailbox: str | None = None
) -> dict[str, Any]:
    """First-response time in business hours (median, p90) per team, agent and week; SLA attainment;
    backlog by age — over the caller's mailboxes."""
    found = await metrics.compute_metrics(
        ctx.db, Teams(ctx.settings.inbox), since=since, mailbox=mailbox,
        mailbox_ids=scope(principal, "read"),
    )  # fmt: skip
    return out(found)
