"""An archive built by a real ``archive sync`` from the lab Dovecot, cloned per test that tampers with it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from cli_runner import CLI
from lab.dovecot import Dovecot
from recovery_lab import SEEDS, add_mailbox, imap, seed

#: a copy of the first INBOX seed in Sent too: one blob, two rows
SHARED = SEEDS[0]


def build(root: Path, dovecot: Dovecot) -> CLI:
    """GIVEN the recovery seeds (INBOX 5, Sent 1 + a copy of an INBOX message, 客户/重要 2), synced once."""
    cli = CLI(root)
    assert cli("init").code == 0
    user = dovecot.add_user()
    seed(dovecot, user)
    client = imap(dovecot, user)
    typ, data = client.append("Sent", None, '"01-Mar-2024 09:15:00 +0800"', SHARED.raw)
    assert typ == "OK", data
    client.logout()
    add_mailbox(cli, dovecot, user, "sales")
    result = cli("archive", "sync")
    assert result.code == 0, result.output
    return cli


def clone(template: CLI, root: Path) -> CLI:
    """A private copy of ``template``'s config, database and blobs (the data folder is relative)."""
    shutil.copytree(template.root, root, dirs_exist_ok=True)
    return CLI(root)


def sql(cli: CLI, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Raw SQL on the archive's database, as someone with file access could run it."""
    with sqlite3.connect(cli.root / "data" / "mailwarden.db") as conn:
        rows = conn.execute(statement, params).fetchall()
        conn.commit()
    return rows


def blob_path(cli: CLI, sha256: str) -> Path:
    return cli.root / "data" / "archive" / "blobs" / sha256[:2] / f"{sha256}.zst"
