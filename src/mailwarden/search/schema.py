"""The index's fields and analysers, and opening an index generation on disk.

One document per archived server copy (an ``archive_messages`` row), so that ``folder:`` and ``mailbox:``
select copies exactly; results are collapsed by blob hash when shown (a message in INBOX and in a project
folder is one hit). Text fields come in threes (see :mod:`mailwarden.search.text`): ``F`` for Latin words,
``F_cjk2`` and ``F_cjk3`` for CJK grams.

Folder and mailbox are indexed by id, not name: a folder renamed on the server keeps its row, so the index
does not go stale, and ``folder:`` resolves names to ids when the query runs.

``SCHEMA_VERSION`` is written next to the index. An index of another version is not opened: the command
says to run ``archive reindex`` (which builds a new generation beside the old one, so searching keeps
working while it runs).
"""

from __future__ import annotations

from pathlib import Path

import tantivy

__all__ = [
    "SCHEMA_VERSION",
    "STORED_TEXT_CHARS",
    "TEXT_FIELDS",
    "build_schema",
    "latin_analyzer",
    "open_index",
    "register_analyzers",
]

#: bump when fields or analysers change; an index of another version needs ``archive reindex``
SCHEMA_VERSION = 1
#: text fields searched by plain words; each has ``_cjk2`` and ``_cjk3`` companions
TEXT_FIELDS = ("subject", "body", "attachment", "from", "to")
#: how much of the body is stored for snippets (the whole text is indexed)
STORED_TEXT_CHARS = 8192

LATIN = "mw_latin"
GRAMS = "mw_grams"
EXACT = "mw_exact"


def latin_analyzer() -> tantivy.TextAnalyzer:
    """Words split at anything not a letter or digit, lower case, folded to ASCII (Müller -> muller), and
    reduced to their English stem (samples -> sampl, shipped -> ship)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def register_analyzers(index: tantivy.Index) -> None:
    """Analysers are not stored in the index: register them on every open, before any writer or query."""
    index.register_tokenizer(LATIN, latin_analyzer())
    index.register_tokenizer(GRAMS, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    exact = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase()).build()
    index.register_tokenizer(EXACT, exact)


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("row_id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("mailbox_id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("folder_id", stored=True, indexed=True, fast=True)
    builder.add_date_field("date", stored=True, indexed=True, fast=True)
    builder.add_boolean_field("has_attachment", stored=True, indexed=True, fast=True)
    builder.add_text_field("sha256", stored=True, tokenizer_name="raw")
    # exact addresses (lower case) for from:/to: with a whole address; names and parts go to from/to
    builder.add_text_field("from_addr", stored=True, tokenizer_name=EXACT)
    builder.add_text_field("to_addr", tokenizer_name=EXACT)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=LATIN)
        builder.add_text_field(f"{name}_cjk2", tokenizer_name=GRAMS)
        builder.add_text_field(f"{name}_cjk3", tokenizer_name=GRAMS)
    # stored, not indexed: what a result shows (the text fields hold Latin words or grams, not the text), as
    # UTF-8 JSON: {"subject", "from_name", "text": the start of the body, for the snippet}
    builder.add_bytes_field("view", stored=True)
    return builder.build()


def open_index(path: Path, *, create: bool) -> tantivy.Index:
    """Open the index generation at ``path`` (creating it when ``create``), analysers registered.

    Raises ``OSError`` (or tantivy's ``ValueError``) when the directory is not a readable index; callers map
    that to a :class:`mailwarden.core.errors.StorageError` at their boundary.
    """
    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif not tantivy.Index.exists(str(path)):
        raise FileNotFoundError(str(path))
    index = tantivy.Index(build_schema(), path=str(path), reuse=True)
    register_analyzers(index)
    return index
