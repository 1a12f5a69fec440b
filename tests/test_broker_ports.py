"""Two Energrids side by side: the ports of the broker each starts, and what is said when one
is taken (real Mosquitto, loopback ports picked free)."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mosquitto_fixture import free_port
from terminal import ENERGRID, Terminal, environment
from test_broker import REPO_CONFIG, echo, local_settings

from energrid.broker.ports import listeners, port_free
from energrid.broker.start import ManagedBroker, ensure_broker
from energrid_core.errors import BrokerUnavailableError


@pytest.fixture
def first(tmp_path: Path) -> Iterator[ManagedBroker]:
    """The first Energrid's broker, with its websockets port."""
    started = ensure_broker(local_settings(tmp_path / "first"))
    assert isinstance(started, ManagedBroker)
    yield started
    started.stop()


def held_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_the_websockets_port_follows_when_it_is_taken(first: ManagedBroker, tmp_path: Path) -> None:
    # The second has only another MQTT port: its websockets port is the default, taken.
    second_settings = local_settings(tmp_path / "second", ws_port=first.ws_port)
    second = ensure_broker(second_settings)
    assert isinstance(second, ManagedBroker)
    try:
        assert second.ws_port not in (first.ws_port, second_settings.mqtt_port)
        assert second_settings.ws_port == second.ws_port  # what the banner and clients read
        assert echo("127.0.0.1", second.ws_port, transport="websockets") == b"hello grid"
        assert echo("127.0.0.1", first.ws_port, transport="websockets") == b"hello grid"
    finally:
        second.stop()


def test_a_chosen_websockets_port_that_is_taken_names_the_setting(
    first: ManagedBroker, tmp_path: Path
) -> None:
    settings = local_settings(tmp_path / "second", ws_port=first.ws_port)
    settings.explicit.add("ws_port")  # --ws-port or ENERGRID_WS_PORT
    with pytest.raises(BrokerUnavailableError) as caught:
        ensure_broker(settings)
    message = str(caught.value)
    assert f"port {first.ws_port} is in use" in message
    assert "--ws-port" in message and "ENERGRID_WS_PORT" in message
    assert "\n" not in message


def test_another_listener_of_the_configuration_that_is_taken_names_its_line(
    tmp_path: Path,
) -> None:
    taken = held_port()
    port = next(taken)
    config = tmp_path / "extra.conf"
    config.write_text(REPO_CONFIG.read_text() + f"\nlistener {port} 127.0.0.1\n")
    settings = local_settings(tmp_path / "state", broker_config=config)
    with pytest.raises(BrokerUnavailableError) as caught:
        ensure_broker(settings)
    message = str(caught.value)
    assert f"`listener {port} 127.0.0.1` of extra.conf (--broker-config)" in message
    taken.close()


def test_listeners_and_port_free() -> None:
    config = "listener 1883 127.0.0.1\nlistener 9001 lo\nprotocol websockets\nlistener 8883\n"
    assert [(each.port, each.address, each.websockets) for each in listeners(config)] == [
        (1883, "127.0.0.1", False),
        (9001, "lo", True),
        (8883, "", False),
    ]
    taken = held_port()
    port = next(taken)
    assert not port_free(port, "127.0.0.1") and not port_free(port, "lo")
    taken.close()
    assert port_free(port, "127.0.0.1")


def test_a_second_energrid_with_only_another_mqtt_port_opens_its_shell(tmp_path: Path) -> None:
    """Both start their own broker; the second's websockets port is its default (or the next
    free one), and its banner says which."""
    ws_port = free_port()
    first_env = environment(free_port(), tmp_path / "first")
    first_env["ENERGRID_WS_PORT"] = str(ws_port)
    second_env = environment(free_port(), tmp_path / "second")
    del second_env["ENERGRID_WS_PORT"]
    one = Terminal(ENERGRID, first_env)
    two = None
    try:
        one.read_until(f"websockets on port {ws_port}")
        one.read_until(">>>")
        two = Terminal([sys.executable, "-m", "energrid"], second_env)
        screen = two.read_until(">>>")
        assert "Mosquitto started by Energrid" in screen
        assert f"websockets on port {ws_port}," not in screen
        two.type("exit()")
        assert two.wait() == 0
        assert "Stopped the Energrid server and the Mosquitto Energrid started on port" in (
            two.screen
        )
    finally:
        if two is not None:
            two.close()
        one.close()
