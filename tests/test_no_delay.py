"""Commands leave at once (Nagle off while one is in flight); ingest and state keep Nagle on."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from helpers import TIMEOUT_S, wait_for
from mosquitto_fixture import MosquittoProcess
from pytest_mock import MockerFixture

from energrid_core.config import Settings
from energrid_core.mqtt import prompt_send
from energrid_core.mqtt.prompt_send import PromptSends
from energrid_core.server import GridServer
from energrid_core.state.publisher import BULK_WINDOW, STATE_WINDOW

REPO_CONFIG = Path(__file__).resolve().parent.parent / "mosquitto.conf"


def no_delay(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_nagle_is_off_while_any_prompt_publish_is_pending() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        prompt = PromptSends()
        prompt.begin(sock)
        prompt.track(1, sock)
        prompt.begin(sock)
        prompt.track(2, sock)
        assert no_delay(sock)
        prompt.acked(1, sock)
        assert no_delay(sock) and prompt.pending == 1
        prompt.acked(2, sock)
        assert not no_delay(sock) and prompt.pending == 0
        prompt.acked(2, sock)  # an acknowledgement heard twice, or from before a reconnect
        assert prompt.pending == 0


def test_acknowledgements_of_other_publishes_leave_a_command_prompt() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        prompt = PromptSends()
        prompt.begin(sock)
        prompt.track(5, sock)
        prompt.acked(6, sock)  # a state message's PUBACK
        assert no_delay(sock) and prompt.pending == 1
        prompt.acked(5, sock)
        assert not no_delay(sock)


def test_an_acknowledgement_before_the_id_is_known_still_counts() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        prompt = PromptSends()
        prompt.begin(sock)
        prompt.acked(8, sock)  # a state message acknowledged meanwhile
        prompt.acked(7, sock)  # the command's PUBACK, before publish() returned its id
        prompt.track(7, sock)
        assert not no_delay(sock) and prompt.pending == 0
        prompt.begin(sock)
        prompt.track(8, sock)  # id 8 again, much later: pending until its own PUBACK
        assert no_delay(sock) and prompt.pending == 1


def test_a_publish_not_handed_over_is_abandoned() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        prompt = PromptSends()
        prompt.begin(sock)
        prompt.abandon(sock)
        assert not no_delay(sock) and prompt.pending == 0


class RecordingSocket(socket.socket):
    """A real socket that records the options set on it."""

    def __init__(self, family: int) -> None:
        super().__init__(family, socket.SOCK_STREAM)
        self.options_set: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, option: int, value: int) -> None:  # type: ignore[override]
        self.options_set.append((level, option, value))
        super().setsockopt(level, option, value)


class WebsocketLike:
    """Not a socket, though it looks like one (paho's websocket wrapper)."""

    family = socket.AF_INET

    def __init__(self) -> None:
        self.options_set: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.options_set.append((level, option, value))


def test_other_sockets_are_left_alone() -> None:
    prompt = PromptSends()
    prompt.begin(None)
    prompt.track(1, None)
    assert prompt.pending == 1
    prompt.acked(1, None)
    assert prompt.pending == 0
    with RecordingSocket(socket.AF_UNIX) as unix, RecordingSocket(socket.AF_INET) as tcp:
        wrapper = WebsocketLike()
        for sock in (unix, tcp, wrapper):
            prompt_send.set_no_delay(sock, True)
        assert unix.options_set == []  # a Unix socket has no Nagle: nothing is tried
        assert wrapper.options_set == []
        assert tcp.options_set == [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # the control
        assert no_delay(tcp)


def test_a_command_goes_out_with_nagle_off_then_nagle_is_back(
    broker: MosquittoProcess, mocker: MockerFixture
) -> None:
    server = GridServer(Settings(mqtt_port=broker.port, client_id="test-nodelay"))
    server.new_houses(1)
    server.new_consumers(1, 1, "LED")
    spy = mocker.spy(prompt_send, "set_no_delay")
    try:
        assert server.start(5.0)
        sock = server.client._client.socket()
        wait_for(lambda: server.state.stats.messages_published >= 3, "the state published")
        wait_for(lambda: server.client.unacked_publishes == 0, "the state acknowledged")
        assert spy.call_args_list == []  # the state flows with Nagle on, like the PUBACKs
        assert not no_delay(sock)
        server.set_consumer(1, 1, 1)
        deadline = time.monotonic() + 5
        while server.client._prompt.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.client._prompt.pending == 0
        assert [call.args[1] for call in spy.call_args_list] == [True, False]
        assert not no_delay(sock)
    finally:
        server.stop()


def test_the_state_of_a_large_grid_never_queues_ahead_of_a_command(
    broker: MosquittoProcess,
) -> None:
    """paho sends 20 messages at a time and queues the rest in order: a command handed over
    behind a thousand state messages would wait for all of them. The state keeps to a window:
    QoS 1 messages awaiting a PUBACK within STATE_WINDOW, and the republish's QoS 0 messages
    waiting in paho's queue to be written within BULK_WINDOW."""
    server = GridServer(Settings(mqtt_port=broker.port, client_id="test-window"))
    server.new_houses(200)
    for house in range(1, 201):
        server.new_consumers(house, 10, "LED")
    try:
        assert server.start(5.0)
        unacked = queued = 0
        deadline = time.monotonic() + TIMEOUT_S
        while not (server.state.idle() and server.state.stats.messages_published >= 2200):
            unacked = max(unacked, server.client.unacked_publishes)
            queued = max(queued, server.client.queued_packets)
            assert time.monotonic() < deadline, "the state of 200 houses was not published"
            time.sleep(0.0005)
        assert 0 < queued <= BULK_WINDOW + 1  # (+1: a PUBACK of ours may sit there too)
        assert unacked <= STATE_WINDOW
    finally:
        server.stop()


def test_shipped_broker_config_turns_nagle_off() -> None:
    lines = [line.split() for line in REPO_CONFIG.read_text().splitlines()]
    assert ["set_tcp_nodelay", "true"] in lines
