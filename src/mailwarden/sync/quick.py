"""The quick no-change check: "nothing changed on the server" answered without starting the sync engine.

A no-change ``archive sync`` of 100,000 messages is one LIST-STATUS and a comparison; the engine's imports
(SQLAlchemy, the ORM models) took four times as long as that. This module answers the same question with
``sqlite3`` and the IMAP client only, and the command line (:mod:`mailwarden.cli.quick`) uses it before
anything heavy is imported. See docs/decisions/0008-quick-no-change-sync.md.

It may only ever say "unchanged" when a full pass would have skipped every folder and changed nothing else.
A false "unchanged" loses mail from the archive; a false "changed" costs a second. So it answers
:class:`Unchanged` only when, for every mailbox asked about:

* the database is a SQLite file (PostgreSQL: not here) holding the mailbox;
* the mailbox's last run succeeded (after a refused login, the full command is the one to try again: the
  quick check must not add a second refusal per run, which a provider counts towards a lockout);
* the mailbox's sync lease is free (a running watch or sync: the full command says "busy");
* the login, ENABLE CONDSTORE (when offered) and LIST-STATUS succeed;
* the folder ledger is at rest (:func:`.skip.pair_folders`): no folder new, renamed, gone or of a new
  UIDVALIDITY, and no folder never synced;
* every folder is :func:`.skip.unchanged` — the same function the engine skips folders with.

Then it records the run exactly as the full pass would (an ``ok`` row in ``archive_sync_runs`` with every
folder skipped) and releases the lease. Anything else — including every error, which the full command
reports and records properly — is :class:`FallThrough` with the reason, and nothing was written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from mailwarden.core import clock
from mailwarden.core.secrets import SecretBox, load_box
from mailwarden.core.settings import Settings
from mailwarden.db.direct import DirectDB, db_time, parse_db_time, sqlite_path
from mailwarden.mailboxes.connect import open_imap
from mailwarden.mailboxes.record import MailboxRecord, credential
from mailwarden.search.cursor import indexed_up_to
from mailwarden.sync.owner import LEASE_TTL, holder_id, lease_name
from mailwarden.sync.skip import pair_folders, unchanged

__all__ = ["DEADLINE", "FallThrough", "QuickRun", "SavedState", "Unchanged", "quick_sync"]

log = logging.getLogger(__name__)

#: the whole check must end well within the lease's lifetime (it does not renew it); past this, fall through
DEADLINE = 20.0


@dataclass(frozen=True)
class QuickRun:
    """One mailbox found unchanged and recorded: what the full pass would have reported."""

    mailbox: str
    folders: int
    seconds: float


@dataclass(frozen=True)
class Unchanged:
    runs: list[QuickRun]
    #: the search index's cursor (it is up to date, or the check would have fallen through); None when
    #: indexing on sync is turned off
    index_cursor: int | None = None


@dataclass(frozen=True)
class FallThrough:
    reason: str


@dataclass(frozen=True)
class SavedState:
    """An ``archive_folders`` row as the comparison needs it (a :class:`.skip.SavedFolder`)."""

    name: str
    uidvalidity: int
    uidnext: int | None
    highest_modseq: int | None
    server_messages: int | None
    last_synced_at: datetime | None


_MAILBOX_COLUMNS = (
    "id, uid, name, username, imap_host, imap_port, imap_tls, ca_file, allow_plaintext, credential_kind,"
    " credential_secret, credential_ref"
)


def _mailboxes(db: DirectDB, name: str | None) -> list[MailboxRecord]:
    if name is None:
        rows = db.rows(f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes ORDER BY name")  # noqa: S608 - constants
    else:
        rows = db.rows(f"SELECT {_MAILBOX_COLUMNS} FROM mailboxes WHERE name = ?", (name,))  # noqa: S608
    return [MailboxRecord(**{**dict(row), "allow_plaintext": bool(row["allow_plaintext"])}) for row in rows]


def _saved_folders(db: DirectDB, mailbox_id: int) -> list[SavedState]:
    rows = db.rows(
        "SELECT name, uidvalidity, uidnext, highest_modseq, server_messages, last_synced_at"
        " FROM archive_folders WHERE mailbox_id = ? AND state = 'active'",
        (mailbox_id,),
    )
    return [
        SavedState(
            row["name"],
            row["uidvalidity"],
            row["uidnext"],
            row["highest_modseq"],
            row["server_messages"],
            parse_db_time(row["last_synced_at"]),
        )
        for row in rows
    ]


async def _check(settings: Settings, db: DirectDB, box: MailboxRecord) -> int | str:
    """The number of folders when every one is unchanged, else why not."""
    secret = credential(box, _secret_box(settings) if box.credential_secret is not None else None)
    # no COMPRESS: one LIST answer gains nothing from it, and the negotiation costs a round trip
    async with await open_imap(box, secret, step_timeout=DEADLINE) as client:
        if "CONDSTORE" in client.capabilities:
            await client.enable("CONDSTORE")  # as the engine does: STATUS then carries HIGHESTMODSEQ
        listed = await client.list_folders(with_status=True)
        await client.logout()
    saved = _saved_folders(db, box.id)
    if len({row.name for row in saved}) != len(saved):
        return "two active folder rows share a name"
    pairing = pair_folders(listed, saved)
    if not pairing.at_rest:
        return "folders were added, renamed, removed or recreated on the server"
    changed = [server.name for server, row in pairing.matched if not unchanged(server.status, row)]
    if changed:
        return f"{len(changed)} folders changed or were never synced (first: {changed[0]})"
    return len(pairing.matched)


def _last_run_ok(db: DirectDB, mailbox_id: int) -> bool:
    rows = db.rows(
        "SELECT status FROM archive_sync_runs WHERE mailbox_id = ? ORDER BY id DESC LIMIT 1", (mailbox_id,)
    )
    return bool(rows) and rows[0]["status"] == "ok"


def _secret_box(settings: Settings) -> SecretBox:
    secret_key = settings.secret_key.get_secret_value() if settings.secret_key else None
    return load_box(secret_key, settings.key_file)


def _record(db: DirectDB, done: list[tuple[MailboxRecord, int, datetime]]) -> None:
    """The runs, as :func:`.service.recorded_pass` leaves them after a pass that skipped every folder."""
    finished = db_time(clock.now())
    with db.transaction() as conn:
        for box, folders, started in done:
            conn.execute(
                "INSERT INTO archive_sync_runs (mailbox_id, started_at, finished_at, status, folders,"
                " folders_skipped, fetched, fetched_bytes, stored, tombstoned, flag_changes,"
                " error_kind, error)"
                " VALUES (?, ?, ?, 'ok', ?, ?, 0, 0, 0, 0, 0, NULL, NULL)",
                (box.id, db_time(started), finished, folders, folders),
            )


def _index_behind(settings: Settings, db: DirectDB) -> bool:
    """Whether messages archived earlier are not indexed yet (an earlier indexing failed or was skipped):
    then the full command runs, and indexes them at its end."""
    newest = db.rows("SELECT MAX(id) AS newest FROM archive_messages")[0]["newest"] or 0
    cursor = indexed_up_to(settings.search_dir)
    return newest > 0 and (cursor is None or cursor < newest)


async def quick_sync(
    settings: Settings, name: str | None, *, index: bool = True, deadline: float = DEADLINE
) -> Unchanged | FallThrough:
    """Check (and, when unchanged, record) every mailbox, or the one called ``name``. With ``index``, a
    search index behind the archive is a reason to fall through (the full command indexes at its end).

    Raises what went wrong (a :class:`~mailwarden.core.errors.MailwardenError`): the caller falls through
    on it too, and the full command meets the same problem and reports it.
    """
    path = sqlite_path(settings.sqlalchemy_url)
    if path is None:
        return FallThrough("the database is not a SQLite file")
    if not path.is_file():
        return FallThrough(f"{path} does not exist")
    db = DirectDB(path)
    holder = holder_id()
    held: list[str] = []
    try:
        boxes = _mailboxes(db, name)
        if not boxes:
            return FallThrough("no such mailbox" if name else "no mailboxes")
        index_cursor = None
        if index:
            if _index_behind(settings, db):
                return FallThrough("the search index is behind the archive")
            index_cursor = indexed_up_to(settings.search_dir) or 0
        done: list[tuple[MailboxRecord, int, datetime]] = []
        seconds: list[float] = []
        try:
            async with asyncio.timeout(deadline):
                for box in boxes:
                    begun, started = time.monotonic(), clock.now()
                    if not _last_run_ok(db, box.id):
                        return FallThrough(f"{box.name}: its last run did not succeed")
                    lease = lease_name(box.id)
                    if not db.acquire_lease(lease, holder, LEASE_TTL):
                        return FallThrough(f"{box.name}: another process holds {lease}")
                    held.append(lease)
                    answer = await _check(settings, db, box)
                    if isinstance(answer, str):
                        return FallThrough(f"{box.name}: {answer}")
                    done.append((box, answer, started))
                    seconds.append(time.monotonic() - begun)
        except TimeoutError:
            return FallThrough(f"the check took longer than {deadline:.0f} s")
        _record(db, done)
        return Unchanged(
            [QuickRun(box.name, folders, s) for (box, folders, _), s in zip(done, seconds, strict=True)],
            index_cursor,
        )
    finally:
        try:
            for lease in held:
                db.release_lease(lease, holder)
        finally:
            db.close()
