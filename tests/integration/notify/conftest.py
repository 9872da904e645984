"""Fixtures: stand-in vendor servers, stopped after each test."""

from collections.abc import Callable, Iterator

import pytest

from chat_standins import STAND_INS, StandIn


@pytest.fixture
def stand_in() -> Iterator[Callable[..., StandIn]]:
    started: list[StandIn] = []

    def start(kind: str, **kwargs: object) -> StandIn:
        server = STAND_INS[kind](**kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.release()
        server.stop()
