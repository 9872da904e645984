"""Highlighted snippets: where in a text the searched words are, and the best window to show.

Done here rather than by tantivy's snippet generator, which re-tokenises the stored text with the field's
own analyser: the CJK fields hold grams, not text, so it would find nothing to highlight in Chinese.
Spans are character offsets into the returned text, so the CLI can make them bold and the web UI can wrap
them in ``<mark>`` after escaping the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from mailwarden.search.text import CJK_RUN, normalize

__all__ = ["Span", "highlight", "pattern_for", "snippet"]

Span = tuple[int, int]
#: characters shown around the best place
WIDTH = 160


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def pattern_for(needles: Sequence[str]) -> re.Pattern[str] | None:
    """One regular expression finding any searched word: CJK runs as they are, Latin words from a word start
    with any ending (as typed and folded: a search for muller shows Müller only when typed so; the index
    found both)."""
    options: set[str] = set()
    for needle in needles:
        needle = normalize(needle)
        for run in CJK_RUN.findall(needle):
            options.add(re.escape(run))
        for word in re.findall(r"[^\W_]+\*?", CJK_RUN.sub(" ", needle)):
            word = word.rstrip("*")
            for form in {word, _fold(word)}:
                # a word's other forms too (the index stems: sample finds samples)
                options.add(r"\b" + re.escape(form) + r"[^\W_]*")
    if not options:
        return None
    # longest first, so "proforma invoice" words do not lose to a shorter alternative at the same place
    return re.compile("|".join(sorted(options, key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> list[Span]:
    return [] if pattern is None else [m.span() for m in pattern.finditer(text)]


def snippet(text: str, pattern: re.Pattern[str] | None, width: int = WIDTH) -> tuple[str, list[Span]]:
    """The window of ``text`` with the most distinct matches (the start when none), and the spans in it."""
    text = " ".join(text.split())
    spans = highlight(text, pattern)
    if not spans:
        cut = text[:width]
        return (cut + "…" if len(text) > width else cut), []
    best_start, best_score = 0, -1
    for start, _ in spans[:50]:
        window_start = max(0, start - width // 4)
        inside = {text[a:b].lower() for a, b in spans if window_start <= a and b <= window_start + width}
        if len(inside) > best_score:
            best_start, best_score = window_start, len(inside)
    end = min(len(text), best_start + width)
    lead = "…" if best_start > 0 else ""
    tail = "…" if end < len(text) else ""
    shift = len(lead) - best_start
    shown = [(a + shift, b + shift) for a, b in spans if best_start <= a and b <= end]
    return lead + text[best_start:end] + tail, shown
