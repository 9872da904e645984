"""Where an exported message goes: file-system-safe, collision-free names for mailboxes and folders.

A folder name is the server's and may hold anything: ``/``, ``..``, a leading dot (a Maildir++ subfolder),
or be called ``cur`` (which would land inside the parent's maildir). Each hierarchy level becomes one path
component, percent-encoding only what would be unsafe, so two different folders never share a path and
Chinese names stay readable. The manifest records the mapping both ways.
"""

from __future__ import annotations

from mailwarden.recovery.selection import Item

__all__ = ["component", "folder_path"]

_UNSAFE = {"%": "%25", "/": "%2F", "\\": "%5C", "\0": "%00"}
_MAILDIR_NAMES = {"cur", "new", "tmp"}


def component(name: str) -> str:
    safe = "".join(_UNSAFE.get(ch, ch) for ch in name)
    if not safe or safe.startswith(".") or safe.lower() in _MAILDIR_NAMES:
        safe = f"%{ord(safe[0]):02X}{safe[1:]}" if safe else "%"
    return safe


def folder_path(item: Item) -> str:
    """``mailbox/level/level`` (always ``/``: zip entry names use it, and so does pathlib)."""
    return "/".join([component(item.mailbox), *(component(part) for part in item.folder_parts)])
