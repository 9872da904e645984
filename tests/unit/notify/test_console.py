"""The console channel: what it prints, and which URLs name it."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import InputError
from mailwarden.notify.alerts import Alert, Person, render
from mailwarden.notify.service import ChannelSpec
from mailwarden.notify.transports.base import Context, Target
from mailwarden.notify.transports.console import Console, stream_name
from mailwarden.notify.transports.http import HTTP


@pytest.mark.parametrize(("url", "stream"), [("console://stdout", "stdout"), ("console://stderr", "stderr")])
def test_a_console_url_names_one_of_the_two_streams(url: str, stream: str) -> None:
    assert stream_name(url) == stream
    ChannelSpec("c", "console", url).validate()


@pytest.mark.parametrize("url", ["console://", "console://tty", "console://stdout/x", "https://stdout"])
def test_anything_else_is_refused_when_the_channel_is_saved(url: str) -> None:
    with pytest.raises(InputError):
        ChannelSpec("c", "console", url).validate()


async def test_an_alert_is_printed_as_one_block_with_its_mentions(capsys: pytest.CaptureFixture[str]) -> None:
    alert = Alert(
        "inquiry.new",
        "inquiry/1",
        {"subject": "询盘：黄铜闸阀", "customer": "Hans <h@weber.example>", "assignee": "bo"},
        mentions=[Person("bo", ids={"console": "desk-7"}), Person("alice")],
    )
    http = HTTP(timeout=1)
    try:
        console = Console(Target("c", "console", "console://stderr"), Context(http))
        assert await console.send(render(alert, "zh-CN")) == "printed"
    finally:
        await http.aclose()
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].endswith("[inquiry.new] 新询盘：询盘：黄铜闸阀")
    assert "   @bo (desk-7) @alice" in lines
    assert err.endswith("\n")
