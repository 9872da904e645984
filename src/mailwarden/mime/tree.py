"""Raw bytes to a tree of parts, each with its IMAP section number ("1", "2.1", ...).

:mod:`.split` turns the bytes into a ``compat32`` message tree (``compat32`` keeps header values as sent
instead of decoding them with the labelled charset the way ``policy.default`` does). A ``Path`` is read
into memory once; the splitter decodes each part from that one buffer. Part numbers follow IMAP's
BODY[section] rules — a single-part message's body is "1", the children of a multipart are numbered from 1,
and a ``message/rfc822`` part is one part (its bytes are the attached message) — so the number recorded at
parse time both finds the part again in :func:`find` and can be handed to an IMAP server unchanged.

The splitter does not recurse, so nesting depth cannot exhaust the stack; a multipart nested ``MAX_DEPTH``
levels deep, or one whose parts would pass ``MAX_PARTS`` in all, keeps its body as one text part and the
message gets a ``too_complex`` defect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from mailwarden.mime.charsets import resolve
from mailwarden.mime.defects import DefectLog
from mailwarden.mime.encoded_words import unfold
from mailwarden.mime.fields import INDEX, content_type, header_index
from mailwarden.mime.params import HeaderValue, content_type_or_default, parse_header_value
from mailwarden.mime.split import Split, split

__all__ = ["MAX_DEPTH", "MAX_PARTS", "Node", "Tree", "build_tree", "find", "raw_header", "raw_headers"]

MAX_DEPTH = 40
MAX_PARTS = 2000
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)


@dataclass(slots=True)
class Node:
    """One MIME part: where it is, what it says it is, and (for multiparts) its children."""

    path: str
    part: Message
    content_type: str
    type_params: HeaderValue
    disposition: HeaderValue
    children: list[Node] = field(default_factory=list)
    #: a container whose children were parsed (False for leaves, including message/rfc822)
    container: bool = False

    @property
    def leaves(self) -> Iterator[Node]:
        stack = [self]
        while stack:
            node = stack.pop()
            if node.container:
                stack.extend(reversed(node.children))
            else:
                yield node

    @property
    def nodes(self) -> Iterator[Node]:
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass(slots=True)
class Tree:
    message: Message
    root: Node
    linesep: bytes
    #: charsets the message declares for its parts, CJK first: the best guess for its raw 8-bit headers
    hints: list[str]


def raw_headers(part: Message, name: str) -> Sequence[str]:
    """Every value of header ``name`` exactly as compat32 holds it (8-bit bytes as surrogates).

    The index's own list, not a copy: a message is asked for some fifty headers.
    """
    index = part.__dict__.get(INDEX) or header_index(part)
    return index.get(name.lower(), ())


def raw_header(part: Message, name: str) -> str | None:
    """The first value of header ``name``, or None."""
    index = part.__dict__.get(INDEX) or header_index(part)
    values = index.get(name.lower())
    return values[0] if values else None


def _linesep(first: bytes) -> bytes:
    newline = first.find(b"\n")
    return b"\r\n" if newline > 0 and first[newline - 1 : newline] == b"\r" else b"\n"


def _parse(raw: bytes | Path) -> tuple[Split, bytes]:
    # One copy of a file's bytes: the splitter decodes the parts' text out of it, then it is let go.
    data = raw.read_bytes() if isinstance(raw, Path) else raw
    return split(data, max_depth=MAX_DEPTH, max_parts=MAX_PARTS), _linesep(data[:4096])


def _structure_defects(part: Message, path: str, log: DefectLog) -> None:
    for defect in getattr(part, "defects", []):
        log.add("structure", f"part {path or 'message'}: {type(defect).__name__}")


def _node(part: Message, path: str, log: DefectLog, hints: list[str]) -> Node:
    where = f"part {path or 'message'}"
    index = part.__dict__.get(INDEX) or header_index(part)
    raw_types = index.get("content-type")
    if raw_types is None:
        type_params = parse_header_value(None, log, f"{where} Content-Type", hints)
        # the default depends on the parent (message/rfc822 inside multipart/digest); compat32 knows it
        media_type = part.get_default_type()
    else:
        type_params = parse_header_value(raw_types[0], log, f"{where} Content-Type", hints)
        media_type = content_type_or_default(type_params, log, where)
    dispositions = index.get("content-disposition")
    disposition = parse_header_value(dispositions[0] if dispositions else None, log, where, hints)
    if part.defects:
        _structure_defects(part, path, log)
    container = part.is_multipart() and content_type(part).startswith("multipart/")
    if container and not media_type.startswith("multipart/"):
        media_type = content_type(part)
    return Node(path, part, media_type, type_params, disposition, container=container)


def _charset_hints(message: Message) -> list[str]:
    """The non-Western charsets declared anywhere in the message, in order.

    Western labels are left out on purpose: windows-1252 decodes any bytes, so as a hint it would turn
    every raw GBK subject into Latin mojibake before the GBK prior or the detector had a say.
    """
    found: list[str] = []
    stack = [(message, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        seen += 1
        raw_types = (part.__dict__.get(INDEX) or header_index(part)).get("content-type")
        raw_type = raw_types[0] if raw_types else ""
        folded = "\n" in raw_type or "\r" in raw_type
        match = _CHARSET.search(unfold(raw_type) if folded else raw_type)
        if match is not None:
            label = match[1].strip("\"'")
            if resolve(label).family in {"cjk", "other"} and label not in found:
                found.append(label)
        payload = part.__dict__.get("_payload")  # get_payload() of a multipart: the list itself
        if isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))
    return sorted(found, key=lambda label: resolve(label).family != "cjk")


def build_tree(raw: bytes | Path, log: DefectLog) -> Tree:
    """Parse ``raw`` and number its parts. Raises only ``OSError`` (a ``Path`` that cannot be read)."""
    result, linesep = _parse(raw)
    message = result.message
    unsplit = {id(part) for part in result.unsplit}
    hints = _charset_hints(message)
    root = _node(message, "", log, hints)
    if not root.container:
        root.path = "1"
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node.part) in unsplit:
            where = "the message" if node is root else node.path
            log.add("too_complex", f"parts below {where} skipped (limits reached)")
        if not node.container:
            continue
        payload = node.part.get_payload()
        children = (
            [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []
        )
        prefix = f"{node.path}." if node.path else ""
        for number, child in enumerate(children, start=1):
            node.children.append(_node(child, f"{prefix}{number}", log, hints))
        stack.extend(reversed(node.children))
    return Tree(message, root, linesep, hints)


def find(tree: Tree, path: str) -> Node | None:
    """The part numbered ``path``, or None."""
    for node in tree.root.nodes:
        if node.path == path:
            return node
    return None
