import logging
from pathlib import Path

import pytest

from mailwarden.core import logs
from mailwarden.core.secrets import SecretValue


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('a1 LOGIN "sales@example.com" "s3cret-pw"', "s3cret-pw"),
        ("a1 LOGIN sales s3cret-pw", "s3cret-pw"),
        ("a2 AUTHENTICATE PLAIN AHNhbGVzAHMzY3JldA==", "AHNhbGVzAHMzY3JldA=="),
        ("AUTH PLAIN AHNhbGVzAHMzY3JldA==", "AHNhbGVzAHMzY3JldA=="),
        ("connecting with password=s3cret-pw to host", "s3cret-pw"),
        ("Authorization: Bearer ya29.a0AfH6SMB", "ya29.a0AfH6SMB"),
        ("postgresql://mw:dbpass99@db/x", "dbpass99"),
        ("refresh_token: 1//0gabcdef", "1//0gabcdef"),
    ],
)
def test_patterns_hide_credentials(line: str, secret: str) -> None:
    redacted = logs.redact(line)
    assert secret not in redacted
    assert logs.MASK in redacted


def test_revealed_secrets_are_hidden_wherever_they_appear(tmp_path: Path) -> None:
    logs.setup("DEBUG", tmp_path / "mw.log")
    try:
        secret = SecretValue("zq-授权码-9417").reveal()
        logging.getLogger("mailwarden.test").info("server echoed %s back", secret)
        try:
            raise RuntimeError(f"failed with {secret}")
        except RuntimeError:
            logging.getLogger("mailwarden.test").exception("boom")
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    text = (tmp_path / "mw.log").read_text("utf-8")
    assert "server echoed ******** back" in text
    assert "failed with ********" in text
    assert "zq-授权码-9417" not in text
