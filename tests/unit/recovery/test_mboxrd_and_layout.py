"""mboxrd quoting and export path names: plain functions, no files."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from mailwarden.recovery import mboxrd
from mailwarden.recovery.export import maildir_info
from mailwarden.recovery.layout import component


def test_it_quotes_from_lines_reversibly() -> None:
    body = b"Subject: x\r\n\r\nFrom here\r\n>From there\r\n>>From x\r\nnot From \r\nFromage\r\n"
    quoted = mboxrd.quote(body)
    assert quoted == (
        b"Subject: x\r\n\r\n>From here\r\n>>From there\r\n>>>From x\r\nnot From \r\nFromage\r\n"
    )
    assert mboxrd.unquote(quoted) == body


def test_it_reads_back_what_it_wrote() -> None:
    messages = [b"A: 1\r\n\r\nFrom me\r\n", b"B: 2\r\n\r\n\r\n", b"C: 3\r\n\r\n>From\r\n"]
    stream = io.BytesIO()
    for m in messages:
        stream.write(mboxrd.from_line("a@b", None) + mboxrd.quote(m) + b"\n")
    stream.seek(0)
    assert list(mboxrd.read_messages(stream)) == messages


def test_the_from_line_has_the_sender_and_the_asctime_date() -> None:
    line = mboxrd.from_line("x y@z", datetime(2024, 3, 5, 8, 1, 2, tzinfo=UTC))
    assert line == b"From xy@z Tue Mar  5 08:01:02 2024\n"
    assert mboxrd.from_line(None, None).startswith(b"From MAILER-DAEMON Thu Jan  1")


def test_folder_names_become_distinct_safe_components() -> None:
    names = ["a/b", "a%2Fb", "..", ".hidden", "cur", "Cur", "客户", "", "x\\y"]
    safe = [component(n) for n in names]
    assert len(set(safe)) == len(names)
    assert all("/" not in s and s not in {".", "..", "cur", "new", "tmp"} for s in safe)
    assert not any(s.startswith(".") for s in safe)
    assert component("客户") == "客户"


def test_maildir_info_letters_are_sorted_and_known_only() -> None:
    assert maildir_info(["\\Seen", "\\Answered", "$Label1", "\\Draft", "\\flagged"]) == "2,DFRS"
    assert maildir_info([]) == "2,"
