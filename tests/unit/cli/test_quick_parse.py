"""Which command lines the quick no-change check may answer: only a plain ``archive sync``."""

from pathlib import Path

import pytest

from mailwarden.cli.quick import QuickRequest, parse


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["archive", "sync"], QuickRequest()),
        (["archive", "sync", "sales"], QuickRequest(mailbox="sales")),
        (
            ["archive", "sync", "--json", "sales", "--config", "x.toml", "--lang=zh-CN"],
            QuickRequest(mailbox="sales", config=Path("x.toml"), as_json=True, lang="zh-CN"),
        ),
        (["archive", "sync", "--config=a.toml", "--config", "b.toml"], QuickRequest(config=Path("b.toml"))),
    ],
)
def test_it_reads_a_plain_archive_sync(argv: list[str], expected: QuickRequest) -> None:
    assert parse(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["archive"],
        ["archive", "watch"],
        ["mailbox", "sync"],
        ["--version"],
        ["archive", "sync", "--full"],
        ["archive", "sync", "--help"],
        ["archive", "sync", "-h"],
        ["archive", "sync", "a", "b"],
        ["archive", "sync", "--config"],
        ["archive", "sync", "--config", "--json"],
        ["archive", "sync", "--config="],
        ["archive", "sync", "--lang"],
        ["archive", "sync", "--"],
        ["archive", "sync", "--jso"],
    ],
)
def test_it_leaves_everything_else_to_typer(argv: list[str]) -> None:
    assert parse(argv) is None
