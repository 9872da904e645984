"""Where the index lives: generations in ``<data_dir>/search``, the current one named in ``CURRENT``.

A reindex builds a new generation beside the current one and switches ``CURRENT`` (an atomic rename) when
it is complete, so search works throughout and a reindex that fails or is killed leaves the old index in
place. Each generation keeps its own ``state.json``: the indexing cursor (the highest archive row id
indexed), the row-id ranges the cursor passed that were not visible yet (see
:mod:`mailwarden.search.indexer`), and the problems met (attachments no library could read).

The index is derived data: deleting the whole folder loses nothing that ``archive reindex`` cannot rebuild.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tantivy

from mailwarden.core import clock
from mailwarden.core.errors import NotFoundError, StorageError
from mailwarden.search.schema import SCHEMA_VERSION, open_index

__all__ = ["MAX_KEPT_PROBLEMS", "IndexState", "IndexStore"]

#: problems kept in the state file (the count is kept in full)
MAX_KEPT_PROBLEMS = 1000


@dataclass
class IndexState:
    schema: int = SCHEMA_VERSION
    #: every visible row with an id up to this one is indexed (or in ``holes``)
    cursor: int = 0
    #: [first id, last id, first seen (ISO time)]: ids passed over, rechecked until they expire
    holes: list[list[Any]] = field(default_factory=list)
    problem_count: int = 0
    #: the newest ``MAX_KEPT_PROBLEMS``: {row_id, kind, detail, part}
    problems: list[dict[str, Any]] = field(default_factory=list)
    built_at: str | None = None
    updated_at: str | None = None
    #: the highest purge already removed from the index (see the purge code in the archive)
    purged_cursor: str | None = None

    def add_problems(self, found: list[dict[str, Any]]) -> None:
        self.problem_count += len(found)
        self.problems = (self.problems + found)[-MAX_KEPT_PROBLEMS:]


def _write_atomic(path: Path, text: str) -> None:
    """Write, fsync, rename: a crash leaves the old file or the new one, never half of one."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def _current_file(self) -> Path:
        return self.root / "CURRENT"

    def current(self) -> Path | None:
        """The current generation's folder, or None when no index was built yet."""
        try:
            name = self._current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(
                "search.unreadable", permanent=True, path=str(self.root), detail=str(exc)
            ) from exc
        return self.root / name if name else None

    def open(self, generation: Path | None = None) -> tuple[Path, tantivy.Index, IndexState]:
        """Open a generation (the current one by default). ``NotFoundError`` when there is none yet."""
        path = generation or self.current()
        if path is None:
            raise NotFoundError("search.no_index")
        state = self.read_state(path)
        if state.schema != SCHEMA_VERSION:
            raise NotFoundError("search.old_schema", found=state.schema, wanted=SCHEMA_VERSION)
        try:
            return path, open_index(path, create=False), state
        except (OSError, ValueError) as exc:
            raise StorageError("search.unreadable", permanent=True, path=str(path), detail=str(exc)) from exc

    def create(self) -> Path:
        """A new, empty generation (not current until :meth:`publish`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(dir=self.root, prefix=f"gen-{clock.now():%Y%m%dT%H%M%S}-"))
        try:
            open_index(path, create=True)
        except (OSError, ValueError) as exc:
            raise StorageError("search.unwritable", permanent=True, path=str(path), detail=str(exc)) from exc
        self.write_state(path, IndexState(built_at=clock.now().isoformat()))
        return path

    def publish(self, generation: Path) -> None:
        """Make ``generation`` current, then remove the others (readers that have one open keep its files)."""
        _write_atomic(self._current_file, generation.name + "\n")
        for other in self.root.glob("gen-*"):
            if other.is_dir() and other != generation:
                shutil.rmtree(other, ignore_errors=True)

    def read_state(self, generation: Path) -> IndexState:
        try:
            data = json.loads((generation / "state.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFoundError("search.no_index") from None
        except (OSError, ValueError) as exc:
            raise StorageError(
                "search.unreadable", permanent=True, path=str(generation), detail=str(exc)
            ) from exc
        known = {name for name in IndexState.__dataclass_fields__}
        return IndexState(**{key: value for key, value in data.items() if key in known})

    def write_state(self, generation: Path, state: IndexState) -> None:
        state.updated_at = clock.now().isoformat()
        try:
            _write_atomic(generation / "state.json", json.dumps(asdict(state), ensure_ascii=False, indent=1))
        except OSError as exc:
            raise StorageError(
                "search.unwritable", permanent=False, path=str(generation), detail=str(exc)
            ) from exc
