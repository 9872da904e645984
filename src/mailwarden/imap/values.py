"""Tokens of a response segment to values: the value scanner of :mod:`.parser`, iterative, with a fast path.

Split from the parser so each reads in one sitting: the parser frames segments and literals and knows the
response grammar; this module turns the tokens of one segment into numbers, atoms, strings, NIL and nested
lists.
"""

from __future__ import annotations

import re

from mailwarden.imap.responses import Atom, Value

__all__ = ["Malformed", "scan_values"]


class Malformed(Exception):
    """Internal: what is wrong, in words; the parser turns it into an IMAPParseError with host and port."""


_SP, _LPAREN, _RPAREN, _DQUOTE, _LBRACE, _TILDE = b' ()"{~'
_QUOTED = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S)
_UNESCAPE = re.compile(rb'\\([\\"])')
_LITERAL = re.compile(rb"~?\{([0-9]+)[+-]?\}")
# An atom, leniently: no SP, CTL, parens, quote; "[...]" sections may hold anything but "]"
# (BODY[HEADER.FIELDS (FROM)]); "{" and "]" only after the first byte.
_ATOM = re.compile(rb'(?:[^\x00-\x20\x7f()"{\[\]]|\[[^\]]*\])(?:[^\x00-\x20\x7f()"\[]|\[[^\]]*\])*')


# The fast path (see scan_values): one match takes a ``NAME value`` pair of the kinds a FETCH, STATUS or
# CAPABILITY response is made of -- a number, a quoted string without escapes, a flat list of atoms, an
# atom -- and produces exactly the values the token-by-token scan would. It is conservative: anything it is
# not sure of (escapes, sections, nested lists, literals, odd spacing) does not match, and the general scan
# takes over at that very position.
_PAIR = re.compile(
    rb" ?(?![Nn][Ii][Ll] )([A-Za-z][A-Za-z0-9.\-]*) "
    rb"(?:(0|[1-9][0-9]{0,19})(?=[ )]|\Z)"
    rb'|"([^"\\]*)"'
    rb'|\(([^\x00-\x1f\x7f()"{\[\]~]*)\)'
    rb'|([^\x00-\x20\x7f()"{\[\]~][^\x00-\x20\x7f()"\[\]]*)(?=[ )]|\Z))'
)
_PAIR_NUMBER, _PAIR_QUOTED, _PAIR_LIST = 2, 3, 4
# What usually follows a run of pairs in a FETCH: ``BODY[] {1234}`` (a section atom and the literal that ends
# the line), as the general scan would read it: the atom's section may hold anything but "]".
_SECTION_LITERAL = re.compile(
    rb" ?([A-Za-z][A-Za-z0-9.\-]*\[[^\]]*\](?:<[0-9.]+>)?) ~?\{([0-9]{1,19})[+-]?\}\Z"
)


def _atom_value(token: bytes) -> Value:
    if token.isdigit() and (token[0] != 0x30 or len(token) == 1) and len(token) <= 20:
        return int(token)
    if len(token) == 3 and token.upper() == b"NIL":
        return None
    return Atom(token)


def scan_values(
    seg: bytes, i: int, stack: list[list[Value]], max_depth: int, *, fast: bool = True
) -> int | None:
    """Tokenise ``seg[i:]`` into ``stack`` (innermost open list last).

    Returns the size of the literal announced at the end of the segment, or None if the segment ends without
    one. Iterative on purpose: see the module docstring. ``fast`` takes runs of ``NAME value`` pairs with one
    regular-expression match each (``_PAIR``), two to four tokens at a time; the result is the same without
    it (a property test holds both ways to that), only slower.
    """
    n = len(seg)
    top = stack[-1]
    pair = _PAIR.match if fast else None
    while i < n:
        c = seg[i]
        if c == _SP:
            i += 1
        elif c == _LPAREN:
            if len(stack) > max_depth:
                raise Malformed(f"lists nested deeper than {max_depth}")
            top = []
            stack.append(top)
            i += 1
        elif c == _RPAREN:
            if len(stack) == 1:
                raise Malformed("')' without a matching '('")
            closed = tuple(stack.pop())
            top = stack[-1]
            top.append(closed)
            i += 1
        elif c == _DQUOTE:
            m = _QUOTED.match(seg, i)
            if m is None:
                raise Malformed("a quoted string is not terminated")
            text = m[1]
            top.append(_UNESCAPE.sub(rb"\1", text) if b"\\" in text else text)
            i = m.end()
        elif (
            c != _LBRACE and pair is not None and len(stack) <= max_depth and (m := pair(seg, i)) is not None
        ):
            # (the depth test: a pair's flat list is one level deeper, which the general scan refuses here)
            while m is not None:
                top.append(Atom(m[1]))
                kind = m.lastindex
                if kind == _PAIR_NUMBER:
                    top.append(int(m[2]))
                elif kind == _PAIR_QUOTED:
                    top.append(m[3])
                elif kind == _PAIR_LIST:
                    top.append(tuple([_atom_value(t) for t in m[4].split(b" ") if t]))
                else:
                    top.append(_atom_value(m[5]))
                i = m.end()
                m = pair(seg, i)
            m = _SECTION_LITERAL.match(seg, i)
            if m is not None:
                top.append(Atom(m[1]))
                return int(m[2])
        else:
            if c in (_LBRACE, _TILDE):
                m = _LITERAL.match(seg, i)
                if m is not None:
                    if m.end() != n:
                        raise Malformed("a literal marker is not at the end of its line")
                    if len(m[1]) > 19:
                        raise Malformed("a literal size is absurdly long")
                    return int(m[1])
            m = _ATOM.match(seg, i)
            if m is None:
                raise Malformed(f"unexpected {seg[i : i + 1]!r} at offset {i}")
            top.append(_atom_value(m[0]))
            i = m.end()
    return None
