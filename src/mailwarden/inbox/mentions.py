"""``@name`` in a note: which agents it mentions, and which ``@words`` name nobody.

Agent names may hold spaces ("Anna Weber") and be Chinese ("王芳"), and Chinese text puts no space after a
name: "@王芳请看一下" mentions 王芳. So at each ``@`` the *longest* agent name that follows (compared
case-insensitively, NFKC-folded so a full-width ＠ or letter matches) wins, and after a name that ends in a
letter or digit of a spaced script the next character must not continue the word ("@anna" does not mention
"ann"). An ``@`` inside a word is an e-mail address (``anna@example.com``), never a mention. An ``@word``
naming nobody is left as text and reported, so the writer can correct a typo instead of believing a
colleague was told.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Mentions", "find_mentions"]

#: characters that end an unknown ``@word`` (besides white space)
_STOP = set(",.;:!?()[]{}<>\"'，。；：！？（）【】《》「」、")


@dataclass(frozen=True)
class Mentions:
    #: agent names mentioned, as the agents spell them, in order of first mention, each once
    agents: tuple[str, ...]
    #: ``@words`` that name no agent, as written (without the ``@``), each once
    unknown: tuple[str, ...]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _wordlike(char: str) -> bool:
    """A character that continues a word in a spaced script (Latin, Cyrillic, digits): not CJK, whose
    names are followed directly by text."""
    if not (char.isalnum() or char == "_"):
        return False
    return not unicodedata.name(char, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


def find_mentions(text: str, agent_names: Iterable[str]) -> Mentions:
    """The agents ``text`` mentions and the unknown ``@words`` (see the module docstring)."""
    folded_names = sorted(((_fold(n), n) for n in agent_names if n.strip()), key=lambda p: -len(p[0]))
    folded = _fold(text)
    # NFKC can change lengths (ligatures): work on the folded text only, and report unknown words from it
    agents: dict[str, None] = {}
    unknown: dict[str, None] = {}
    i = 0
    while i < len(folded):
        if folded[i] != "@" or (i > 0 and (_wordlike(folded[i - 1]) or folded[i - 1] in ".-+")):
            i += 1
            continue
        start = i + 1
        for key, name in folded_names:
            end = start + len(key)
            if folded.startswith(key, start) and not (
                end < len(folded) and _wordlike(key[-1]) and _wordlike(folded[end])
            ):
                agents.setdefault(name)
                i = end
                break
        else:
            end = start
            while (
                end < len(folded)
                and not folded[end].isspace()
                and folded[end] not in _STOP
                and folded[end] != "@"
            ):
                end += 1
            if end > start:
                unknown.setdefault(folded[start:end])
            i = max(end, start)
    return Mentions(tuple(agents), tuple(unknown))
