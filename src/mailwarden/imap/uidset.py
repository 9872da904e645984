"""A set of UIDs kept as sorted, merged ranges: ``1:5,7,9:12`` is three ranges, not nine integers.

Mailboxes have hundreds of thousands of messages with mostly consecutive UIDs, so a SEARCH answer, the
VANISHED list after a resync, or "everything not yet archived" is a handful of ranges. Holding them as ranges
keeps them small, makes ``len`` and ``in`` cheap, and gives the wire form back without work.

``*`` ("the highest UID in use", RFC 3501 9) can be parsed and formatted but not counted, searched or
iterated: only the server knows what it means (``9:*`` includes UID 5 when 5 is the highest).
:meth:`UidSet.chunks` splits a set into pieces for pipelined commands, bounded both in UIDs (work per
command) and in ranges (a sparse set must not make a command line longer than the server accepts; Dovecot's
limit is 64 KiB).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from typing import TypeAlias

__all__ = ["MAX_UID", "UidSet"]

#: UIDs are non-zero 32-bit numbers (RFC 3501 2.3.1.1)
MAX_UID = 0xFFFFFFFF

#: a range's end; None stands for "*"
_End: TypeAlias = "int | None"
_ITEM = re.compile(r"(\d+|\*)(?::(\d+|\*))?")


def _number(text: str, source: str) -> int | None:
    if text == "*":
        return None
    value = int(text)
    if not 0 < value <= MAX_UID:
        raise ValueError(f"UID {value} is out of range in {source!r}")
    return value


class UidSet:
    """An immutable set of UIDs; build it with :meth:`parse`, :meth:`of` or :meth:`range`.

    >>> s = UidSet.parse("9:12,1:5,7")
    >>> str(s), len(s), 7 in s, 8 in s
    ('1:5,7,9:12', 10, True, False)
    """

    __slots__ = ("_ends", "_open", "_starts")

    def __init__(self, ranges: Iterable[tuple[int, _End]] = ()) -> None:
        closed: list[tuple[int, int]] = []
        open_from: int | None = None
        for start, end in ranges:
            if end is None:
                open_from = start if open_from is None else min(open_from, start)
                continue
            low, high = min(start, end), max(start, end)
            if not 0 < low <= high <= MAX_UID:
                raise ValueError(f"UID range {start}:{end} is out of range")
            closed.append((low, high))
        closed.sort()
        starts: list[int] = []
        ends: list[int] = []
        for low, high in closed:
            if ends and low <= ends[-1] + 1:
                ends[-1] = max(ends[-1], high)
            else:
                starts.append(low)
                ends.append(high)
        if open_from is not None:  # "n:*" swallows every closed range that reaches n
            while ends and ends[-1] + 1 >= open_from:
                open_from = min(open_from, starts.pop())
                ends.pop()
        self._starts: tuple[int, ...] = tuple(starts)
        self._ends: tuple[int, ...] = tuple(ends)
        self._open: int | None = open_from

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str | bytes) -> UidSet:
        """``"1:5,7,9:*"`` (a sequence-set as IMAP writes it); ``ValueError`` if malformed."""
        source = text.decode("ascii", "replace") if isinstance(text, bytes) else text
        if not source:
            raise ValueError("an empty UID set")
        ranges: list[tuple[int, _End]] = []
        for item in source.split(","):
            m = _ITEM.fullmatch(item)
            if m is None:
                raise ValueError(f"{item!r} is not a UID or range in {source!r}")
            first = _number(m[1], source)
            second = first if m[2] is None else _number(m[2], source)
            if first is not None and second is not None:
                ranges.append((first, second))
            else:  # "n:*" and "*:n" are the same; "*" alone is the highest UID, whatever it is
                bound = second if first is None else first
                ranges.append((MAX_UID if bound is None else bound, None))
        return cls(ranges)

    @classmethod
    def of(cls, uids: Iterable[int]) -> UidSet:
        return cls((uid, uid) for uid in uids)

    @classmethod
    def range(cls, start: int, end: int | None = None) -> UidSet:
        """``start:end``; ``end=None`` is ``start:*``."""
        return cls([(start, end)])

    # --- questions --------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True if the set contains ``*`` (then only the server can say which UIDs it holds)."""
        return self._open is not None

    @property
    def ranges(self) -> tuple[tuple[int, int | None], ...]:
        """The ranges, ascending; the last one ends in None if the set is open."""
        closed: tuple[tuple[int, int | None], ...] = tuple(zip(self._starts, self._ends, strict=True))
        return closed + (((self._open, None),) if self._open is not None else ())

    def __bool__(self) -> bool:
        return bool(self._starts) or self._open is not None

    def __len__(self) -> int:
        self._require_closed("count")
        return sum(end - start + 1 for start, end in zip(self._starts, self._ends, strict=True))

    def __contains__(self, uid: object) -> bool:
        if not isinstance(uid, int):
            return False
        self._require_closed("look into")
        index = bisect.bisect_right(self._starts, uid) - 1
        return index >= 0 and uid <= self._ends[index]

    def __iter__(self) -> Iterator[int]:
        self._require_closed("iterate")
        for start, end in zip(self._starts, self._ends, strict=True):
            yield from range(start, end + 1)

    def min(self) -> int | None:
        if self._starts:
            return self._starts[0]
        return self._open

    def max(self) -> int | None:
        """The highest UID, or None if the set is empty or open."""
        if self._open is not None or not self._ends:
            return None
        return self._ends[-1]

    # --- combining --------------------------------------------------------------------------------

    def __or__(self, other: UidSet) -> UidSet:
        return UidSet(self.ranges + other.ranges)

    def __sub__(self, other: UidSet) -> UidSet:
        """The UIDs of ``self`` not in ``other`` (both closed)."""
        self._require_closed("subtract from")
        other._require_closed("subtract")
        out: list[tuple[int, _End]] = []
        for start, end in zip(self._starts, self._ends, strict=True):
            low = start
            for o_start, o_end in zip(other._starts, other._ends, strict=True):
                if o_end < low or o_start > end:
                    continue
                if o_start > low:
                    out.append((low, o_start - 1))
                low = o_end + 1
                if low > end:
                    break
            if low <= end:
                out.append((low, end))
        return UidSet(out)

    def chunks(self, max_uids: int, *, max_ranges: int = 500) -> Iterator[UidSet]:
        """Consecutive pieces, in order, each with at most ``max_uids`` UIDs and ``max_ranges`` ranges."""
        if max_uids < 1 or max_ranges < 1:
            raise ValueError("chunks need room for at least one UID and one range")
        self._require_closed("split")
        piece: list[tuple[int, _End]] = []
        count = 0
        for start, end in zip(self._starts, self._ends, strict=True):
            low = start
            while low <= end:
                take = min(end - low + 1, max_uids - count)
                piece.append((low, low + take - 1))
                count += take
                low += take
                if count == max_uids or len(piece) == max_ranges:
                    yield UidSet(piece)
                    piece, count = [], 0
        if piece:
            yield UidSet(piece)

    # --- the wire ---------------------------------------------------------------------------------

    def __str__(self) -> str:
        if not self:
            raise ValueError("an empty UID set has no IMAP form")
        parts = [f"{s}" if s == e else f"{s}:{e}" for s, e in zip(self._starts, self._ends, strict=True)]
        if self._open is not None:
            parts.append("*" if self._open == MAX_UID else f"{self._open}:*")
        return ",".join(parts)

    def __bytes__(self) -> bytes:
        return str(self).encode("ascii")

    def __repr__(self) -> str:
        return f"UidSet({str(self)!r})" if self else "UidSet()"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UidSet):
            return NotImplemented
        return self.ranges == other.ranges

    def __hash__(self) -> int:
        return hash(self.ranges)

    def _require_closed(self, what: str) -> None:
        if self._open is not None:
            raise ValueError(f"cannot {what} a UID set that contains '*': {self}")
