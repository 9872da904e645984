"""Full-text search of the archive: a tantivy index derived from archived messages (docs/decisions/0011).

Importing the package imports nothing: the quick no-change sync reads :mod:`.cursor` and must stay light.
"""
