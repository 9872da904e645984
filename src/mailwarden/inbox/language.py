"""The language a customer writes in, for routing ("German inquiries to Anna") and reply templates.

Detector: ``py3langid`` (the maintained fork of langid.py: a naive Bayes model over byte n-grams, 4.5 MB,
about 85 µs a text). Measured on short inquiry texts in 17 languages (``bench/language_id.py``; the numbers
are in docs/decisions/0012): py3langid 44/46 right over all its 140 languages and 46/46 restricted to the
languages of ``LANGUAGES``; lingua 46/46 but 96 MB installed and over 1 GB of memory with all its models
loaded; pycld2 42/46, abstaining on four short texts (one Chinese); langdetect 43/46, and not
deterministic without a seed.
So: py3langid, restricted to the languages our customers write (restricting removes confusions such as
Portuguese taken for Galician), with its probability as the confidence.

Before the model sees the text: Hiragana or Katakana mean Japanese, Hangul means Korean, and text made
mostly of Han characters without kana is Chinese — rules that are right where a model can be unsure on
three characters ("请报价"). Addresses, links and numbers are removed first: they are the same in every
language and pull short texts towards English. Texts with fewer than ``MIN_LETTERS`` letters, or whose
best guess is below ``min_confidence``, get no language: "OK" says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["LANGUAGES", "MIN_LETTERS", "LanguageGuess", "detect_language"]

#: ISO 639-1 codes py3langid knows, of the markets a Chinese exporter sells to
LANGUAGES = (
    "en", "zh", "de", "es", "fr", "it", "pt", "ru", "ja", "ko", "ar", "tr", "pl", "nl", "vi", "th", "id",
    "ms", "cs", "sk", "sv", "da", "fi", "no", "he", "el", "uk", "hu", "ro", "hi", "fa", "bg", "hr", "sr",
    "sl", "lt", "lv", "et",
)  # fmt: skip
MIN_LETTERS = 3
#: characters looked at: more says nothing new about the language and costs time linearly
_SAMPLE = 3000
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NOISE = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+|[\d_]+")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str  # ISO 639-1
    confidence: float  # 0..1; 1.0 for the script rules
    method: str  # "script" or "py3langid"


@cache
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect_language(
    text: str, *, languages: tuple[str, ...] = LANGUAGES, min_confidence: float = 0.3
) -> LanguageGuess | None:
    """The language of ``text`` (the customer's own words: see :func:`.quoting.customer_text`), or None."""
    cleaned = _NOISE.sub(" ", text[:_SAMPLE])
    letters = sum(char.isalpha() for char in cleaned)
    if letters < MIN_LETTERS and not (_HAN.search(cleaned) and letters >= 2):
        return None
    if _KANA.search(cleaned) and "ja" in languages:
        return LanguageGuess("ja", 1.0, "script")
    hangul = len(_HANGUL.findall(cleaned))
    if hangul * 2 >= letters and "ko" in languages:
        return LanguageGuess("ko", 1.0, "script")
    if len(_HAN.findall(cleaned)) * 2 >= letters and "zh" in languages:
        return LanguageGuess("zh", 1.0, "script")
    # classify() only reads the model (set_languages, which changes it, ran once when it was made)
    code, confidence = _identifier(languages).classify(cleaned)
    if float(confidence) < min_confidence:
        return None
    return LanguageGuess(str(code), round(float(confidence), 3), "py3langid")
