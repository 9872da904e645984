"""Header text: RFC 2047 encoded-words and raw 8-bit bytes, decoded by us rather than by ``email.header``.

Why our own: the stdlib decodes each encoded-word on its own, so a GBK character whose two bytes an encoder
split across ``=?GB2312?B?...?= =?GB2312?B?...?=`` becomes two U+FFFD; it trusts the GB2312 label; and it
gives up on bad base64 padding. Here adjacent encoded-words in the same charset are joined *as bytes* (and
base64 split mid-quantum is joined as text) before one decode through :mod:`.charsets`, each charset's run is
decoded on its own, and malformed words are decoded as far as they go with an ``encoded_word`` defect.

Raw 8-bit headers (a GBK subject sent without any encoding, or RFC 6532 UTF-8) are decoded first, as a
whole, by :func:`charsets.decode_guessing` with the message's declared charsets as hints; encoded-words are
ASCII, so they survive that step and are decoded after it.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Sequence

from mailwarden.mime.charsets import decode_guessing, decode_text, resolve
from mailwarden.mime.defects import DefectLog

__all__ = ["decode_header", "header_text", "unfold"]

# The encoded text may hold no "?" in either encoding; a space inside is illegal but sent, so allowed.
_WORD = re.compile(r"=\?([^?\s]*)\?([bBqQ])\?([^?]*)\?=")
# a word cut off at the end of the header (long subjects truncated by gateways)
_UNTERMINATED = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\s*$")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK = re.compile(r"[^A-Za-z0-9+/]")
#: base64 text that decodes as it is: only the alphabet, and "=" only as the padding of the last quantum
_B64_WORD = re.compile(r"[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")

Word = tuple[str, str, str]  # charset label, "b" or "q", encoded text


def unfold(value: str) -> str:
    """RFC 5322 unfolding: a line break followed by white space is removed, the white space kept."""
    if "\n" not in value and "\r" not in value:  # one line, as most values are: nothing to remove
        return value
    return _FOLD.sub("", value).replace("\r", "").replace("\n", "")


def _has_8bit(value: str) -> bool:
    # compat32 keeps undecodable header bytes as lone surrogates (surrogateescape)
    return not value.isascii()


def header_text(value: str, log: DefectLog, where: str, hints: Sequence[str] = ()) -> str:
    """Unfold ``value`` and decode any raw 8-bit bytes in it; encoded-words are left for later.

    Address headers need this middle step: their structure (quotes, commas, angle brackets) must be parsed
    before encoded-words are decoded, but after raw GBK bytes are, since a GBK trail byte can be ``\\``.
    """
    text = unfold(value)
    if not _has_8bit(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    decoded, codec, exact = decode_guessing(raw, hints)
    if codec != "utf-8":  # raw UTF-8 is legal since RFC 6532; anything else is a defect
        log.add("header_8bit", f"{where}: raw 8-bit header decoded as {codec}")
    if not exact:
        log.add("text_replaced", f"{where}: undecodable header bytes replaced")
    return decoded


def decode_header(value: str, log: DefectLog, where: str, hints: Sequence[str] = ()) -> str:
    """The text of a header value: unfolded, 8-bit bytes and encoded-words decoded, controls as spaces."""
    if value.isascii() and value.isprintable() and "=?" not in value:
        # Most values: one line of printable ASCII (no line break, tab or other control) without an
        # encoded-word, which every step below would return as it is. A test holds the two paths equal.
        return value.strip()
    return _decode_header(value, log, where, hints)


def _decode_header(value: str, log: DefectLog, where: str, hints: Sequence[str] = ()) -> str:
    """``decode_header`` without its shortcut: every step, whatever the value."""
    text = decode_words(header_text(value, log, where, hints), log, where, hints)
    return _CONTROLS.sub(" ", text).strip()


def decode_words(text: str, log: DefectLog, where: str, hints: Sequence[str] = ()) -> str:
    """Decode the RFC 2047 encoded-words in ``text`` (already free of raw 8-bit bytes)."""
    if "=?" not in text:
        return text
    run = _b_run(text)
    if run is not None:
        lead, label, data, tail = run
        return lead + decode_text(data, label or None, log, where, hints) + tail
    return _decode_words(text, log, where, hints)


def _b_run(text: str) -> tuple[str, str, bytes, str] | None:
    """The usual encoded header, taken apart without the general machinery: (text before, charset label,
    the words' bytes, text after), or None.

    Usual means: B-words all with the same label, separated by white space only, each a whole number of
    base64 quanta correctly padded, and no "=?" after the last one (no word cut off). For such text
    :func:`_decode_words` joins the words' bytes into one run, decodes it with that label and records no
    defect of its own; this gives the same bytes to the same ``decode_text`` call. A test holds the two
    equal.
    """
    lead: str | None = None
    label = ""
    words: list[bytes] = []
    position = 0
    for match in _WORD.finditer(text):
        word_label, encoding, encoded = match.groups()
        if lead is None:
            lead, label = text[: match.start()], word_label
        else:
            between = text[position : match.start()]
            if word_label != label or (between and not between.isspace()):
                return None
        if encoding not in "bB" or len(encoded) % 4 or not _B64_WORD.fullmatch(encoded):
            return None
        words.append(binascii.a2b_base64(encoded))
        position = match.end()
    tail = text[position:]
    if lead is None or "=?" in tail:
        return None
    return lead, label, words[0] if len(words) == 1 else b"".join(words), tail


def _decode_words(text: str, log: DefectLog, where: str, hints: Sequence[str] = ()) -> str:
    """``decode_words`` without its shortcut: every encoded-word, whatever its shape."""
    pieces: list[str] = []
    run: list[Word] = []
    position = 0
    for match in _WORD.finditer(text):
        between = text[position : match.start()]
        # white space between two encoded-words is not part of the text (RFC 2047 section 6.2)
        if not run or (between and not between.isspace()):
            pieces.append(_decode_run(run, log, where, hints))
            pieces.append(between)
            run = []
        run.append((match[1], match[2].lower(), match[3]))
        position = match.end()
    tail = text[position:]
    cut = _UNTERMINATED.search(tail)
    if cut is not None:
        log.add("encoded_word", f"{where}: encoded-word without its closing ?=")
        before = tail[: cut.start()]
        if before and not before.isspace():
            pieces.append(_decode_run(run, log, where, hints))
            pieces.append(before)
            run = []
        run.append((cut[1], cut[2].lower(), cut[3]))
        tail = ""
    pieces.append(_decode_run(run, log, where, hints))
    pieces.append(tail)
    return "".join(pieces)


def _same_charset(a: str, b: str) -> bool:
    first, second = resolve(a), resolve(b)
    if first.chain or second.chain:
        return first.chain == second.chain
    return first.label == second.label


def _decode_run(run: Sequence[Word], log: DefectLog, where: str, hints: Sequence[str]) -> str:
    """Decode adjacent encoded-words: one decode per stretch of the same charset, bytes joined first."""
    out: list[str] = []
    start = 0
    for index in range(1, len(run) + 1):
        if index == len(run) or not _same_charset(run[start][0], run[index][0]):
            data = _word_bytes(run[start:index], log, where)
            out.append(decode_text(data, run[start][0] or None, log, where, hints))
            start = index
    return "".join(out)


def _word_bytes(words: Iterable[Word], log: DefectLog, where: str) -> bytes:
    """The bytes of consecutive words in one charset. Base64 text is carried over to the next word while
    it is not a whole number of quanta: some encoders split the base64 text, not the bytes."""
    out = bytearray()
    pending = ""
    for _, encoding, encoded in words:
        if encoding == "b":
            pending += "".join(encoded.split())
            if pending.endswith("=") or len(pending) % 4 == 0:
                out += _b_decode(pending, log, where)
                pending = ""
            continue
        if pending:
            out += _b_decode(pending, log, where)
            pending = ""
        out += _q_decode(encoded, log, where)
    if pending:
        out += _b_decode(pending, log, where)
    return bytes(out)


def _b_decode(encoded: str, log: DefectLog, where: str) -> bytes:
    body = encoded.rstrip("=")
    clean = _B64_JUNK.sub("", body)
    if clean != body:
        log.add("encoded_word", f"{where}: characters outside base64 in an encoded-word dropped")
    if len(clean) % 4 == 1:
        log.add("encoded_word", f"{where}: base64 in an encoded-word ends with a stray character")
        clean = clean[:-1]
    padded = clean + "=" * (-len(clean) % 4)
    if len(encoded) % 4 and len(padded) != len(encoded):
        log.add("encoded_word", f"{where}: base64 padding in an encoded-word repaired")
    return binascii.a2b_base64(padded)


def _q_decode(encoded: str, log: DefectLog, where: str) -> bytes:
    data = encoded.replace("_", " ").encode("utf-8", "surrogateescape")
    if data.count(b"=") != len(_QP_ESCAPE.findall(data)):
        log.add("encoded_word", f"{where}: '=' not followed by two hex digits kept as it is")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), data)
