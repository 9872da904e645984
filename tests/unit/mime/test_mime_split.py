"""The splitter against the stdlib's BytesFeedParser(policy=compat32): the same tree, on generated MIME.

The oracle is the stdlib parser itself, with one change that is the splitter's one intended difference:
``message/*`` parts are leaves whose payload is their body as sent. ``_LeafMessages`` gets that from the
stdlib by hiding the ``message/`` type from the feedparser while it parses (it decides with
``get_content_type()``); the trees are then compared with the plain ``Message`` methods. A second property
compares with the unmodified stdlib everywhere but inside ``message/*`` parts.
"""

from __future__ import annotations

import time
from email import errors
from email.message import Message
from email.parser import BytesFeedParser
from email.policy import compat32

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailwarden.mime.split import split

MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _LeafMessages(Message):
    """A compat32 message whose ``message/*`` type the feedparser does not see, so it keeps the body."""

    def get_content_type(self) -> str:
        ctype = super().get_content_type()
        return "x-leaf/x-leaf" if ctype.startswith("message/") else ctype


def stdlib(raw: bytes, *, leaves: bool) -> Message:
    parser = (
        BytesFeedParser(_factory=_LeafMessages, policy=compat32)
        if leaves
        else BytesFeedParser(policy=compat32)
    )
    parser.feed(raw)
    return parser.close()


def ours(raw: bytes) -> Message:
    return split(raw, max_depth=40, max_parts=2000).message


def shape(msg: Message, *, opaque_messages: bool = False) -> object:
    """Everything the rest of mime/ reads from a part, as plain values (recursively)."""
    payload = getattr(msg, "_payload", None)  # the raw text the package reads (8-bit bytes as surrogates)
    if opaque_messages and Message.get_content_maintype(msg) == "message":
        body: object = "<message>"
    elif isinstance(payload, list):
        body = [shape(child, opaque_messages=opaque_messages) for child in payload]
    else:
        body = payload
    return (
        msg.get_unixfrom(),
        list(msg.raw_items()),
        msg.get_default_type(),
        [(type(defect), defect.args) for defect in msg.defects],
        msg.preamble,
        msg.epilogue,
        body,
    )


def parts(msg: Message) -> list[Message]:
    payload = msg.get_payload()
    assert isinstance(payload, list)
    return [child for child in payload if isinstance(child, Message)]


def same_tree(raw: bytes) -> None:
    assert shape(ours(raw)) == shape(stdlib(raw, leaves=True))


# -- generated messages ------------------------------------------------------------------------------------

BOUNDARIES = [b"b", b"b2", b"x", b"x--", b"=_Part_1.2", b"a b", b"(.*)+?", b"", b"b\xe9", b"--", b"b:c"]
SUBTYPES = [b"mixed", b"alternative", b"digest", b"related", b"report"]


@st.composite
def noise_line(draw: st.DrawFn, boundaries: list[bytes]) -> bytes:
    """A body line that may look like a boundary, a header, a unix From line, or is just text."""
    kind = draw(st.integers(0, 6))
    if kind == 0 and boundaries:
        suffix = draw(st.sampled_from([b"", b"--", b"x", b" ", b"\t", b"-- ", b"--x", b" --"]))
        return b"--" + draw(st.sampled_from(boundaries)) + suffix
    if kind == 1:
        return draw(st.sampled_from([b"", b"--", b"-- ", b"From me", b"X-Header: y", b" indented", b":"]))
    alphabet = st.sampled_from(
        [b"a", b"Z", b" ", b"\t", b"-", b":", b"=", b"\xe9", b"\xff", b"\x00", b"\x0c"]
    )
    return b"".join(draw(st.lists(alphabet, max_size=12)))


@st.composite
def header_lines(draw: st.DrawFn, content_type: bytes | None, boundaries: list[bytes]) -> list[bytes]:
    lines: list[bytes] = []
    if draw(st.integers(0, 9)) == 0:
        lines.append(b"From sender@example.com Mon Jan  1 00:00:00 2024")
    fields = [b"Subject: hi", b"X-8bit: caf\xe9 \xe6\x8a\xa5", b"Content-Transfer-Encoding: 7bit", b"To:"]
    for _ in range(draw(st.integers(0, 3))):
        lines.append(draw(st.sampled_from(fields)))
        lines += draw(st.lists(st.sampled_from([b" folded", b"\tfolded \xe9", b" "]), max_size=2))
    if content_type is not None:
        lines.insert(draw(st.integers(0, len(lines))), b"Content-Type: " + content_type)
    surprises = [b" leading blank", b": no name", b"From in the middle", b"Bad line", b"X:"]
    surprises += [b"--" + boundary + b"--" for boundary in boundaries]  # a boundary line ends headers too
    surprises += [b"--" + boundary + b"x:" for boundary in boundaries]  # this one is a header line
    surprises += [b"X-Dashes: --" + boundary for boundary in boundaries]  # but not one inside a line
    for _ in range(draw(st.integers(0, 1))):  # malformed or surprising lines, anywhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(surprises)))
    return lines


@st.composite
def entity(draw: st.DrawFn, depth: int, outer: list[bytes]) -> list[bytes]:
    """The lines (without line breaks) of one MIME entity, headers and body."""
    kind = draw(st.sampled_from(["text", "multipart", "message", "none"] if depth > 0 else ["text", "none"]))
    boundary = draw(st.sampled_from(BOUNDARIES))
    in_scope = [*outer, boundary] if kind == "multipart" else outer
    if kind == "multipart":
        quoted = draw(st.booleans()) or b" " in boundary or b":" in boundary or not boundary
        param = b'"' + boundary + b'"' if quoted else boundary
        if draw(st.integers(0, 15)) == 0:
            param = b'"' + boundary + b' "'  # trailing blanks in the parameter are dropped by get_boundary
        content_type: bytes | None = b"multipart/" + draw(st.sampled_from(SUBTYPES)) + b"; boundary=" + param
        if draw(st.integers(0, 15)) == 0:
            content_type = b"multipart/mixed"  # no boundary at all
    elif kind == "message":
        content_type = draw(
            st.sampled_from([b"message/rfc822", b"message/delivery-status", b"Message/RFC822"])
        )
    elif kind == "text":
        content_type = draw(st.sampled_from([b"text/plain; charset=utf-8", b"text/html", b"application/pdf"]))
    else:
        content_type = None
    lines = draw(header_lines(content_type, outer))
    if draw(st.integers(0, 12)) != 0:
        lines.append(b"")  # the header/body separator, usually present
    noise = st.lists(noise_line(in_scope), max_size=3)
    if kind == "multipart":
        lines += draw(noise)  # preamble
        for _ in range(draw(st.integers(0, 3))):
            lines.append(b"--" + boundary + draw(st.sampled_from([b"", b"", b" ", b"\t "])))
            if draw(st.integers(0, 8)) == 0:
                lines.append(b"--" + boundary)  # a repeated boundary line
            lines += draw(entity(depth - 1, in_scope))
        ending = draw(st.integers(0, 5))
        if ending:  # else: no close boundary
            lines.append(b"--" + boundary + b"--" + (b"  " if ending == 1 else b""))
            lines += draw(noise)  # epilogue
    elif kind == "message":
        lines += draw(entity(depth - 1, outer))
    else:
        lines += draw(noise)
    return lines


@st.composite
def mime_message(draw: st.DrawFn) -> bytes:
    lines = draw(entity(3, []))
    style = draw(st.sampled_from(["crlf", "lf", "mixed"]))
    out = bytearray()
    for number, line in enumerate(lines):
        out += line
        if number < len(lines) - 1 or draw(st.booleans()):
            if style == "crlf":
                out += b"\r\n"
            elif style == "lf":
                out += b"\n"
            else:
                out += draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    return bytes(out)


@MANY
@given(mime_message())
@example(b"Subject: x\nFrom sender\n\nbody\n")
@example(b"Content-Type: multipart/mixed; boundary=b:c\n\n--b:c\nX: 1\n--b:c\nY: 2\n\n--b:c--\n")
@example(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n")
@example(b'Content-Type: multipart/mixed; boundary="x--"\n\n--x--\n\n--x----\n')
@example(
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/mixed; boundary=x--\n\n--x--"
)
def test_the_tree_is_the_stdlib_tree(raw: bytes) -> None:
    same_tree(raw)


@MANY
@given(mime_message())
def test_only_message_parts_differ_from_the_plain_stdlib(raw: bytes) -> None:
    assert shape(ours(raw), opaque_messages=True) == shape(stdlib(raw, leaves=False), opaque_messages=True)


_TOKENS = [b"\r\n", b"\n", b"\r", b"--", b"--b", b"--b--", b"--c", b" ", b"\t", b":", b"From ", b"\xe9", b"x"]
_TOKENS += [b"Content-Type: multipart/mixed; boundary=b\r\n", b"Content-Type: multipart/digest; boundary=c\n"]
_TOKENS += [b"Content-Type: message/rfc822\r\n", b"Content-Transfer-Encoding: base64\n", b"\r\n\r\n"]


@MANY
@given(st.lists(st.one_of(st.sampled_from(_TOKENS), st.binary(max_size=6)), max_size=50).map(b"".join))
def test_mime_shaped_noise_gives_the_stdlib_tree(raw: bytes) -> None:
    same_tree(raw)


# -- named cases -------------------------------------------------------------------------------------------


def test_a_message_part_keeps_the_bytes_as_sent() -> None:
    inner = b"From: a@example.com\r\nSubject: inner\r\n\r\nbody\r\n"
    raw = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n'
    raw += inner + b"\r\n--b--\r\n"

    [part] = parts(ours(raw))

    assert part.get_payload() == inner.decode()


def test_an_outer_boundary_ends_an_inner_multipart() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="outer"\n\n--outer\n'
        b'Content-Type: multipart/alternative; boundary="inner"\n\n--inner\n\nplain\n'
        b"--outer\n\nafter\n--outer--\n"
    )

    inner, after = parts(ours(raw))

    assert [type(d) for d in inner.defects] == [errors.CloseBoundaryNotFoundDefect]
    assert [p.get_payload() for p in parts(inner)] == ["plain"]
    assert after.get_payload() == "after"
    same_tree(raw)


def test_a_lone_cr_ends_lines_as_the_stdlib_says() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\r--b\rX: 1\r\rone\r--b--\r"

    [part] = parts(ours(raw))

    assert (part["X"], part.get_payload()) == ("1", "one")
    same_tree(raw)


def test_a_from_line_last_in_the_headers_goes_to_the_body() -> None:
    raw = b"Subject: x\r\nFrom someone\r\n\r\nbody"

    msg = ours(raw)

    assert msg.get_payload() == "From someone\r\nbody"
    same_tree(raw)


def test_a_digest_part_defaults_to_message_rfc822() -> None:
    raw = b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nhi\n--d--\n"

    [part] = parts(ours(raw))

    assert (part.get_default_type(), part.get_payload()) == ("message/rfc822", "Subject: one\n\nhi")
    same_tree(raw)


# -- limits ------------------------------------------------------------------------------------------------


def nested(levels: int, leaf: bytes = b"Content-Type: text/plain\n\ndeep\n") -> bytes:
    raw = leaf
    for level in reversed(range(levels)):
        raw = b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (level, level) + raw
        raw += b"--b%d--\n" % level
    return raw


def test_a_multipart_at_the_depth_limit_keeps_its_body_as_text() -> None:
    raw = nested(4)

    result = split(raw, max_depth=2, max_parts=100)

    [level1] = parts(result.message)
    [level2] = parts(level1)
    assert result.unsplit == [level2]
    assert level2.get_payload() == (
        "--b2\nContent-Type: multipart/mixed; boundary=b3\n\n"
        "--b3\nContent-Type: text/plain\n\ndeep\n--b3--\n--b2--"
    )
    assert (level2.preamble, level2.epilogue) == (None, None)


def test_a_multipart_that_would_pass_the_part_limit_keeps_its_body_as_text() -> None:
    many = b"".join(b"--in\n\npart %d\n" % number for number in range(5)) + b"--in--\n"
    raw = (
        b"Content-Type: multipart/mixed; boundary=out\n\n--out\n"
        b"Content-Type: multipart/mixed; boundary=in\n\n" + many + b"--out\n\nafter\n--out--\n"
    )

    result = split(raw, max_depth=40, max_parts=4)

    crowded, after = parts(result.message)
    assert result.unsplit == [crowded]
    assert crowded.get_payload() == many.decode().removesuffix("\n")
    assert after.get_payload() == "after"


def test_nesting_far_beyond_the_stack_limit_is_split_down_to_the_depth_limit() -> None:
    result = split(nested(5000), max_depth=40, max_parts=2000)

    part = result.message
    for _ in range(40):
        [part] = parts(part)
    assert result.unsplit == [part]
    assert "deep" in part.get_payload()


def test_header_like_lines_after_many_parts_cost_linear_time() -> None:
    # A boundary with a ":" makes boundary lines look like header lines; a header block that ran on into
    # the following parts made every part rescan the rest of the message (2 minutes for this 1 MB).
    raw = b'Content-Type: multipart/mixed; boundary="b:c"\n\n' + b"--b:c\nX: y\n" * 1999
    raw += b"--b:c--\n" + b"Y: z\n" * 200_000

    started = time.process_time()
    result = split(raw, max_depth=40, max_parts=2000)
    seconds = time.process_time() - started

    assert len(parts(result.message)) == 1999
    assert seconds < 10  # a liveness bound: it takes well under a second
