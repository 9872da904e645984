"""The query language's values, and the snippets that mark what was found."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailwarden.core.errors import InputError
from mailwarden.search.query import Filter, Text, parse
from mailwarden.search.snippet import pattern_for, snippet
from mailwarden.search.text import split

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_relative_and_absolute_dates() -> None:
    [after] = parse("after:30d", now=NOW).clauses[0].atoms
    assert isinstance(after, Filter) and after.moment == NOW - timedelta(days=30)
    [before] = parse("before:2026-03", now=NOW).clauses[0].atoms
    assert isinstance(before, Filter) and before.moment == datetime(2026, 3, 1, tzinfo=UTC)


def test_fields_phrases_prefixes_and_addresses() -> None:
    atoms = [c.atoms[0] for c in parse('from:Hans@X.de subject:"报价 单" invoic* -spam', now=NOW).clauses]
    assert atoms[0] == Text("Hans@X.de", ("from",), address=True)
    assert atoms[1] == Text("报价 单", ("subject",), phrase=True)
    assert atoms[2] == Text("invoic", prefix=True)
    assert parse("x -spam", now=NOW).clauses[1].negated


def test_or_joins_the_neighbours() -> None:
    clauses = parse("询盘 OR inquiry LED", now=NOW).clauses
    assert [len(c.atoms) for c in clauses] == [2, 1]


@pytest.mark.parametrize("text", ["a OR -b", "has:", "folder:", 'subject:""'])
def test_more_mistakes(text: str) -> None:
    with pytest.raises(InputError):
        parse(text, now=NOW)


def test_the_snippet_is_the_window_with_the_most_words_found() -> None:
    text = (
        "Dear Sir, "
        + "filler " * 60
        + "please quote FOB Ningbo for the LED panels, 询盘 attached. "
        + "x " * 80
    )
    shown, spans = snippet(text, pattern_for(["询盘", "led", "ningbo"]))
    marked = {shown[a:b].lower() for a, b in spans}
    assert marked == {"询盘", "led", "ningbo"}
    assert shown.startswith("…") and shown.endswith("…")


def test_other_forms_of_a_word_are_marked() -> None:
    shown, spans = snippet("Two samples were sent.", pattern_for(["sample"]))
    assert [shown[a:b] for a, b in spans] == ["samples"]


def test_no_match_shows_the_start() -> None:
    shown, spans = snippet("hello world", pattern_for(["absent"]))
    assert (shown, spans) == ("hello world", [])


@given(st.text(alphabet=st.sampled_from("询盘报价信用证 LEDab,。"), max_size=60))
def test_every_cjk_pair_of_the_text_is_a_gram(text: str) -> None:
    """Whatever two adjacent CJK characters a text holds, the 2-gram field has them: 询盘 is always found."""
    grams = set(split(text).cjk2.split())
    for first, second in itertools.pairwise(text):
        if "\u4e00" <= first <= "\u9fff" and "\u4e00" <= second <= "\u9fff":
            assert first + second in grams
