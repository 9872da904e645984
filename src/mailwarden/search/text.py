"""Splitting text for the index: word tokens for Latin script, overlapping n-grams for CJK.

Chinese has no spaces between words, so a word tokenizer sees "客户询盘报价" as one token and finds nothing
for 询盘. SQLite FTS5's trigram tokenizer finds nothing for any two-character term (the shortest pattern it
can look up is three characters), and two-character words — 询盘, 报价, 样品, 订单 — are most of a trade
vocabulary. So CJK runs are indexed as overlapping 2-grams and 3-grams in fields of their own (the CJK
analyser of Lucene and Elasticsearch, ``cjk_bigram``, plus trigrams):

* a 2-character query is one term of the 2-gram field;
* a 3-character query is one term of the 3-gram field — cheaper than a phrase of two 2-grams when the
  characters are common, and 信用证 is common in a trade archive;
* a longer query is a phrase of its 3-grams (positions are consecutive within a run);
* a single character is looked up as a prefix or suffix of the 2-grams (rare, and slower).

The Latin part (CJK runs replaced by spaces) goes to tantivy's own word tokenizer, lower-cased, folded to
ASCII (Müller finds muller) and stemmed for English (a search for sample finds samples: the benchmark
showed a word index without stemming finding half of what a substring search finds for it). Product codes
and model numbers are digits and letters the stemmer leaves alone. Text is NFKC-normalised first, which
turns full-width ＬＥＤ and ２０２６ into LED and 2026.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["CJK_RUN", "Split", "cjk_grams", "normalize", "split"]

#: Han (with Extension A and compatibility ideographs), kana and Hangul: scripts written without spaces
CJK_RUN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]+"
)


@dataclass(frozen=True, slots=True)
class Split:
    """One text as the index takes it: ``latin`` for the word tokenizer, ``cjk2``/``cjk3`` joined grams."""

    latin: str
    cjk2: str
    cjk3: str


def normalize(text: str) -> str:
    """NFKC: full-width Latin and digits become ASCII; the same on both sides of the index."""
    return unicodedata.normalize("NFKC", text)


def cjk_grams(run: str, n: int) -> list[str]:
    """Overlapping ``n``-grams of one CJK run; a run shorter than ``n`` gives nothing."""
    return [run[i : i + n] for i in range(len(run) - n + 1)]


def split(text: str) -> Split:
    """Cut ``text`` into its Latin words and its CJK 2-grams and 3-grams.

    A one-character CJK run (a lone 单 between Latin words) is kept as itself in the 2-gram field, so that it
    can still be found. Runs are separated in the gram fields by the tokenizer's positions only; a phrase
    across two runs needs a gram that spans them, which is never produced, so "询盘。报价" does not match
    "询盘报价".
    """
    text = normalize(text)
    runs = CJK_RUN.findall(text)
    if not runs:
        return Split(text, "", "")
    two: list[str] = []
    three: list[str] = []
    for run in runs:
        if len(run) == 1:
            two.append(run)
            continue
        two.extend(cjk_grams(run, 2))
        three.extend(cjk_grams(run, 3))
    return Split(CJK_RUN.sub(" ", text), " ".join(two), " ".join(three))
