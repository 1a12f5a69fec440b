"""Commands leave at once (Nagle off while ours are in flight); the ingest keeps Nagle on."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from mosquitto_fixture import MosquittoProcess
from pytest_mock import MockerFixture

from energrid_core import prompt_send
from energrid_core.config import Settings
from energrid_core.prompt_send import PromptSends
from energrid_core.server import GridServer

REPO_CONFIG = Path(__file__).resolve().parent.parent / "mosquitto.conf"


def no_delay(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_nagle_is_off_while_any_publish_is_pending() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        prompt = PromptSends()
        prompt.begin(sock)
        prompt.begin(sock)
        assert no_delay(sock)
        prompt.end(sock)
        assert no_delay(sock) and prompt.pending == 1
        prompt.end(sock)
        assert not no_delay(sock) and prompt.pending == 0
        prompt.end(sock)  # an on_publish for a message sent before a reconnect
        assert prompt.pending == 0


def test_other_sockets_are_left_alone() -> None:
    prompt = PromptSends()
    prompt.begin(None)
    prompt.end(None)
    left, right = socket.socketpair()
    with left, right:
        prompt_send.set_no_delay(left, True)  # a Unix socket has no Nagle: nothing happens


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
        assert not no_delay(sock)  # the ingest's PUBACKs are coalesced as usual
        server.set_consumer(1, 1, 1)
        deadline = time.monotonic() + 5
        while server.client._prompt.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.client._prompt.pending == 0
        assert [call.args[1] for call in spy.call_args_list] == [True, False]
        assert not no_delay(sock)
    finally:
        server.stop()


def test_shipped_broker_config_turns_nagle_off() -> None:
    lines = [line.split() for line in REPO_CONFIG.read_text().splitlines()]
    assert ["set_tcp_nodelay", "true"] in lines
