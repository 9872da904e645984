"""Charset labels as mail really uses them, and decoding that always returns text.

Labels lie in predictable ways, so each label resolves to a *chain* of codecs tried strictly in order:

* ``gb2312``, ``gbk``, ``x-gbk``, ``cp936``, ``euc-cn``, ``gb_2312-80`` → ``gb18030``. Chinese clients label
  GBK (and GB18030 four-byte) text as GB2312; GB18030 is a superset of all of them, so nothing decodes
  worse and 镕, 喆, € stop turning into U+FFFD.
* ``big5`` → ``big5hkscs`` then ``cp950`` (Hong Kong characters; the Windows euro sign).
* ``ks_c_5601-1987``/``euc-kr`` → ``cp949`` (Windows' superset: Outlook's Korean label).
* ``shift_jis`` → ``shift_jis`` then ``cp932`` (NEC/IBM extensions such as ①); ``iso-2022-jp`` → its
  ``-2``/``-ext`` supersets.
* ``iso-8859-1``, ``us-ascii``, ``windows-1252``: the "Western" labels are the most abused. Any byte string
  decodes as Latin-1, so "try the label first" would always succeed and never notice UTF-8 or GBK behind
  it. For these we try UTF-8 strictly first (Latin text is almost never valid UTF-8 by accident), then the
  detector when it finds a multi-byte charset, then windows-1252 (what every browser does with the label).
* misspellings and junk (``utf8``, ``UTF-8"``, ``unknown-8bit``, ``x-user-defined``) are cleaned up or
  treated as "no label".

With no usable label we guess: UTF-8, then the charsets the same message declares elsewhere (*hints*: a raw
GBK subject usually comes with a GB2312 body), then charset-normalizer on at most ``DETECT_LIMIT`` bytes.
The detector is unreliable on a few bytes (it reads a 10-byte GBK subject as Korean), so short text falls
back to GB18030 first — this archive serves a Chinese team, and GBK is by far the most common unlabelled
8-bit text it receives. Whatever happens the result is text: bytes no charset explains become U+FFFD with a
``text_replaced`` defect, and the archive still holds the raw bytes.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import charset_normalizer

from mailwarden.mime.defects import DefectLog

__all__ = ["DETECT_LIMIT", "Charset", "decode_guessing", "decode_text", "detect", "resolve"]

#: the detector reads at most this many bytes; its verdict does not get better with more
DETECT_LIMIT = 32 * 1024
#: below this many 8-bit bytes the detector guesses more than it detects
_DETECT_MINIMUM = 48

Family = Literal["unicode", "western", "cjk", "other", "unknown", "missing"]

_GB = ("gb18030",)
_BIG5 = ("big5hkscs", "cp950")
_KR = ("cp949",)
_SJIS = ("shift_jis", "cp932")


def _words(text: str) -> list[str]:
    return text.split()


_CHAINS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        _words(
            "gb2312 gbk x-gbk cp936 ms936 windows-936 936 euc-cn x-euc-cn gb_2312-80 gb2312-80 gb_2312"
            " csgb2312 chinese csiso58gb231280 iso-ir-58 gb18030 x-gb18030"
        ),
        _GB,
    ),
    **dict.fromkeys(_words("big5 big-5 x-big5 cn-big5 x-x-big5 csbig5 big5-hkscs big5hkscs"), _BIG5),
    "cp950": ("cp950", "big5hkscs"),
    **dict.fromkeys(
        _words(
            "ks_c_5601-1987 ks_c_5601-1989 ks_c_5601 ksc5601 ksc_5601 korean csksc56011987 iso-ir-149"
            " euc-kr x-euc-kr cp949 uhc windows-949 x-windows-949"
        ),
        _KR,
    ),
    **dict.fromkeys(_words("shift_jis shift-jis sjis x-sjis ms_kanji csshiftjis"), _SJIS),
    **dict.fromkeys(_words("windows-31j cp932 x-ms-cp932 ms932"), ("cp932", "shift_jis")),
    **dict.fromkeys(_words("iso-2022-jp csiso2022jp iso-2022-jp-2"), ("iso2022_jp_2", "iso2022_jp_ext")),
    **dict.fromkeys(_words("euc-jp x-euc-jp cseucpkdfmtjapanese"), ("euc_jp", "euc_jis_2004")),
    **dict.fromkeys(
        _words("utf-8 utf8 utf_8 x-utf8 x-utf-8 unicode-1-1-utf-8 unicode-2-0-utf-8 utf-8-sig"), ("utf-8",)
    ),
}
_WESTERN = frozenset(
    _words(
        "iso-8859-1 iso8859-1 iso_8859-1 iso_8859-1:1987 iso8859_1 latin1 latin-1 l1 cp819 ibm819"
        " csisolatin1 iso-ir-100 us-ascii ascii us ansi_x3.4-1968 iso646-us csascii cp367 ibm367 iso-ir-6"
        " windows-1252 cp1252 x-cp1252 win-1252"
    )
)
_ASCII_LABELS = frozenset(_words("us-ascii ascii us ansi_x3.4-1968 iso646-us csascii cp367 ibm367 iso-ir-6"))
_NO_LABEL = frozenset(
    _words(
        "unknown-8bit unknown x-unknown x-unknown-8bit x-user-defined default charset none binary 8bit 7bit"
    )
)
#: codecs Python knows that are no charset a mail could be written in
_NOT_CHARSETS = frozenset(
    _words(
        "base64 bz2 hex quopri rot-13 uu zlib idna punycode undefined raw-unicode-escape unicode-escape"
        " mbcs oem"
    )
)
#: codecs that never map bytes below 0x80 to anything but ASCII, so pure ASCII decodes as itself
_NOT_ASCII_SAFE = ("utf-16", "utf-32", "utf-7", "iso2022", "hz", "cp037", "cp500", "cp1140")
#: multi-byte charsets: a detector verdict worth overriding a Western label for
_MULTIBYTE = ("gb", "big5", "cp95", "cp949", "euc", "shift_jis", "cp932", "iso2022", "johab", "hz", "utf")


@dataclass(frozen=True, slots=True)
class Charset:
    """A resolved label: the codecs to try, in order, and what kind of label it was."""

    label: str
    chain: tuple[str, ...]
    family: Family

    @property
    def ascii_safe(self) -> bool:
        return bool(self.chain) and not any(c.startswith(_NOT_ASCII_SAFE) for c in self.chain)


def _clean(label: str) -> str:
    value = label.strip().strip("\"'`;,").strip().lower()
    # RFC 2231 lets an encoded-word carry a language: =?utf-8*en?Q?...?=
    return value.split("*", 1)[0].strip()


@lru_cache(maxsize=256)
def _python_codec(name: str) -> str | None:
    candidates = [name, name.replace("_", "-"), name.removeprefix("x-"), name.replace("windows-", "cp")]
    for candidate in candidates:
        try:
            codec = codecs.lookup(candidate).name
        except (LookupError, ValueError):  # ValueError: a NUL byte in the label
            continue
        return None if codec in _NOT_CHARSETS else codec
    return None


@lru_cache(maxsize=512)
def resolve(label: str | None) -> Charset:
    """What a charset label means in practice (see the module docstring for the mapping and why)."""
    if label is None or not label.strip():
        return Charset("", (), "missing")
    name = _clean(label)
    if name in _WESTERN:
        return Charset(name, ("cp1252", "latin-1"), "western")
    if name in _NO_LABEL or not name:
        return Charset(name, (), "unknown")
    chain = _CHAINS.get(name)
    if chain is not None:
        family: Family = "unicode" if chain == ("utf-8",) else "cjk"
        return Charset(name, chain, family)
    codec = _python_codec(name)
    if codec is None:
        return Charset(name, (), "unknown")
    if codec in {"cp1252", "latin-1", "iso8859-1", "ascii"}:
        return Charset(name, ("cp1252", "latin-1"), "western")
    if codec in {"gb2312", "gbk", "gb18030"}:
        return Charset(name, _GB, "cjk")
    return Charset(name, (codec,), "unicode" if codec.startswith("utf") else "other")


def _plain_ascii(data: bytes) -> bool:
    # ESC starts ISO-2022 shifts: 7-bit, but not ASCII text
    return data.isascii() and b"\x1b" not in data


def _cp936_euro(error: UnicodeError) -> tuple[str, int]:
    """Windows code page 936 (what "GBK" mail from Windows really is) has the euro sign at the single
    byte 0x80, which GB18030 lacks; 0x80 can never start a GB18030 character, so this cannot misread."""
    if isinstance(error, UnicodeDecodeError) and error.object[error.start] == 0x80:
        return "€", error.start + 1
    raise error


codecs.register_error("mailwarden-cp936-euro", _cp936_euro)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec, "mailwarden-cp936-euro" if codec == "gb18030" else "strict")
    except (UnicodeDecodeError, LookupError):
        return None


def detect(data: bytes) -> str | None:
    """charset-normalizer's best codec for ``data``, reading at most ``DETECT_LIMIT`` bytes, or None."""
    sample = data[:DETECT_LIMIT]
    if len(data) > DETECT_LIMIT:
        # cut at a line end so the sample does not end inside a multi-byte character
        end = sample.rfind(b"\n")
        if end > DETECT_LIMIT // 2:
            sample = sample[: end + 1]
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return None
    chain = resolve(best.encoding).chain
    return chain[0] if chain else best.encoding


_HIGH_BYTES = bytes(range(0x80, 0x100))
_C1_BYTES = bytes(range(0x80, 0xA0))


def _has_c1(data: bytes) -> bool:
    return len(data.translate(None, _C1_BYTES)) != len(data)


def _eight_bit_count(data: bytes) -> int:
    return len(data) - len(data.translate(None, _HIGH_BYTES))


def _gbk_plausible(data: bytes) -> str | None:
    """``data`` as GB18030 if it reads as ordinary GBK text: no four-byte forms, no private-use area.

    GB18030 accepts almost any pair of high bytes, so "it decodes" means little; text that stays inside
    GBK's two-byte repertoire is at least what a Chinese mail client would have produced.
    """
    text = _strict(data, "gb18030")
    if text is None:
        return None
    for char in text:
        if ord(char) < 0x80:
            continue
        if 0xE000 <= ord(char) <= 0xF8FF or (char != "€" and len(char.encode("gb18030")) != 2):
            return None
    return text


def _detected(data: bytes) -> tuple[str, str] | None:
    codec = detect(data)
    if codec is None:
        return None
    text = _strict(data, codec)
    return None if text is None else (text, codec)


def decode_guessing(data: bytes, hints: Iterable[str] = ()) -> tuple[str, str, bool]:
    """Decode bytes that carry no usable label: ``(text, codec, exact)``; ``exact`` False means U+FFFD.

    Order: UTF-8, the message's own declared charsets (``hints``), then the detector and the GBK prior —
    the prior first for short text, where the detector is mostly noise.
    """
    if b"\x1b" in data:  # ISO-2022 text is 7-bit, so it would pass as UTF-8 with its escapes showing
        for codec in ("iso2022_jp_2", "iso2022_kr"):
            text = _strict(data, codec)
            if text is not None and text != data.decode("latin-1"):
                return text, codec, True
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8", True
    for hint in hints:
        for codec in resolve(hint).chain:
            text = _strict(data, codec)
            if text is not None:
                return text, codec, True
    short = _eight_bit_count(data) < _DETECT_MINIMUM
    attempts = (_gbk_first, _detected) if short else (_detected, _gbk_first)
    for attempt in attempts:
        found = attempt(data)
        if found is not None:
            return found[0], found[1], True
    return data.decode("gb18030", "replace"), "gb18030", False


def _gbk_first(data: bytes) -> tuple[str, str] | None:
    text = _gbk_plausible(data)
    return None if text is None else (text, "gb18030")


def _prefer_utf8(data: bytes, family: Family) -> str | None:
    """UTF-8 text behind another label, recognised before the label is tried.

    A strict success under the label proves little: GB18030 decodes UTF-8 Chinese "successfully" as
    浣犲ソ-style mojibake, and a single-byte charset such as KOI8-R decodes anything. Valid UTF-8 is the
    stronger evidence: under a CJK label we want two characters from three-byte sequences (short GBK/Big5
    text can pass as a Latin two-byte sequence), under a single-byte label two non-ASCII characters.
    """
    if family not in {"cjk", "other"}:
        return None
    text = _strict(data, "utf-8")
    floor = 0x800 if family == "cjk" else 0x80
    if text is None or sum(1 for c in text if ord(c) >= floor) < 2:
        return None
    return text


def decode_text(data: bytes, label: str | None, log: DefectLog, where: str, hints: Iterable[str] = ()) -> str:
    """Decode ``data`` labelled ``label`` into text, never raising; what went wrong goes into ``log``."""
    if not data:
        return ""
    charset = resolve(label)
    if _plain_ascii(data) and (not charset.chain or charset.ascii_safe):
        return data.decode("ascii")
    if not charset.chain:
        guessed, codec, exact = decode_guessing(data, hints)
        detail = f"{where}: charset {charset.label or '(none)'!r}, decoded as {codec}"
        log.add("charset_missing" if charset.family == "missing" else "charset_unknown", detail)
        if not exact:
            log.add("text_replaced", f"{where}: undecodable bytes replaced")
        return guessed
    if charset.family == "western":
        return _decode_western(data, charset, log, where)
    utf8 = _prefer_utf8(data, charset.family)
    if utf8 is not None:
        log.add("charset_mislabelled", f"{where}: labelled {charset.label!r}, decoded as utf-8")
        return utf8
    for codec in charset.chain:
        text = _strict(data, codec)
        if text is not None:
            return text
    return _decode_mislabelled(data, charset, log, where)


def _decode_western(data: bytes, charset: Charset, log: DefectLog, where: str) -> str:
    text = _strict(data, "utf-8")
    if text is not None:
        log.add("charset_mislabelled", f"{where}: labelled {charset.label!r}, decoded as utf-8")
        return text
    if _eight_bit_count(data) >= _DETECT_MINIMUM:
        found = _detected(data)
        if found is not None and found[1].replace("-", "_").startswith(_MULTIBYTE):
            log.add("charset_mislabelled", f"{where}: labelled {charset.label!r}, decoded as {found[1]}")
            return found[0]
    text = _strict(data, "cp1252")
    if text is None:
        return data.decode("latin-1")
    # 8-bit bytes under an ASCII label, or C1 bytes (0x80-0x9F: smart quotes, €) under ISO-8859-1
    if charset.label in _ASCII_LABELS or ("1252" not in charset.label and _has_c1(data)):
        log.add("charset_mislabelled", f"{where}: labelled {charset.label!r}, decoded as windows-1252")
    return text


def _decode_mislabelled(data: bytes, charset: Charset, log: DefectLog, where: str) -> str:
    """The label's codecs all failed. A few bad bytes in otherwise good text (a truncated line, one
    corrupt character) should not hand the whole text to the detector, which may pick some single-byte
    charset that "decodes" everything into nonsense; so the label wins unless it fails a lot."""
    text = _strict(data, "utf-8")
    if text is not None:
        log.add("charset_mislabelled", f"{where}: labelled {charset.label!r}, decoded as utf-8")
        return text
    replaced = data.decode(charset.chain[0], "replace")
    many_errors = replaced.count("\ufffd") * 50 > len(replaced)
    if many_errors and _eight_bit_count(data) >= _DETECT_MINIMUM:
        found = _detected(data)
        if found is not None:
            log.add("charset_mislabelled", f"{where}: labelled {charset.label!r}, decoded as {found[1]}")
            return found[0]
    log.add("text_replaced", f"{where}: bytes not valid {charset.chain[0]}; undecodable bytes replaced")
    return replaced
