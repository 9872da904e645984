"""Where a restored message goes: --folder-map and the target's hierarchy delimiter."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import InputError
from mailwarden.recovery.restore import parse_folder_map, target_name
from mailwarden.recovery.selection import Item


def item(folder: str, delimiter: str | None = "/") -> Item:
    return Item(
        row_id=1, mailbox="m", folder=folder, delimiter=delimiter, uidvalidity=1, uid=1, sha256="0" * 64,
        size=1, flags=(), internal_date=None, message_id=None, from_addr=None, gone=False,
    )  # fmt: skip


def test_a_folder_keeps_its_name_in_the_targets_delimiter() -> None:
    assert target_name(item("客户/重要"), {}, "/") == "客户/重要"
    assert target_name(item("客户/重要"), {}, ".") == "客户.重要"
    assert target_name(item("INBOX"), {}, ".") == "INBOX"
    assert target_name(item("a.b", None), {}, "/") == "a.b"


def test_a_mapping_renames_the_folder_and_its_subfolders() -> None:
    mapping = parse_folder_map(["客户=Restored/客户", "INBOX=Old Inbox"])
    assert target_name(item("客户"), mapping, "/") == "Restored/客户"
    assert target_name(item("客户/重要/2024"), mapping, "/") == "Restored/客户/重要/2024"
    assert target_name(item("INBOX"), mapping, "/") == "Old Inbox"
    assert target_name(item("客户户"), mapping, "/") == "客户户"  # a prefix of the name, not of the path


@pytest.mark.parametrize("bad", ["nonsense", "=x", "x=", " = "])
def test_a_malformed_mapping_is_the_users_mistake(bad: str) -> None:
    with pytest.raises(InputError):
        parse_folder_map([bad])
