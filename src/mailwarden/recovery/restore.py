"""``archive restore``: APPEND archived messages into another account, the disaster-recovery target.

What it guarantees (docs/operations.md, decision 0009):

* **Byte-identical, with flags and dates.** Each blob is re-hashed before it goes out; the APPEND carries the
  archived flags (minus ``\\Recent``, which belongs to a session) and the INTERNALDATE.
* **Idempotent.** Before appending to a folder, the restore finds out what the folder already holds, by the
  sha256 of each message's raw bytes: messages of a size that some message to restore has are fetched
  (``BODY.PEEK[]``, never marking anything read) and hashed; messages the ledger says a restore appended
  (same UIDVALIDITY, UID still there) are not fetched again. Equal hashes mean equal bytes, so equal
  Message-IDs too; a message without a Message-ID, or two different messages sharing one, are told apart
  correctly. The comparison counts copies: two identical archived copies in one folder give two on the target.
  (imap-backup #212 and #116 duplicated messages on restore; this is why.)
* **Resumable.** Each APPEND is recorded in the ledger once the server confirmed it, in batches (and at once
  when the run stops on an error). A kill -9 can lose the last batch: those messages are on the target but
  not in the ledger, and the hash check finds them. Running the same command again continues where it
  stopped, with no duplicates and nothing missing.
* **Read-only towards the archive, append-only towards the target.** Nothing here writes an archive table or
  blob, and the only commands that change the target are CREATE and APPEND.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from mailwarden.archive.blobstore import BlobStore
from mailwarden.core.errors import InputError, StorageError
from mailwarden.db.engine import Database
from mailwarden.imap import Folder, IMAPClient, IMAPError, UidSet
from mailwarden.mailboxes.models import Mailbox
from mailwarden.recovery.models import RestoreEntry
from mailwarden.recovery.selection import Item

__all__ = ["RestoreReport", "parse_folder_map", "restore", "target_name"]

#: how many messages one FETCH of sizes or bodies asks for
_CHUNK = 200
#: RFC 5530 / RFC 7889 codes that refuse one message, not the session
_MESSAGE_REFUSALS = frozenset({"TOOBIG", "PARSE"})
#: ledger rows committed together (measured, 1,000 small messages into the lab Dovecot: 4.2 s for the
#: whole command with a commit per message, 2.6-3.2 s with batches)
_LEDGER_BATCH = 100


@dataclass
class RestoreReport:
    target: str
    folders: int = 0
    created: int = 0
    appended: int = 0
    present: int = 0
    per_folder: dict[str, dict[str, int]] = field(default_factory=dict)
    #: messages the target could not take (each with the reason); the rest of the restore went on
    failed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "folders": self.folders,
            "created": self.created,
            "appended": self.appended,
            "present": self.present,
            "per_folder": self.per_folder,
            "failed": self.failed,
        }


def parse_folder_map(pairs: Sequence[str]) -> dict[str, str]:
    """``SRC=DST`` options; a folder's subfolders follow it (``Old=Archive/Old`` maps ``Old/2024`` too)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        source, sep, target = pair.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise InputError("recovery.bad_folder_map", value=pair)
        mapping[source.strip()] = target.strip()
    return mapping


def target_name(item: Item, mapping: Mapping[str, str], delimiter: str | None) -> str:
    """The target folder for ``item``: its mapping, else the same hierarchy in the target's delimiter."""
    if item.folder in mapping:
        return mapping[item.folder]
    parts = item.folder_parts
    for level in range(len(parts) - 1, 0, -1):
        prefix = (item.delimiter or "").join(parts[:level])
        if prefix in mapping:
            return (delimiter or "/").join([mapping[prefix], *parts[level:]])
    return (delimiter or "/").join(parts) if delimiter else item.folder


async def restore(
    db: Database,
    store: BlobStore,
    target: Mailbox,
    client: IMAPClient,
    items: Sequence[Item],
    folder_map: Mapping[str, str] | None = None,
    on_message: Callable[[Item, bool], None] | None = None,
) -> RestoreReport:
    """Append ``items`` into ``target`` (logged in as ``client``) unless already there; see the module doc.

    ``on_message(item, appended)`` is called for each item as it is done.
    """
    listed = {f.name: f for f in await client.list_folders(with_status=False)}
    delimiter = _delimiter(listed.values())
    plan: dict[str, list[Item]] = {}
    for item in items:
        plan.setdefault(target_name(item, folder_map or {}, delimiter), []).append(item)
    report = RestoreReport(target.name, folders=len(plan))
    for name, chosen in plan.items():
        missing = name not in listed or not listed[name].selectable
        if missing and await client.create(name):
            report.created += 1
        there = await _present(db, client, target, name, chosen)
        done = {"appended": 0, "present": 0}
        ledger: list[RestoreEntry] = []
        try:
            for item in chosen:
                if there[item.sha256] > 0:
                    there[item.sha256] -= 1
                    done["present"] += 1
                    if on_message is not None:
                        on_message(item, False)
                    continue
                try:
                    ledger.append(await _append(store, client, target, name, item))
                except (InputError, IMAPError) as exc:
                    if not _refused_message(exc):
                        raise
                    report.failed.append(_failure(item, name, exc))
                    if on_message is not None:
                        on_message(item, False)
                    continue
                done["appended"] += 1
                if len(ledger) >= _LEDGER_BATCH:
                    await _record(db, ledger)
                if on_message is not None:
                    on_message(item, True)
        finally:
            # what the server confirmed is recorded even when the run stops here (a lost batch would only
            # cost the next run some downloads: the hash check finds those messages anyway)
            await _record(db, ledger)
        report.appended += done["appended"]
        report.present += done["present"]
        report.per_folder[name] = done
    return report


def _refused_message(exc: InputError | IMAPError) -> bool:
    """Whether the refusal is about this one message, so that the others can still go: our client cannot
    send it (a NUL byte needs BINARY), or the server says it is too big or cannot parse it. Anything else
    (quota, permissions, a connection lost) stops the restore, to be resumed."""
    if isinstance(exc, InputError):
        return True
    return exc.status == "NO" and exc.code in _MESSAGE_REFUSALS


def _failure(item: Item, name: str, exc: InputError | IMAPError) -> dict[str, Any]:
    return {
        "folder": item.folder,
        "target_folder": name,
        "uidvalidity": item.uidvalidity,
        "uid": item.uid,
        "message_id": item.message_id,
        "sha256": item.sha256,
        "error": str(exc),
    }


def _delimiter(folders: Iterable[Folder]) -> str | None:
    return next((f.delimiter for f in folders if f.delimiter), None)


async def _present(
    db: Database, client: IMAPClient, target: Mailbox, name: str, chosen: Sequence[Item]
) -> Counter[str]:
    """How many copies of each sha256 the target folder holds now."""
    opened = await client.examine(name)
    if opened.exists == 0:
        return Counter()
    uids = await client.uid_search("ALL")
    found: Counter[str] = Counter()
    known: dict[int, str] = {}
    async with db.session() as session:
        rows = await session.execute(
            select(RestoreEntry.uid, RestoreEntry.sha256).where(
                RestoreEntry.target_mailbox_id == target.id,
                RestoreEntry.target_folder == name,
                RestoreEntry.uidvalidity == opened.uidvalidity,
                RestoreEntry.uid.is_not(None),
            )
        )
        live = set(uids)
        for uid, sha in rows.all():
            if uid is not None and uid in live:
                known[uid] = sha
    found.update(known.values())
    unknown = UidSet.of(uid for uid in uids if uid not in known)
    if not unknown:
        return found
    sizes = {item.size for item in chosen}
    candidates: list[int] = []
    async with contextlib.aclosing(client.uid_fetch(unknown, ["RFC822.SIZE"], chunk_size=_CHUNK)) as results:
        async for result in results:
            if result.size in sizes:
                candidates.append(result.uid)
    if candidates:
        fetch = client.uid_fetch(UidSet.of(candidates), ["BODY.PEEK[]"], chunk_size=_CHUNK)
        async with contextlib.aclosing(fetch) as results:
            async for result in results:
                try:
                    if result.body is not None:
                        found[result.body.sha256] += 1
                finally:
                    result.discard()
    return found


async def _record(db: Database, ledger: list[RestoreEntry]) -> None:
    if not ledger:
        return
    async with db.session() as session:
        session.add_all(ledger)
        await session.commit()
    ledger.clear()


async def _append(
    store: BlobStore, client: IMAPClient, target: Mailbox, name: str, item: Item
) -> RestoreEntry:
    raw = await asyncio.to_thread(store.read, item.sha256)
    if hashlib.sha256(raw).hexdigest() != item.sha256:
        raise StorageError(
            "recovery.blob_mismatch", sha256=item.sha256, folder=item.folder, uid=item.uid, permanent=True
        )
    landed = await client.append(name, raw, item.flags, item.internal_date)
    client.take_events()  # the EXISTS the append caused in the open folder: nobody needs them
    return RestoreEntry(
        target_mailbox_id=target.id,
        target_folder=name,
        sha256=item.sha256,
        source_message_id=item.row_id,
        uidvalidity=landed.uidvalidity if landed else None,
        uid=landed.uid if landed else None,
    )
