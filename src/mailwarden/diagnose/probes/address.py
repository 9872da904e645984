"""The address as typed: characters that look right and are not.

Chinese input methods switch to full-width forms (``ｓａｌｅｓ＠``, ``。`` for a dot); copy-paste brings
no-break and zero-width spaces; Cyrillic ``а`` looks like Latin ``a``. NFKC folds the full-width forms, and
confusable-homoglyphs names the look-alikes. Digit-for-letter slips (``sa1es``, ``yourc0mpany``) are only
suspicious, never certain, so they come with a guess that is shown and never used.
"""

from __future__ import annotations

import re
import unicodedata

from confusable_homoglyphs import confusables  # type: ignore[import-untyped]

from mailwarden.diagnose.evidence import AddressIssue, AddressResult

__all__ = ["inspect_address"]

_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]")
#: punctuation Chinese input methods type in place of the ASCII one (NFKC leaves 。 alone)
_IME_PUNCT = {"。": ".", "．": ".", "＠": "@", "｡": ".", "，": ","}
#: digits typed for the letters they resemble
_DIGIT_FOR_LETTER = {"0": "o", "1": "l"}


def _fold(char: str) -> str:
    return _IME_PUNCT.get(char) or unicodedata.normalize("NFKC", char)


def inspect_address(address: str) -> AddressResult:
    issues: list[AddressIssue] = []
    kept: list[str] = []
    for index, char in enumerate(address):
        if _SPACES.fullmatch(char):
            issues.append(AddressIssue("space", index, char, "", "whole"))
            continue
        folded = _fold(char)
        if folded != char:
            wide = unicodedata.east_asian_width(char) in ("F", "W")
            issues.append(AddressIssue("fullwidth" if wide else "nfkc", index, char, folded, "whole"))
        kept.append(folded)
    text = "".join(kept)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        issues.append(AddressIssue("syntax", 0, "@", "", "whole"))
        return AddressResult(address, text, local or text, domain if at else "", tuple(issues))
    issues += _confusables(local, 0, "local") + _confusables(domain, len(local) + 1, "domain")
    clean_local = "".join(_latin(c) for c in local)
    clean_domain = "".join(_latin(c) for c in domain).lower().rstrip(".")
    guess, slips = _digit_slips(clean_local, clean_domain, len(clean_local) + 1)
    issues += slips
    normalized = f"{clean_local}@{clean_domain}"
    return AddressResult(address, normalized, clean_local, clean_domain, tuple(issues), guess)


def _confusables(part: str, offset: int, where: str) -> list[AddressIssue]:
    found = confusables.is_confusable(part, preferred_aliases=["latin", "common"], greedy=True) or []
    issues = []
    for entry in found:
        char = entry["character"]
        latin = next((h["c"] for h in entry["homoglyphs"] if h["c"].isascii()), "")
        if not latin or char.isascii():
            continue
        index = offset + part.index(char)
        issues.append(AddressIssue("confusable", index, char, latin, where))  # type: ignore[arg-type]
    return issues


def _latin(char: str) -> str:
    if char.isascii():
        return char
    found = confusables.is_confusable(char, preferred_aliases=["latin", "common"], greedy=True) or []
    for entry in found:
        latin = next((h["c"] for h in entry["homoglyphs"] if h["c"].isascii()), "")
        if latin:
            return str(latin)
    return char


def _digit_slips(local: str, domain: str, domain_offset: int) -> tuple[str | None, list[AddressIssue]]:
    """A digit between letters of a word is a likely slip (``sa1es``, ``c0mpany``); digits at the end of a
    word (``sales2``, ``163.com``) are names."""
    issues: list[AddressIssue] = []
    out = []
    labels = domain.split(".")
    # the last label is the TLD and 163/126 are real names: only look at letter-digit-letter runs
    for offset, part, where in ((0, local, "local"), (domain_offset, ".".join(labels[:-1]), "domain")):
        fixed = list(part)
        for index, char in enumerate(part):
            if char not in _DIGIT_FOR_LETTER:
                continue
            before = part[index - 1] if index else ""
            after = part[index + 1] if index + 1 < len(part) else ""
            if before.isalpha() and after.isalpha():
                fixed[index] = _DIGIT_FOR_LETTER[char]
                issues.append(
                    AddressIssue("digit_letter", offset + index, char, fixed[index], where)  # type: ignore[arg-type]
                )
        out.append("".join(fixed))
    if not issues:
        return None, []
    guess_domain = ".".join([out[1], labels[-1]]) if len(labels) > 1 else domain
    return f"{out[0]}@{guess_domain}", issues
