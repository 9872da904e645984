"""Address headers and message identifiers.

Addresses are parsed *before* encoded-words are decoded: a decoded display name may hold commas, quotes or
angle brackets ("张三, Sales <...>") that would otherwise split one address into two. Raw 8-bit bytes are
decoded *before* parsing, because a GBK or Big5 trail byte can be ``\\`` or ``@``.

Domains are kept in Unicode (``例子.中国``, decoded from ``xn--fsqu00a.xn--fiqs8s``): that is what people
read and search for, and one mailbox may write the same domain both ways. ``Address.ascii`` gives the
punycode form for protocols that need it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from email.utils import getaddresses
from functools import lru_cache
from typing import NamedTuple

from mailwarden.mime.defects import DefectKind, DefectLog
from mailwarden.mime.encoded_words import decode_header, decode_words, header_text

__all__ = ["Address", "message_id", "message_ids", "parse_addresses"]

_ANGLED = re.compile(r"<([^<>]*)>")
_ADDRESS_LIMIT = 1000
# The shapes nearly all mail uses, which need no RFC 5322 parser: "a@b", "Name <a@b>", "\"Name\" <a@b>".
# Anything else — comments, groups, quoted commas, escapes, route addresses — goes to the full parser.
# Every repeat is possessive ("*+", "++"): no class can match what follows it ("@", "<", a quote), so
# giving characters back never helps, and trying it was most of the matching time. The plain name may keep
# blanks before "<"; its words are joined again anyway.
_ADDR = r"[^\s<>()\[\]\\,;:@\"]++@[^\s<>()\[\]\\,;:@\"]++"
_SIMPLE = re.compile(
    rf"""\s*+(?:(?:"(?P<quoted>[^"\\]*+)"|(?P<plain>[^<>()\[\]\\,;:@"]*+))\s*+<(?P<addr>{_ADDR})>|(?P<bare>{_ADDR}))\s*+"""
)


class Address(NamedTuple):
    """One mailbox: the decoded display name ("" if none) and the address with a Unicode domain."""

    name: str
    address: str

    @property
    def ascii(self) -> str:
        """The address with its domain in punycode (IDNA), or unchanged if that is impossible."""
        local, at, domain = self.address.rpartition("@")
        if not at or domain.isascii():
            return self.address
        try:
            return f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            return self.address


def _unicode_domain(address: str, log: DefectLog, where: str) -> str:
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    domain = domain.strip().rstrip(".").lower()
    if "xn--" in domain:
        labels = []
        for label in domain.split("."):
            try:
                labels.append(label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
            except UnicodeError:
                log.add("address", f"{where}: punycode label {label!r} is not valid IDNA; kept as sent")
                labels.append(label)
        domain = ".".join(labels)
    return f"{local}@{domain}"


def parse_addresses(
    values: Sequence[str], log: DefectLog, where: str, hints: Sequence[str] = ()
) -> list[Address]:
    """Every address in the occurrences ``values`` of one header (compat32 raw strings).

    The same header comes back message after message — the mailbox's own address in To, each
    correspondent's From — and decoding it was a tenth of the parsing time; so short ones are parsed once
    per process and remembered (see :func:`_parsed`): the addresses, and the defects to record again.
    """
    if sum(map(len, values)) > _CACHED_LENGTH:
        return _parse_addresses(values, log, where, hints)
    found, defects = _parsed(tuple(values), where, tuple(hints))
    for kind, detail in defects:
        log.add(kind, detail)
    return list(found)


#: headers longer than this (all occurrences together) are parsed each time, never remembered
_CACHED_LENGTH = 1000


@lru_cache(maxsize=2048)
def _parsed(
    values: tuple[str, ...], where: str, hints: tuple[str, ...]
) -> tuple[tuple[Address, ...], tuple[tuple[DefectKind, str], ...]]:
    """:func:`_parse_addresses`, remembered: a pure function of its arguments (``Address`` is immutable and
    the caller gets a list of its own). The log here keeps every defect, so the caller's log applies its
    own limit when they are recorded again, in the same order."""
    log = DefectLog(limit=sys.maxsize)
    found = _parse_addresses(values, log, where, hints)
    return tuple(found), tuple((defect.kind, defect.detail) for defect in log.result())


def _parse_addresses(
    values: Sequence[str], log: DefectLog, where: str, hints: Sequence[str] = ()
) -> list[Address]:
    """``parse_addresses``, every time."""
    texts = [header_text(value, log, where, hints) for value in values]
    found: list[Address] = []
    for text in texts:
        if not text.strip():
            continue
        addresses = _parse_one(text, log, where, hints)
        if not addresses and not _is_empty_group(text):
            log.add("address", f"{where}: no address found in the header")
        found.extend(addresses)
    if len(found) > _ADDRESS_LIMIT:
        log.add("too_complex", f"{where}: only the first {_ADDRESS_LIMIT} of {len(found)} addresses kept")
        del found[_ADDRESS_LIMIT:]
    return found


def _is_empty_group(text: str) -> bool:
    # "undisclosed-recipients:;" names a group with no members: nothing is missing
    return text.strip().endswith(";") and ":" in text


def _simple_pairs(text: str) -> list[tuple[str, str]] | None:
    """(name, address) pairs for a header made only of the common shapes, else None: the same pairs the
    full parser gives (a test holds the two to that), at a tenth of the cost."""
    pairs = []
    for piece in text.split(",") if '"' not in text else [text]:
        match = _SIMPLE.fullmatch(piece)
        if match is None:
            return None
        if match["bare"] is not None:
            pairs.append(("", match["bare"]))
        else:
            name = match["quoted"] if match["quoted"] is not None else " ".join(match["plain"].split())
            pairs.append((name, match["addr"]))
    return pairs


def _parse_one(text: str, log: DefectLog, where: str, hints: Sequence[str]) -> list[Address]:
    simple = _simple_pairs(text)
    pairs = simple if simple is not None else [(name, addr.strip()) for name, addr in getaddresses([text])]
    if simple is None and "=?" in text and any("@" not in addr for name, addr in pairs if addr or name):
        # some senders encode the whole "Name <address>" as one encoded-word; parse what it decodes to
        decoded = decode_words(text, log, where, hints)
        retry = [(name, addr.strip()) for name, addr in getaddresses([decoded])]
        if sum("@" in addr for _, addr in retry) > sum("@" in addr for _, addr in pairs):
            pairs = retry
    out: list[Address] = []
    for name, addr in pairs:
        if not addr or (":" in addr and "@" not in addr):
            continue
        display = decode_header(name, log, where, hints)
        out.append(Address(display, _unicode_domain(addr, log, where)))
    return out


def message_id(value: str | None) -> str | None:
    """The first message identifier in ``value``, without angle brackets; None when there is none."""
    ids = message_ids(value)
    return ids[0] if ids else None


def message_ids(value: str | None) -> list[str]:
    """Every message identifier in ``value`` (References, In-Reply-To), in order, duplicates removed.

    Identifiers in angle brackets are taken; failing those, white-space separated words holding "@"
    (some clients drop the brackets); failing those, the whole trimmed value.
    """
    if not value:
        return []
    text = value.strip()
    ids = [found.strip() for found in _ANGLED.findall(text)]
    ids = ["".join(found.split()) for found in ids if found.strip()]
    if not ids:
        words = [word.strip(",;") for word in text.split()]
        ids = [word for word in words if "@" in word] or ([text] if text and " " not in text else [])
    return list(_unique(ids))


def _unique(items: Iterable[str]) -> Iterable[str]:
    seen: set[str] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item
