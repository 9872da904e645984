"""The conversation token our replies carry, signed so that nobody else can make one.

A token is ``<conversation id>-<mac>``: the id in the clear (so a reader of the raw mail and our logs can
tell which conversation it names) and a truncated HMAC-SHA256 of it under a key only the server holds.
It travels twice in every reply we send: in the ``X-Mailwarden-Conversation`` header, and inside our
Message-ID (``<conv-<token>.<random>@domain>``), because many clients drop unknown headers but every
client quotes the Message-ID back in ``In-Reply-To`` / ``References``.

Why signed: threading by token is a fallback for mail whose references we cannot resolve. An unsigned
token ("conversation 123", FreeScout's subject "#123") lets anyone who can guess or count attach a mail to
any conversation — a stranger's text shown inside a customer's thread, agent replies to it leaking that
customer's history. With 100 bits of MAC (20 base32 characters) an attacker must have seen a real token,
i.e. have received our reply; and one that is altered in any character fails to verify.

Key rotation: :func:`verify_token` takes several keys (the current one first); tokens made with an older
key keep working until it is dropped from the list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from mailwarden.core.errors import InputError

__all__ = [
    "KEY_PURPOSE",
    "MIN_KEY_BYTES",
    "TOKEN_HEADER",
    "make_token",
    "message_id_token",
    "new_message_id",
    "verify_token",
]

TOKEN_HEADER = "X-Mailwarden-Conversation"  # noqa: S105 - a header name, not a secret
#: what the token keys are derived for from the secret key (:meth:`mailwarden.core.secrets.SecretBox.derive`)
KEY_PURPOSE = "inbox conversation token"
MIN_KEY_BYTES = 16
_MAC_CHARS = 20  # base32: 5 bits each, 100 bits
_ID = r"[a-z0-9_]{1,64}"
_TOKEN = re.compile(rf"({_ID})-([a-z2-7]{{{_MAC_CHARS}}})")
_MESSAGE_ID = re.compile(rf"conv-({_ID}-[a-z2-7]{{{_MAC_CHARS}}})\.[a-z0-9]+@")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
#: what the MAC is computed over besides the id: a later token format cannot be confused with this one
_CONTEXT = b"mailwarden conversation token v1\x00"


def _check_key(key: bytes) -> None:
    if len(key) < MIN_KEY_BYTES:
        raise InputError("inbox.token_key_short", minimum=MIN_KEY_BYTES, length=len(key))


def _mac(conversation_id: str, key: bytes) -> str:
    digest = hmac.new(key, _CONTEXT + conversation_id.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_MAC_CHARS]


def make_token(conversation_id: str, key: bytes) -> str:
    """The token for ``conversation_id`` (lower-case letters, digits and ``_``, at most 64) under ``key``.

    Raises ``InputError`` for an id outside that alphabet or a key shorter than ``MIN_KEY_BYTES``.
    """
    _check_key(key)
    if not re.fullmatch(_ID, conversation_id):
        raise InputError("inbox.conversation_id_invalid", id=conversation_id[:80])
    return f"{conversation_id}-{_mac(conversation_id, key)}"


def verify_token(token: str, keys: Sequence[bytes]) -> str | None:
    """The conversation id ``token`` names if one of ``keys`` signed it, else None (never raises on
    ``token``, which comes from mail anyone can write). No keys, or a short one, is a configuration
    error (``InputError``): without it every token would silently fail."""
    if not keys:
        raise InputError("inbox.token_keys_missing")
    for key in keys:
        _check_key(key)
    # lower case: some gateways lower-case Message-IDs, and ids and MACs are lower case by construction
    match = _TOKEN.fullmatch(token.strip().lower()) if token.isascii() else None
    if match is None:
        return None
    for key in keys:
        if hmac.compare_digest(_mac(match[1], key), match[2]):
            return match[1]
    return None


def message_id_token(message_id: str) -> str | None:
    """The (unverified) token inside one of our Message-IDs, or None for anyone else's."""
    match = _MESSAGE_ID.match(message_id.strip().strip("<>").lower())
    return match[1] if match else None


def new_message_id(domain: str, conversation_id: str, key: bytes) -> str:
    """A fresh Message-ID (without angle brackets) for a reply in ``conversation_id``, sent from ``domain``.

    ``conv-<token>.<random>@<domain>``: RFC 5322's dot-atom on both sides; 80 random bits keep it unique
    (RFC 5322 section 3.6.4) however many replies a conversation gets.
    """
    ascii_domain = domain.strip().rstrip(".")
    if not ascii_domain.isascii():
        ascii_domain = ascii_domain.encode("idna").decode("ascii")
    if not _DOMAIN.fullmatch(ascii_domain) or ".." in ascii_domain:
        raise InputError("inbox.message_id_domain_invalid", domain=domain[:80])
    random = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return f"conv-{make_token(conversation_id, key)}.{random}@{ascii_domain.lower()}"
