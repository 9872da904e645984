"""ResponseStream: bounded by pausing the socket when it can, by failing loudly when it cannot."""

from __future__ import annotations

import asyncio

import pytest

from mailwarden.imap import ResponseStream, UntaggedResponse
from mailwarden.imap.streams import StreamOverflow


class RecordingFlow:
    """Stands in for the connection's pause/resume, and remembers the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self, owner: object) -> None:
        self.calls.append("pause")

    def resume_reading(self, owner: object) -> None:
        self.calls.append("resume")


def fetch(n: int) -> UntaggedResponse:
    return UntaggedResponse("FETCH", n, ((b"UID", n),))


async def test_it_pauses_at_the_high_water_mark_and_resumes_at_the_low_one() -> None:
    flow = RecordingFlow()
    stream = ResponseStream(flow, high_water=4, low_water=1)

    for n in range(5):
        stream.put(fetch(n))
    assert flow.calls == ["pause"]

    got = [await stream.get() for _ in range(3)]
    assert flow.calls == ["pause"]
    got.append(await stream.get())

    assert flow.calls == ["pause", "resume"]
    assert [r.number for r in got] == [0, 1, 2, 3]


async def test_without_flow_control_it_refuses_to_grow_past_its_limit() -> None:
    stream = ResponseStream(high_water=2, low_water=0)
    stream.put(fetch(1))
    stream.put(fetch(2))

    with pytest.raises(StreamOverflow):
        stream.put(fetch(3))


async def test_iteration_ends_after_a_clean_close_once_everything_was_read() -> None:
    stream = ResponseStream()
    stream.put(fetch(1))
    stream.close()

    assert [r.number async for r in stream] == [1]


async def test_a_reader_waiting_for_more_gets_the_error_the_stream_was_closed_with() -> None:
    stream = ResponseStream()
    reader = asyncio.ensure_future(stream.get())
    await asyncio.sleep(0)

    stream.close(RuntimeError("connection lost"))

    with pytest.raises(RuntimeError, match="connection lost"):
        await reader


async def test_closing_a_paused_stream_resumes_reading() -> None:
    flow = RecordingFlow()
    stream = ResponseStream(flow, high_water=1, low_water=0)
    stream.put(fetch(1))

    stream.close()

    assert flow.calls == ["pause", "resume"]
