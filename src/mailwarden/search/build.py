"""From a parsed :class:`~mailwarden.search.query.Query` to a tantivy query.

Each text is cut the way the index was (:mod:`mailwarden.search.text`): its Latin words through the same
analyser, its CJK runs into grams. In one field, every piece must match (a Latin word list as a phrase when
quoted or when it came from one written token like ``PI-2026-0412``, each CJK run as a gram term or a phrase
of grams); across fields any may match, weighted: a word in the subject counts more than one in the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

import tantivy

from mailwarden.core.errors import InputError
from mailwarden.search.query import Clause, Filter, Query, Text
from mailwarden.search.schema import latin_analyzer
from mailwarden.search.text import CJK_RUN, cjk_grams, normalize

__all__ = ["WEIGHTS", "Resolved", "to_tantivy"]

#: field -> boost of a match there, for words without a field
WEIGHTS = {"subject": 3.0, "from": 2.0, "to": 1.5, "body": 1.0, "attachment": 0.7}

Occur = tantivy.Occur
Q = tantivy.Query
#: folder/mailbox name -> ids, found by the caller (the database knows names; the index holds ids)
Resolved = Mapping[tuple[str, str], Sequence[int]]

_analyzer = latin_analyzer()


def _cjk(schema: tantivy.Schema, field: str, run: str) -> tantivy.Query:
    if len(run) == 1:
        # a lone character: any 2-gram that starts or ends with it, or itself (a one-character run)
        char = re.escape(run)
        return Q.regex_query(schema, f"{field}_cjk2", f"{char}.?|.{char}")
    if len(run) == 2:
        return Q.term_query(schema, f"{field}_cjk2", run)
    grams = cjk_grams(run, 3)
    if len(grams) == 1:
        return Q.term_query(schema, f"{field}_cjk3", grams[0])
    return Q.phrase_query(schema, f"{field}_cjk3", list[str | tuple[int, str]](grams))


def _latin(schema: tantivy.Schema, field: str, words: list[str], text: Text) -> tantivy.Query:
    if text.prefix and len(words) == 1:
        return Q.regex_query(schema, field, re.escape(words[0]) + ".*")
    if len(words) == 1:
        return Q.term_query(schema, field, words[0])
    return Q.phrase_query(schema, field, list[str | tuple[int, str]](words))


def _in_field(schema: tantivy.Schema, field: str, text: Text) -> tantivy.Query | None:
    value = normalize(text.value)
    pieces: list[tantivy.Query] = []
    for run in CJK_RUN.findall(value):
        pieces.append(_cjk(schema, field, run))
    latin = CJK_RUN.sub(" ", value)
    if text.phrase:
        words = _analyzer.analyze(latin)
        if words:
            pieces.append(_latin(schema, field, words, text))
    else:
        for token in latin.split():
            words = _analyzer.analyze(token)
            if words:
                pieces.append(_latin(schema, field, words, text))
    if not pieces:
        return None
    if len(pieces) == 1:
        return pieces[0]
    return Q.boolean_query([(Occur.Must, piece) for piece in pieces])


def _text(schema: tantivy.Schema, text: Text) -> tantivy.Query:
    fields = text.fields or tuple(WEIGHTS)
    options: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for field in fields:
        query = _in_field(schema, field, text)
        if query is not None:
            weight = WEIGHTS[field] if not text.fields else 1.0
            options.append((Occur.Should, Q.boost_query(query, weight) if weight != 1.0 else query))
    if text.address:
        exact = "from_addr" if "from" in fields else "to_addr"
        options.append((Occur.Should, Q.term_query(schema, exact, normalize(text.value).lower())))
    if not options:
        raise InputError("search.nothing_to_find", text=text.value)
    return options[0][1] if len(options) == 1 else Q.boolean_query(options)


def _ids(schema: tantivy.Schema, field: str, ids: Sequence[int]) -> tantivy.Query:
    if not ids:
        return Q.empty_query()
    return Q.term_set_query(schema, field, list(ids))


def _filter(schema: tantivy.Schema, atom: Filter, resolved: Resolved) -> tantivy.Query:
    if atom.kind == "has_attachment":
        return Q.term_query(schema, "has_attachment", True)
    if atom.kind in ("before", "after"):
        moment: datetime | None = atom.moment
        if atom.kind == "after":
            return Q.range_query(schema, "date", tantivy.FieldType.Date, lower_bound=moment)
        return Q.range_query(schema, "date", tantivy.FieldType.Date, upper_bound=moment, include_upper=False)
    field = "folder_id" if atom.kind == "folder" else "mailbox_id"
    return _ids(schema, field, resolved.get((atom.kind, atom.value), ()))


def _clause(schema: tantivy.Schema, clause: Clause, resolved: Resolved) -> tantivy.Query:
    parts = [
        _text(schema, atom)
        if isinstance(atom, Text)
        # a filter selects; it must not move a result up or down
        else Q.const_score_query(_filter(schema, atom, resolved), 0.0)
        for atom in clause.atoms
    ]
    return parts[0] if len(parts) == 1 else Q.boolean_query([(Occur.Should, part) for part in parts])


def to_tantivy(
    schema: tantivy.Schema, query: Query, resolved: Resolved, *, mailbox_ids: Sequence[int] | None = None
) -> tantivy.Query:
    """The tantivy query for ``query``; ``mailbox_ids`` limits it to the mailboxes the reader may see."""
    subqueries: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for clause in query.clauses:
        built = _clause(schema, clause, resolved)
        subqueries.append((Occur.MustNot if clause.negated else Occur.Must, built))
    if mailbox_ids is not None:
        subqueries.append((Occur.Must, _ids(schema, "mailbox_id", mailbox_ids)))
    return Q.boolean_query(subqueries)
