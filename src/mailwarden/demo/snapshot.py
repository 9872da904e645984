"""The embedded server's mail, kept across demo runs: written when the demo stops cleanly, read (and
removed) when it starts again, so ``mailwarden demo`` continues where it stopped and ``--reset`` is what
starts over.

The image keeps what a client's copy depends on — each folder's MAILBOXID, UIDVALIDITY, UIDs, UIDNEXT,
flags and INTERNALDATEs — so the archive of the previous run is still an archive of this server, and the
next sync is an ordinary incremental one. Message bytes are files named by their SHA-256 (written once);
the index is ``index.json``, written last (through a temporary name): a crash leaves no index, and a demo
without one asks for ``--reset`` rather than guess.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from mailwarden.demo.imap_server import FolderImage, MailStore, StoredMessage

__all__ = ["discard", "exists", "load", "save"]

VERSION = 1


def exists(folder: Path) -> bool:
    return (folder / "index.json").is_file()


async def save(store: MailStore, folder: Path) -> int:
    """Write every user's folders; returns the number of messages."""
    blobs = folder / "messages"
    blobs.mkdir(parents=True, exist_ok=True)
    users: dict[str, list[dict[str, Any]]] = {}
    count = 0
    for address in store.users():
        images = []
        for name in await store.folder_names(address):
            image = await store.export_folder(address, name)
            messages = []
            for message in image.messages:
                digest = hashlib.sha256(message.raw).hexdigest()
                path = blobs / digest
                if not path.exists():
                    path.write_bytes(message.raw)
                messages.append([message.uid, message.when.isoformat(), message.flags, digest])
            count += len(messages)
            images.append(
                {
                    "name": image.name,
                    "uid_validity": image.uid_validity,
                    "mailbox_id": image.mailbox_id,
                    "next_uid": image.next_uid,
                    "messages": messages,
                }
            )
        users[address] = images
    index = folder / "index.json"
    partial = index.with_suffix(".tmp")
    partial.write_text(json.dumps({"version": VERSION, "users": users}), "utf-8")
    os.replace(partial, index)
    return count


def discard(folder: Path) -> None:
    """The image no longer describes the server (mail arrives, replies are filed): gone, so that a run
    that then stops uncleanly is not continued from it."""
    shutil.rmtree(folder, ignore_errors=True)


async def load(store: MailStore, folder: Path) -> tuple[list[str], int]:
    """Recreate the folders of every user in the image; returns the addresses and the message count.
    The caller :func:`discard` s the image once the server may change (the service starts)."""
    data = json.loads((folder / "index.json").read_text("utf-8"))
    if data.get("version") != VERSION:
        raise ValueError(f"demo mail image version {data.get('version')!r}")
    count = 0
    for address, images in data["users"].items():
        for item in images:
            messages = [
                StoredMessage(
                    uid, datetime.fromisoformat(when), flags, (folder / "messages" / digest).read_bytes()
                )
                for uid, when, flags, digest in item["messages"]
            ]
            image = FolderImage(
                item["name"], item["uid_validity"], item["mailbox_id"], item["next_uid"], messages
            )
            await store.import_folder(address, image)
            count += len(messages)
    return list(data["users"]), count
