"""Which parts are the message's text, and which are attachments.

A leaf part is *body text* when it is text/plain or text/html, not ``Content-Disposition: attachment`` and
has no file name; every other leaf is an attachment (inline images included, so ``cid:`` links resolve).
Body parts are chosen the way mail clients show them:

* ``multipart/alternative``: the last alternative that has plain text, and the last that has HTML (RFC 2046:
  later alternatives are the more faithful ones);
* ``multipart/related``: only the root (the ``start`` parameter, else the first part);
* any other multipart (mixed, report, signed, ...): every child in order, joined.

The text is the chosen text/plain parts joined by a line break; if they hold nothing but white space, it is
made from the HTML (``text_from_html``) so search and previews still see words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from mailwarden.mime.addresses import message_id
from mailwarden.mime.charsets import decode_text
from mailwarden.mime.defects import DefectLog
from mailwarden.mime.encoded_words import header_text
from mailwarden.mime.html_text import html_to_text
from mailwarden.mime.message import Attachment
from mailwarden.mime.transfer import digest, part_bytes
from mailwarden.mime.tree import Node, Tree, raw_header

__all__ = ["Bodies", "collect_bodies"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_NEWLINES = re.compile(r"\r\n?")
T = TypeVar("T")


@dataclass(slots=True)
class Bodies:
    text: str = ""
    text_from_html: bool = False
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def _filename(node: Node) -> str | None:
    name = node.disposition.params.get("filename") or node.type_params.params.get("name")
    return name or None


def _is_body(node: Node) -> bool:
    if node.disposition.value == "attachment" or _filename(node) is not None:
        return False
    return node.content_type in {"text/plain", "text/html"} or node.content_type.startswith("multipart/")


def _is_html(node: Node) -> bool:
    return node.content_type == "text/html"


def _chosen(node: Node) -> tuple[list[Node], list[Node]]:
    """The (plain, html) body parts below ``node``, in order."""
    if not node.container:
        if not _is_body(node):
            return [], []
        return ([], [node]) if _is_html(node) else ([node], [])
    subtype = node.content_type.partition("/")[2]
    if subtype == "alternative":
        found = [_chosen(child) for child in node.children]
        plain = next((p for p, _ in reversed(found) if p), [])
        html = next((h for _, h in reversed(found) if h), [])
        return plain, html
    if subtype == "related" and node.children:
        return _chosen(_related_root(node))
    plain, html = [], []
    for child in node.children:
        more_plain, more_html = _chosen(child)
        plain += more_plain
        html += more_html
    return plain, html


def _related_root(node: Node) -> Node:
    start = message_id(node.type_params.params.get("start"))
    if start:
        for child in node.children:
            if message_id(raw_header(child.part, "content-id")) == start:
                return child
    return node.children[0]


def _decode(node: Node, tree: Tree, log: DefectLog) -> str:
    where = f"part {node.path}"
    data = part_bytes(node.part, log, where, tree.linesep)
    label = node.type_params.params.get("charset")
    if not label and _is_html(node):
        meta = _META_CHARSET.search(data[:4096])
        label = meta[1].decode("ascii") if meta else None
    if node.content_type.startswith("multipart/"):
        log.add("structure", f"{where}: {node.content_type} without usable parts, read as text")
    text = decode_text(data, label, log, where, tree.hints)
    return _NEWLINES.sub("\n", text)


def _attachment(node: Node, tree: Tree, log: DefectLog) -> Attachment:
    sha256, size = digest(node.part, log, f"part {node.path}", tree.linesep)
    raw_id = raw_header(node.part, "content-id")
    content_id = message_id(header_text(raw_id, log, f"part {node.path} Content-ID")) if raw_id else None
    return Attachment(
        part_path=node.path,
        filename=_filename(node),
        content_type=node.content_type,
        disposition=node.disposition.value or None,
        content_id=content_id,
        size=size,
        sha256=sha256,
    )


def collect_bodies(tree: Tree, log: DefectLog, *, text: bool = True) -> Bodies:
    """Decode the body text and HTML of ``tree`` (unless ``text`` is False) and describe every attachment.

    Each part is decoded under its own guard: one part that trips a bug costs that part, not the message.
    """
    bodies = Bodies()
    if text:
        _texts(tree, log, bodies)
    leaves = [node for node in tree.root.leaves if not _is_body(node)]
    bodies.attachments = _each(leaves, lambda node: _attachment(node, tree, log), log, "attachment")
    return bodies


def _texts(tree: Tree, log: DefectLog, bodies: Bodies) -> None:
    plain_nodes, html_nodes = _chosen(tree.root)
    plain = _each(plain_nodes, lambda node: _decode(node, tree, log), log, "body")
    html = _each(html_nodes, lambda node: _decode(node, tree, log), log, "body")
    bodies.text, bodies.html = "\n".join(plain), "\n".join(html) if html else None
    if not bodies.text.strip() and bodies.html:
        with log.guard("html to text"):
            bodies.text = html_to_text(bodies.html)
            bodies.text_from_html = True


def _each(nodes: Sequence[Node], work: Callable[[Node], T], log: DefectLog, stage: str) -> list[T]:
    results: list[T] = []
    for node in nodes:
        with log.guard(f"{stage} part {node.path}"):
            results.append(work(node))
    return results
