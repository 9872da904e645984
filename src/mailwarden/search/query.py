"""The search query language, parsed into plain values (no index needed to parse).

::

    询盘 LED                     both words, anywhere (subject, people, body, attachments)
    "proforma invoice"          a phrase
    invoic*                     a word prefix (Latin words)
    from:hans@example.de        the sender's address; from:example.de the domain; from:王经理 a name
    to:buyer@x.com  cc:...      recipients (To, Cc and Bcc)
    subject:报价                 the subject only;  body:..., attachment:... (text and file names)
    has:attachment              with attachments
    after:2026-03-01 before:2026-04-01   by date (after: on or after the day; before: before it);
                                also after:30d, after:2w, after:6m, after:1y (counted back from now)
    folder:INBOX folder:sent     a folder by name, or by its special use (sent, drafts, archive, junk, trash)
    mailbox:sales               a mailbox by its mailwarden name
    -word  -from:x              leave out
    报价 OR quotation            either

Words in a row must all match; ``OR`` joins the words on each side of it. A ``name:`` that is not one of
the fields above is searched as text (so ``http://x`` or ``09:30`` work). A query with only filters lists
the newest messages first.

Mistakes (an unclosed quote, a bad date, ``has:`` something unknown, an empty query) raise
:class:`~mailwarden.core.errors.InputError` saying which part is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from mailwarden.core import clock
from mailwarden.core.errors import InputError

__all__ = ["Clause", "Filter", "Query", "Text", "parse"]

#: name: -> the index fields a value is searched in
TEXT_FIELDS = {
    "from": ("from",),
    "to": ("to",),
    "cc": ("to",),
    "subject": ("subject",),
    "body": ("body",),
    "attachment": ("attachment",),
    "filename": ("attachment",),
}
FILTERS = ("has", "before", "after", "folder", "mailbox")
_TOKEN = re.compile(r'\s*(-?)(?:([A-Za-z]+):)?("(?:[^"]*)"?|\S+)')
_RELATIVE = re.compile(r"(\d{1,4})([dwmy])")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass(frozen=True, slots=True)
class Text:
    """Text to find in ``fields`` (empty: the default set); a phrase when quoted, a prefix with ``*``."""

    value: str
    fields: tuple[str, ...] = ()
    phrase: bool = False
    prefix: bool = False
    address: bool = False  # from:/to: with a whole address: matched exactly as well


@dataclass(frozen=True, slots=True)
class Filter:
    """``has:attachment``, a date bound, or a folder/mailbox name to resolve to ids."""

    kind: str  # "has_attachment" | "before" | "after" | "folder" | "mailbox"
    value: str = ""
    moment: datetime | None = None


Atom = Text | Filter


@dataclass(frozen=True, slots=True)
class Clause:
    """One or more atoms joined by OR; ``negated`` for a leading ``-``."""

    atoms: tuple[Atom, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    clauses: tuple[Clause, ...] = field(default_factory=tuple)

    @property
    def has_text(self) -> bool:
        return any(isinstance(a, Text) for c in self.clauses if not c.negated for a in c.atoms)

    def names(self, kind: str) -> set[str]:
        """The folder or mailbox names the query mentions, for the caller to resolve."""
        return {a.value for c in self.clauses for a in c.atoms if isinstance(a, Filter) and a.kind == kind}

    def needles(self) -> list[str]:
        """The texts searched for, for highlighting (negated ones are not shown)."""
        return [a.value for c in self.clauses if not c.negated for a in c.atoms if isinstance(a, Text)]


def _day(text: str, now: datetime) -> datetime:
    relative = _RELATIVE.fullmatch(text.lower())
    if relative:
        return now - timedelta(days=int(relative.group(1)) * _DAYS[relative.group(2)])
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m", "%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("search.bad_date", value=text) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _atom(name: str | None, raw: str, now: datetime) -> Atom:
    if name is None and raw.endswith(":") and raw[:-1].lower() in (*FILTERS, *TEXT_FIELDS):
        raise InputError("search.empty_value", name=raw[:-1].lower())  # "has:" with nothing after it
    quoted = raw.startswith('"')
    if quoted and (len(raw) < 2 or not raw.endswith('"')):
        raise InputError("search.unclosed_quote", text=raw)
    value = raw[1:-1].strip() if quoted else raw
    key = name.lower() if name else None
    if key in ("has", "before", "after", "folder", "mailbox") and not value:
        raise InputError("search.empty_value", name=key)
    if key == "has":
        if value.lower() not in ("attachment", "attachments"):
            raise InputError("search.unknown_has", value=value)
        return Filter("has_attachment")
    if key in ("before", "after"):
        return Filter(key, value, _day(value, now))
    if key in ("folder", "mailbox"):
        return Filter(key, value)
    if not value:
        raise InputError("search.empty_value", name=key or '""')
    if key is not None and key not in TEXT_FIELDS:
        # not a field of ours: the whole thing is text (a URL, a time of day, "L/C:")
        return _atom(None, f"{name}:{raw}", now)
    prefix = not quoted and value.endswith("*") and len(value) > 1
    if prefix:
        value = value.rstrip("*")
    fields = TEXT_FIELDS[key] if key else ()
    address = key in ("from", "to", "cc") and "@" in value and " " not in value
    return Text(value, fields, phrase=quoted, prefix=prefix, address=address)


def parse(text: str, *, now: datetime | None = None) -> Query:
    """Parse ``text``; raises ``InputError`` for an empty or malformed query."""
    now = now or clock.now()
    clauses: list[Clause] = []
    join_next = False
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
        negated, name, raw = match.group(1) == "-", match.group(2), match.group(3)
        if raw == "OR" and not negated and name is None:
            if not clauses or join_next:
                raise InputError("search.dangling_or")
            join_next = True
            continue
        atom = _atom(name, raw, now)
        if join_next:
            last = clauses.pop()
            if last.negated or negated:
                raise InputError("search.negated_or")
            clauses.append(Clause((*last.atoms, atom)))
            join_next = False
        else:
            clauses.append(Clause((atom,), negated=negated))
    if join_next:
        raise InputError("search.dangling_or")
    if not clauses:
        raise InputError("search.empty_query")
    if all(clause.negated for clause in clauses):
        raise InputError("search.only_negated")
    return Query(tuple(clauses))
