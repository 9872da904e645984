import pytest

from mailwarden.mailboxes.connect import wants_compression
from mailwarden.mailboxes.models import Mailbox


@pytest.mark.parametrize(
    ("host", "policy", "expected"),
    [
        ("imap.exmail.qq.com", "auto", True),
        ("127.0.0.1", "auto", False),
        ("::1", "auto", False),
        ("localhost", "auto", False),
        ("10.0.0.5", "auto", True),
        ("127.0.0.1", "always", True),
        ("imap.gmail.com", "never", False),
    ],
)
def test_compression_is_used_where_bandwidth_matters(host: str, policy: str, expected: bool) -> None:
    assert wants_compression(Mailbox(imap_host=host), policy) is expected
