"""What was wrong with a message, recorded instead of raised.

Mail in an archive is whatever was sent: truncated, mislabelled, hand-rolled by a 2005 web form. The parser
promises never to raise on such input, so every surprise becomes a :class:`Defect` — a stable ``kind`` that
code can act on and a ``detail`` (English, technical, with the header name or part path) for people. The
text is kept as well as it can be; the raw bytes are kept by the archive anyway, so a defect never means
lost mail, only a decoded view that may be imperfect.

Hostile input could produce a defect per byte, so a :class:`DefectLog` keeps at most ``limit`` of them and
says so once when it starts dropping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, get_args

from mailwarden.core import i18n

__all__ = ["DEFECT_KINDS", "Defect", "DefectKind", "DefectLog"]

logger = logging.getLogger(__name__)

DefectKind = Literal[
    "unreadable",  # the input could not be read at all (a missing file, say)
    "structure",  # the MIME structure is broken (missing boundary, header block without an end, ...)
    "too_complex",  # nesting, part or defect limits reached; the rest was skipped
    "charset_unknown",  # a charset label nobody knows: the text was decoded by detection
    "charset_missing",  # 8-bit text without any charset label: decoded by detection
    "charset_mislabelled",  # the bytes are not in the labelled charset: decoded as another one
    "text_replaced",  # some bytes fit no charset tried: they became U+FFFD in the text (raw bytes kept)
    "header_8bit",  # a header holds raw 8-bit bytes instead of RFC 2047 encoded-words
    "encoded_word",  # a malformed RFC 2047 encoded-word (bad base64, no end, ...), decoded as far as it goes
    "parameter",  # a malformed Content-Type/Content-Disposition parameter or RFC 2231 continuation
    "transfer_encoding",  # bad base64 or an unknown Content-Transfer-Encoding
    "address",  # an address header that yields no address
    "date",  # no Date header, or one we could not read, or one without a time zone
    "message_id",  # no Message-ID, or a malformed one
    "header_repeated",  # a header that must appear once appears more than once; the first one is used
    "internal",  # a bug in mailwarden: an unexpected exception, caught so the message still parses
]
DEFECT_KINDS: tuple[DefectKind, ...] = get_args(DefectKind)

#: a detail longer than this is cut: it is for people, and the raw message is kept anyway
_DETAIL_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Defect:
    """One thing wrong with a message: a stable ``kind`` and a technical ``detail`` saying where."""

    kind: DefectKind
    detail: str

    def render(self, lang: str = i18n.EN) -> str:
        """The defect explained in ``lang`` (zh-CN or en), with the detail quoted as recorded."""
        return i18n.t(f"mime.defect.{self.kind}", lang, detail=self.detail)


class DefectLog:
    """Collects defects for one message, keeping at most ``limit``."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self.items: list[Defect] = []
        self._dropped = 0

    def add(self, kind: DefectKind, detail: str) -> None:
        if len(detail) > _DETAIL_LIMIT:
            detail = detail[: _DETAIL_LIMIT - 1] + "…"
        if len(self.items) < self.limit:
            self.items.append(Defect(kind, detail))
        else:
            self._dropped += 1

    def result(self) -> list[Defect]:
        """The defects, plus one ``too_complex`` saying how many were dropped, if any."""
        if not self._dropped:
            return list(self.items)
        return [*self.items, Defect("too_complex", f"{self._dropped} more defects not recorded")]

    def guard(self, stage: str) -> _Guard:
        """Run one stage of parsing; an unexpected exception becomes an ``internal`` defect.

        ``parse_message`` promises never to raise, and one broken header must not cost the body, so each
        stage runs under its own guard and the others still produce their fields. (A class rather than
        ``@contextmanager``: a message passes some forty guards, and the generator version was a tenth of
        the parsing time.)
        """
        return _Guard(self, stage)


class _Guard:
    __slots__ = ("log", "stage")

    def __init__(self, log: DefectLog, stage: str) -> None:
        self.log, self.stage = log, stage

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False  # KeyboardInterrupt and the like go on
        # the promise is "never raises"; the defect records the bug
        self.log.add("internal", f"{self.stage}: {type(exc).__name__}: {exc}")
        # the type only: the message may be in the exception text, and mail content stays out of logs
        logger.warning("mime: parsing stage %s failed with %s", self.stage, type(exc).__name__)
        return True
