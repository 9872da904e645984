"""Retention policies and legal holds: set, list, remove; add, list, release. Each change is an audit event
in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from mailwarden.audit.service import record
from mailwarden.core import clock
from mailwarden.core.errors import ConflictError, InputError, NotFoundError
from mailwarden.db.engine import Database
from mailwarden.mailboxes.models import Mailbox
from mailwarden.retention.models import ALL_FOLDERS, LegalHold, RetentionPolicy
from mailwarden.retention.rules import keep_text

__all__ = [
    "HoldSpec",
    "add_hold",
    "hold_dict",
    "list_holds",
    "list_policies",
    "policy_dict",
    "release_hold",
    "remove_policy",
    "set_policy",
]


def policy_dict(policy: RetentionPolicy, mailbox: str) -> dict[str, Any]:
    return {
        "mailbox": mailbox,
        "folder": policy.folder or None,
        "keep": keep_text(policy.keep_amount, policy.keep_unit),
        "keep_amount": policy.keep_amount,
        "keep_unit": policy.keep_unit,
        "created_by": policy.created_by,
        "updated_at": policy.updated_at.isoformat(),
    }


async def set_policy(
    db: Database, actor: str, mailbox: Mailbox, folder: str | None, amount: int, unit: str
) -> RetentionPolicy:
    scope = folder or ALL_FOLDERS
    async with db.session() as session, session.begin():
        policy = await session.scalar(
            select(RetentionPolicy).where(
                RetentionPolicy.mailbox_id == mailbox.id, RetentionPolicy.folder == scope
            )
        )
        previous = keep_text(policy.keep_amount, policy.keep_unit) if policy else None
        if policy is None:
            policy = RetentionPolicy(mailbox_id=mailbox.id, folder=scope, created_by=actor)
            session.add(policy)
        policy.keep_amount, policy.keep_unit, policy.updated_at = amount, unit, clock.now()
        await record(
            session,
            actor=actor,
            action="archive.retention.set",
            target=f"{mailbox.name}/{folder}" if folder else mailbox.name,
            detail={"keep": keep_text(amount, unit), "previous": previous},
        )
    return policy


async def list_policies(db: Database) -> list[tuple[RetentionPolicy, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(RetentionPolicy, Mailbox.name)
            .join(Mailbox, RetentionPolicy.mailbox_id == Mailbox.id)
            .order_by(Mailbox.name, RetentionPolicy.folder)
        )
        return [(policy, name) for policy, name in rows.all()]


async def remove_policy(db: Database, actor: str, mailbox: Mailbox, folder: str | None) -> None:
    scope = folder or ALL_FOLDERS
    async with db.session() as session, session.begin():
        policy = await session.scalar(
            select(RetentionPolicy).where(
                RetentionPolicy.mailbox_id == mailbox.id, RetentionPolicy.folder == scope
            )
        )
        if policy is None:
            raise NotFoundError("retention.no_policy", mailbox=mailbox.name, folder=folder or "*")
        await record(
            session,
            actor=actor,
            action="archive.retention.remove",
            target=f"{mailbox.name}/{folder}" if folder else mailbox.name,
            detail={"keep": keep_text(policy.keep_amount, policy.keep_unit)},
        )
        await session.delete(policy)


@dataclass(frozen=True)
class HoldSpec:
    name: str
    reason: str
    folder: str | None = None
    since: datetime | None = None
    before: datetime | None = None
    address: str | None = None


def hold_dict(hold: LegalHold, mailbox: str) -> dict[str, Any]:
    return {
        "name": hold.name,
        "reason": hold.reason,
        "mailbox": mailbox,
        "folder": hold.folder,
        "since": hold.since.isoformat() if hold.since else None,
        "before": hold.before.isoformat() if hold.before else None,
        "address": hold.address,
        "created_by": hold.created_by,
        "created_at": hold.created_at.isoformat(),
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
        "released_by": hold.released_by,
        "active": hold.released_at is None,
    }


async def add_hold(db: Database, actor: str, mailbox: Mailbox, spec: HoldSpec) -> LegalHold:
    if not spec.name.strip() or not spec.reason.strip():
        raise InputError("retention.hold_needs_name_and_reason")
    if spec.since and spec.before and spec.since >= spec.before:
        raise InputError("retention.hold_empty_range")
    hold = LegalHold(
        name=spec.name.strip(),
        reason=spec.reason.strip(),
        mailbox_id=mailbox.id,
        folder=spec.folder,
        since=spec.since,
        before=spec.before,
        address=spec.address.strip().lower() if spec.address else None,
        created_by=actor,
        created_at=clock.now(),
    )
    async with db.session() as session, session.begin():
        if await session.scalar(select(LegalHold.id).where(LegalHold.name == hold.name)) is not None:
            raise ConflictError("retention.hold_exists", name=hold.name)
        session.add(hold)
        await record(
            session,
            actor=actor,
            action="archive.hold.add",
            target=hold.name,
            detail={
                k: v
                for k, v in hold_dict(hold, mailbox.name).items()
                if k in ("reason", "mailbox", "folder", "since", "before", "address")
            },
        )
    return hold


async def list_holds(db: Database, *, include_released: bool = False) -> list[tuple[LegalHold, str]]:
    async with db.session() as session:
        query = select(LegalHold, Mailbox.name).join(Mailbox, LegalHold.mailbox_id == Mailbox.id)
        if not include_released:
            query = query.where(LegalHold.released_at.is_(None))
        rows = await session.execute(query.order_by(LegalHold.created_at, LegalHold.id))
        return [(hold, name) for hold, name in rows.all()]


async def release_hold(db: Database, actor: str, name: str, note: str | None = None) -> LegalHold:
    """Release, never delete: the hold's record stays, with who released it and when."""
    now = clock.now()
    async with db.session() as session, session.begin():
        hold = await session.scalar(select(LegalHold).where(LegalHold.name == name))
        if hold is None:
            raise NotFoundError("retention.no_hold", name=name)
        done = await session.execute(
            update(LegalHold)
            .where(LegalHold.id == hold.id, LegalHold.released_at.is_(None))
            .values(released_at=now, released_by=actor)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError("retention.hold_released", name=name)
        await record(session, actor=actor, action="archive.hold.release", target=name, detail={"note": note})
        hold.released_at, hold.released_by = now, actor
    return hold
