"""Modified UTF-7 (RFC 3501 5.1.3): how IMAP4rev1 servers spell mailbox names such as 询盘 or 客户/重要.

Printable ASCII stands for itself except ``&``, which is written ``&-``. Anything else is UTF-16BE, base64
with ``,`` in place of ``/`` and no ``=`` padding, between ``&`` and ``-``: ``询盘`` is ``&i+J22A-``.

Written here rather than borrowed because the archive keys folders by the server's exact bytes and shows the
decoded name to people: decoding must be strict enough to notice a server that sends raw UTF-8 instead
(some do), so the caller can fall back to showing that rather than garbage. :func:`decode` raises
``ValueError`` on anything that is not modified UTF-7; encoding is always the canonical form, so
``encode(decode(x)) == x`` for every canonical ``x``.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["decode", "encode"]

_SHIFTED = re.compile(rb"&([A-Za-z0-9+,]*)-")
_DIRECT = re.compile(rb"[\x20-\x25\x27-\x7e]*")  # printable ASCII without "&"


def encode(name: str) -> bytes:
    """``name`` in modified UTF-7, canonical form (ASCII runs direct, everything else in one shift)."""
    out = bytearray()
    pending: list[str] = []

    def flush() -> None:
        if pending:
            utf16 = "".join(pending).encode("utf-16-be", "surrogatepass")
            out.extend(b"&" + base64.b64encode(utf16).rstrip(b"=").replace(b"/", b",") + b"-")
            pending.clear()

    for char in name:
        code = ord(char)
        if 0x20 <= code <= 0x7E:
            flush()
            out.extend(b"&-" if char == "&" else char.encode("ascii"))
        else:
            pending.append(char)
    flush()
    return bytes(out)


def decode(raw: bytes) -> str:
    """The name spelled by ``raw``; ``ValueError`` if ``raw`` is not modified UTF-7."""
    out: list[str] = []
    pos = 0
    while pos < len(raw):
        direct = _DIRECT.match(raw, pos)
        assert direct is not None  # the pattern matches the empty string
        if direct.end() > pos:
            out.append(direct[0].decode("ascii"))
            pos = direct.end()
            continue
        if raw[pos : pos + 1] != b"&":
            raise ValueError(f"byte {raw[pos]:#04x} at {pos} is not allowed in modified UTF-7")
        shifted = _SHIFTED.match(raw, pos)
        if shifted is None:
            raise ValueError(f"the shift at {pos} is not closed with '-' or holds a non-base64 byte")
        payload = shifted[1]
        out.append("&" if not payload else _decode_shift(payload, pos))
        pos = shifted.end()
    return "".join(out)


def _decode_shift(payload: bytes, pos: int) -> str:
    if len(payload) % 4 == 1:
        raise ValueError(f"the shift at {pos} has a dangling base64 character")
    padded = payload.replace(b",", b"/") + b"=" * (-len(payload) % 4)
    try:
        utf16 = base64.b64decode(padded, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the shift at {pos} is not base64: {exc}") from None
    if len(utf16) % 2:
        raise ValueError(f"the shift at {pos} holds an odd number of bytes")
    if base64.b64encode(utf16).rstrip(b"=").replace(b"/", b",") != payload:
        raise ValueError(f"the shift at {pos} has stray bits after its last character")
    try:
        text = utf16.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the shift at {pos} is not valid UTF-16: {exc.reason}") from None
    if any(0x20 <= ord(char) <= 0x7E for char in text):
        # RFC 3501: printable ASCII "MUST NOT" be shifted; a name spelled two ways would make two folders.
        raise ValueError(f"the shift at {pos} encodes printable ASCII")
    return text
