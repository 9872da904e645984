"""Routing of responses, without a socket: greeting, tags, continuations, wants, unsolicited, failure."""

from __future__ import annotations

import pytest

from mailwarden.core.errors import NetworkError
from mailwarden.imap import (
    Atom,
    ContinuationRequest,
    IMAPError,
    ResponseCode,
    ResponseStream,
    TaggedResponse,
    UntaggedResponse,
)
from mailwarden.imap.dispatch import Router

GREETING = UntaggedResponse("OK", code=ResponseCode("CAPABILITY", (Atom(b"IMAP4rev1"), Atom(b"IDLE"))))


async def greeted() -> Router:
    router = Router(host="h", port=1)
    router.route(GREETING)
    return router


async def test_the_first_response_is_the_greeting_and_its_capabilities_are_kept() -> None:
    router = Router(host="h", port=1)

    router.route(GREETING)

    assert router.greeting.result() is GREETING
    assert router.capabilities == frozenset({"IMAP4REV1", "IDLE"})


async def test_anything_but_a_greeting_first_is_a_protocol_violation() -> None:
    router = Router(host="h", port=1)

    with pytest.raises(IMAPError) as caught:
        router.route(TaggedResponse("A1", "OK", None, "hi"))

    assert caught.value.key == "imap.protocol"


async def test_untagged_responses_go_to_the_oldest_command_that_wants_them() -> None:
    router = await greeted()
    first = router.register("A1", "LIST", frozenset({"LIST"}), None)
    second = router.register("A2", "LIST", frozenset({"LIST"}), None)
    status = router.register("A3", "STATUS", frozenset({"STATUS"}), None)

    router.route(UntaggedResponse("STATUS", None, (b"INBOX", ())))
    router.route(UntaggedResponse("LIST", None, ((), b"/", b"INBOX")))
    router.route(TaggedResponse("A1", "OK", None, "done"))
    router.route(UntaggedResponse("LIST", None, ((), b"/", b"Sent")))

    assert [r.data[2] for r in first.untagged] == [b"INBOX"]
    assert [r.data[2] for r in second.untagged] == [b"Sent"]
    assert [r.name for r in status.untagged] == ["STATUS"]
    assert first.done.result().text == "done"
    assert not second.done.done()


async def test_a_command_with_a_sink_streams_its_responses() -> None:
    router = await greeted()
    sink = ResponseStream()
    pending = router.register("A1", "UID FETCH", frozenset({"FETCH"}), sink)

    router.route(UntaggedResponse("FETCH", 1, ((b"UID", 7),)))

    assert pending.untagged == []
    assert len(sink) == 1


async def test_what_nobody_asked_for_is_unsolicited() -> None:
    router = await greeted()
    router.register("A1", "NOOP", frozenset(), None)

    router.route(UntaggedResponse("EXISTS", 5))

    assert router.unsolicited.get_nowait() == UntaggedResponse("EXISTS", 5)


async def test_a_capability_response_updates_the_list_whoever_asked() -> None:
    router = await greeted()

    router.route(UntaggedResponse("CAPABILITY", None, (Atom(b"IMAP4rev1"), Atom(b"auth=plain"))))

    assert router.capabilities == frozenset({"IMAP4REV1", "AUTH=PLAIN"})


async def test_a_continuation_goes_to_whoever_expects_one_and_otherwise_is_a_violation() -> None:
    router = await greeted()
    waiter = router.expect_continuation()
    router.route(ContinuationRequest(b"go"))
    assert waiter.result() == ContinuationRequest(b"go")

    with pytest.raises(IMAPError, match="nobody asked for"):
        router.route(ContinuationRequest(b"again"))


async def test_a_completion_for_an_unknown_tag_is_a_violation() -> None:
    router = await greeted()

    with pytest.raises(IMAPError, match="not in flight"):
        router.route(TaggedResponse("Z9", "OK", None, ""))


async def test_failing_fails_every_waiter_and_closes_the_streams() -> None:
    router = await greeted()
    sink = ResponseStream()
    pending = router.register("A1", "UID FETCH", frozenset({"FETCH"}), sink)
    error = NetworkError("net.closed", host="h", port=1)

    router.fail(error)

    assert pending.done.exception() is error
    assert sink.closed
    with pytest.raises(NetworkError):
        await router.unsolicited.get()
