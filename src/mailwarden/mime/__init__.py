"""MIME parsing that never loses text and never raises on bad input.

``parse_message(raw)`` turns raw message bytes into a :class:`ParsedMessage` of plain values: identifiers,
addresses, date, subject, body text and HTML, attachments (described, with a SHA-256 and an IMAP part
number, not held), auto-reply signals, and the ``defects`` found on the way. ``extract_part(raw, path)``
returns one part's decoded bytes later.

Built on the stdlib's ``email.message.Message`` with ``policy=compat32`` plus our own charset layer, because
``policy.default`` decodes headers with the labelled charset and GB2312-labelled GBK mail (most Chinese mail)
loses characters such as 镕 and 喆 (``tests/unit/mime/test_mime_policy.py`` shows it). The tree is built
by our own splitter, which gives the stdlib parser's tree several times faster (docs/decisions/0007).
Modules, bottom up:

* :mod:`.defects`   — ``Defect``, the per-message ``DefectLog`` and its "never raise" guard
* :mod:`.charsets`  — what charset labels really mean; decoding that always returns text
* :mod:`.encoded_words` — RFC 2047 and raw 8-bit header text
* :mod:`.params`    — Content-Type/Content-Disposition parameters, RFC 2231
* :mod:`.addresses` — address lists (IDN), message identifiers
* :mod:`.dates`     — the Date header, leniently
* :mod:`.transfer`  — Content-Transfer-Encoding, streamed for hashing
* :mod:`.split`     — raw bytes to a compat32 message tree, boundaries found with ``bytes.find``
* :mod:`.tree`      — that tree's parts, numbered
* :mod:`.bodies`    — body text and HTML vs. attachments; :mod:`.html_text` — text from HTML
* :mod:`.parse`     — the two entry points
"""

from mailwarden.mime.addresses import Address
from mailwarden.mime.charsets import decode_text, resolve
from mailwarden.mime.defects import DEFECT_KINDS, Defect, DefectKind
from mailwarden.mime.html_text import html_to_text
from mailwarden.mime.message import Attachment, AutoReplySignals, ParsedMessage
from mailwarden.mime.parse import INTERESTING_HEADERS, extract_part, extract_parts, parse_message

__all__ = [
    "DEFECT_KINDS",
    "INTERESTING_HEADERS",
    "Address",
    "Attachment",
    "AutoReplySignals",
    "Defect",
    "DefectKind",
    "ParsedMessage",
    "decode_text",
    "extract_part",
    "extract_parts",
    "html_to_text",
    "parse_message",
    "resolve",
]
