"""energrid.broker.start against a real Mosquitto, and the broker fixtures other tests rely on."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from mosquitto_fixture import MosquittoProcess, free_port, mqtt_handshake

from energrid.broker import start as broker_module
from energrid.broker.start import (
    NOT_INSTALLED,
    ManagedBroker,
    broker_reachable,
    ensure_broker,
    runtime_config,
)
from energrid_core.config import Settings
from energrid_core.errors import BrokerUnavailableError

REPO = Path(__file__).resolve().parent.parent
REPO_CONFIG = REPO / "mosquitto.conf"
TIMEOUT_S = 5.0


def two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def local_settings(state_dir: Path, **changes: object) -> Settings:
    mqtt_port, ws_port = two_free_ports()
    settings = Settings(
        mqtt_host="127.0.0.1",
        mqtt_port=mqtt_port,
        ws_port=ws_port,
        state_dir=state_dir,
        broker_config=REPO_CONFIG,
    )
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


def connected_client(
    host: str, port: int, transport: str = "tcp"
) -> tuple[mqtt.Client, queue.Queue[mqtt.MQTTMessage]]:
    """A paho client, connected with its network loop running, and the queue of what it gets."""
    received: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
    connected = threading.Event()
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"energrid-test-{uuid.uuid4().hex[:8]}",
        transport=transport,  # type: ignore[arg-type]
    )
    client.on_connect = lambda _c, _u, _f, reason, _p: reason.is_failure or connected.set()
    client.on_message = lambda _c, _u, message: received.put(message)
    client.connect(host, port, keepalive=10)
    client.loop_start()
    if not connected.wait(TIMEOUT_S):
        client.loop_stop()
        pytest.fail(f"paho could not connect to {host}:{port} over {transport}")
    return client, received


def close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


def echo(host: str, port: int, transport: str = "tcp") -> bytes:
    """Subscribe, publish at QoS 1 and return the payload that came back through the broker."""
    client, received = connected_client(host, port, transport)
    topic = f"energrid-test/echo/{uuid.uuid4().hex[:8]}"
    try:
        result, _mid = client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        # The SUBSCRIBE goes out before the PUBLISH on the same connection, so no race.
        client.publish(topic, b"hello grid", qos=1).wait_for_publish(TIMEOUT_S)
        return received.get(timeout=TIMEOUT_S).payload
    finally:
        close(client)


def retained_payload(host: str, port: int, topic: str) -> bytes | None:
    client, received = connected_client(host, port)
    try:
        client.subscribe(topic, qos=1)
        try:
            return received.get(timeout=2.0).payload
        except queue.Empty:
            return None
    finally:
        close(client)


def listening_sockets(pid: int) -> set[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]]:
    """(address, port) of every TCP socket the process listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            hex_address, hex_port = local.split(":")
            raw = bytes.fromhex(hex_address)
            # /proc prints each 32-bit word of the address in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add((ipaddress.ip_address(raw), int(hex_port, 16)))
    return found


def is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


@pytest.fixture
def managed(tmp_path: Path) -> Iterator[ManagedBroker]:
    """A broker started by ensure_broker from the repository's mosquitto.conf."""
    started = ensure_broker(local_settings(tmp_path / "state"))
    assert isinstance(started, ManagedBroker)
    yield started
    started.stop()


# --- broker_reachable ---------------------------------------------------------------------


def test_broker_reachable_when_a_broker_listens(broker: MosquittoProcess) -> None:
    assert broker_reachable(broker.host, broker.port)


def test_broker_not_reachable_on_a_closed_port() -> None:
    assert not broker_reachable("127.0.0.1", free_port(), timeout=0.2)


# --- ensure_broker ------------------------------------------------------------------------


def test_ensure_broker_uses_the_broker_that_answers(
    broker: MosquittoProcess, tmp_path: Path
) -> None:
    settings = local_settings(tmp_path, mqtt_port=broker.port)
    assert ensure_broker(settings) is None
    assert not (tmp_path / "broker").exists()


def test_ensure_broker_starts_mosquitto_from_the_repository_config(
    managed: ManagedBroker,
) -> None:
    settings = managed.settings
    assert managed.running and managed.pid is not None
    assert echo(settings.mqtt_host, settings.mqtt_port) == b"hello grid"


def test_managed_broker_serves_websockets(managed: ManagedBroker) -> None:
    assert echo("127.0.0.1", managed.settings.ws_port, transport="websockets") == b"hello grid"


def test_managed_broker_listens_on_loopback_only(managed: ManagedBroker) -> None:
    assert managed.pid is not None
    sockets = listening_sockets(managed.pid)
    assert {port for _address, port in sockets} == {
        managed.settings.mqtt_port,
        managed.settings.ws_port,
    }
    assert all(is_loopback(address) for address, _port in sockets), sockets


def test_stop_ends_the_broker_process(managed: ManagedBroker) -> None:
    pid = managed.pid
    assert pid is not None
    managed.stop()
    assert managed.pid is None and not managed.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not broker_reachable("127.0.0.1", managed.settings.mqtt_port, timeout=0.2)
    managed.stop()  # a second stop is harmless


def test_runtime_files_land_in_the_state_dir(managed: ManagedBroker, tmp_path: Path) -> None:
    before = hashlib.sha256(REPO_CONFIG.read_bytes()).hexdigest()
    settings = managed.settings
    broker_dir = tmp_path / "state" / "broker"
    assert managed.config_path == broker_dir / "runtime.conf"
    config_lines = managed.config_path.read_text().splitlines()
    assert f"listener {settings.mqtt_port} 127.0.0.1" in config_lines
    assert f"listener {settings.ws_port} lo" in config_lines
    assert f"persistence_location {broker_dir.resolve()}/" in config_lines
    assert "mosquitto version" in managed.log_path.read_text()

    managed.stop()  # SIGTERM: the broker saves its database where we told it to
    assert (broker_dir / "energrid.db").is_file()
    assert not (REPO / "runtime.conf").exists() and not (REPO / "energrid.db").exists()
    assert hashlib.sha256(REPO_CONFIG.read_bytes()).hexdigest() == before


def test_managed_broker_keeps_retained_messages_across_a_restart(tmp_path: Path) -> None:
    settings = local_settings(tmp_path / "state")
    topic = "energrid-test/retained"
    with ManagedBroker(settings) as first:
        client, _received = connected_client("127.0.0.1", settings.mqtt_port)
        client.publish(topic, b"kept", qos=1, retain=True).wait_for_publish(TIMEOUT_S)
        close(client)
        first_pid = first.pid
    with ManagedBroker(settings) as second:
        assert second.pid != first_pid
        assert retained_payload("127.0.0.1", settings.mqtt_port, topic) == b"kept"
    assert (second.directory / "mosquitto.log.1").is_file()


def test_a_broker_that_exits_at_start_up_is_reported_with_its_last_log_line(
    tmp_path: Path,
) -> None:
    config = tmp_path / "bad.conf"
    config.write_text("listener 1883 127.0.0.1\nno_such_option 1\n")
    settings = local_settings(tmp_path / "state", broker_config=config)
    with pytest.raises(BrokerUnavailableError) as caught:
        ManagedBroker(settings).start()
    message = str(caught.value)
    assert "Unknown configuration variable" in message and "no_such_option" in message
    assert "\n" not in message


def test_not_installed_is_one_helpful_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(broker_module, "DEBIAN_MOSQUITTO", tmp_path / "no-mosquitto")
    with pytest.raises(BrokerUnavailableError) as caught:
        ensure_broker(local_settings(tmp_path / "state"))
    assert str(caught.value) == NOT_INSTALLED
    assert "apt install mosquitto mosquitto-clients" in NOT_INSTALLED
    assert "\n" not in NOT_INSTALLED


def test_start_broker_off_names_the_address(tmp_path: Path) -> None:
    settings = local_settings(tmp_path / "state", start_broker=False)
    with pytest.raises(BrokerUnavailableError) as caught:
        ensure_broker(settings)
    message = str(caught.value)
    assert f"127.0.0.1:{settings.mqtt_port}" in message and "\n" not in message
    assert not (tmp_path / "state").exists()


def test_remote_host_is_never_started_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 192.0.2.1 (TEST-NET-1) must not be contacted: the reachability probe is replaced.
    probed: list[tuple[str, int]] = []

    def unreachable(host: str, port: int, timeout: float = 0.5) -> bool:
        probed.append((host, port))
        return False

    monkeypatch.setattr(broker_module, "broker_reachable", unreachable)
    settings = local_settings(tmp_path / "state", mqtt_host="192.0.2.1", mqtt_port=1883)
    with pytest.raises(BrokerUnavailableError, match=r"192\.0\.2\.1:1883") as caught:
        ensure_broker(settings)
    assert "\n" not in str(caught.value)
    assert probed == [("192.0.2.1", 1883)]
    assert not (tmp_path / "state").exists()


# --- runtime_config and the repository's mosquitto.conf ----------------------------------------


def test_runtime_config_moves_ports_and_keeps_bind_addresses(tmp_path: Path) -> None:
    source = REPO_CONFIG.read_text() + "persistence_location /var/lib/mosquitto/\n"
    lines = runtime_config(source, 21883, 29001, tmp_path).splitlines()
    listeners = [line for line in lines if line.startswith("listener ")]
    assert listeners == ["listener 21883 127.0.0.1", "listener 29001 lo"]
    assert [line for line in lines if line.startswith("persistence_location")] == [
        f"persistence_location {tmp_path}/"
    ]
    assert "check_retain_source true" in lines


def test_runtime_config_stays_root_only_when_run_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "listener 1883 127.0.0.1\n"
    monkeypatch.setattr(broker_module.os, "geteuid", lambda: 0)
    assert "user root" in runtime_config(source, 1, 2, tmp_path).splitlines()
    assert "user root" not in runtime_config(source + "user energrid\n", 1, 2, tmp_path)
    monkeypatch.setattr(broker_module.os, "geteuid", lambda: 1000)
    assert "user root" not in runtime_config(source, 1, 2, tmp_path)


def test_runtime_config_needs_a_1883_listener(tmp_path: Path) -> None:
    with pytest.raises(BrokerUnavailableError, match="listener 1883"):
        runtime_config("listener 1884 127.0.0.1\n", 21883, 29001, tmp_path)


def test_repository_config_is_loopback_only_and_explicit() -> None:
    lines = [line.split() for line in REPO_CONFIG.read_text().splitlines()]
    settings = [words for words in lines if words and not words[0].startswith("#")]
    listeners = [words for words in settings if words[0] == "listener"]
    assert len(listeners) == 2
    assert all(len(words) == 3 and words[2] in {"127.0.0.1", "lo"} for words in listeners)
    for expected in (
        ["per_listener_settings", "false"],
        ["check_retain_source", "true"],
        ["persistence", "true"],
        ["persistence_file", "energrid.db"],
    ):
        assert expected in settings
    assert not any(words[0] == "persistence_location" for words in settings)


# --- the fixtures ---------------------------------------------------------------------------


def test_session_broker_carries_messages(broker: MosquittoProcess) -> None:
    assert echo(broker.host, broker.port) == b"hello grid"


def test_fixture_broker_restarts_on_the_same_port(make_broker) -> None:
    own = make_broker()
    port = own.port
    own.stop()
    assert not own.running and not mqtt_handshake(own.host, port)
    own.start()
    assert own.port == port and echo(own.host, port) == b"hello grid"
    own.kill()
    assert not broker_reachable(own.host, port, timeout=0.2)
    own.start()
    assert echo(own.host, port) == b"hello grid"
    assert "mosquitto version" in own.log_text()


def test_fixture_broker_with_persistence_keeps_retained_messages(make_broker) -> None:
    own = make_broker(persistence=True, extra_config=["autosave_interval 60"])
    client, _received = connected_client(own.host, own.port)
    client.publish("energrid-test/kept", b"1", qos=1, retain=True).wait_for_publish(TIMEOUT_S)
    close(client)
    own.stop()
    own.start()
    assert retained_payload(own.host, own.port, "energrid-test/kept") == b"1"


@pytest.mark.allow_callback_errors  # the inner run logs to the same root logger as this test
def test_callback_error_guard_fails_the_test(pytester: pytest.Pytester) -> None:
    tests_dir = Path(__file__).resolve().parent
    pytester.makeconftest((tests_dir / "conftest.py").read_text())
    pytester.makeini(
        "[pytest]\nmarkers =\n    allow_callback_errors: logs an exception on purpose\n"
    )
    pytester.makepyfile(
        test_guard="""
        import logging

        import pytest

        def log_failure(name):
            try:
                1 / 0
            except ZeroDivisionError:
                logging.getLogger(name).exception("on_message failed")

        def test_energrid_logger():
            log_failure("energrid_core.mqtt")

        @pytest.mark.allow_callback_errors
        def test_allowed():
            log_failure("energrid_core.mqtt")

        def test_other_logger():
            log_failure("paho.mqtt.client")

        def test_error_without_exception():
            logging.getLogger("energrid.shell").error("plain error line")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*energrid_core.mqtt: on_message failed*ZeroDivisionError*"])


def test_every_broker_module_logs_as_broker() -> None:
    """The README promises one form, `[broker] text`, for the broker's lines: the tag is the
    logger's name after `energrid.` (energrid/app.py's format)."""
    from energrid.broker import ports, process, start, watch

    assert {module.log.name for module in (ports, process, start, watch)} == {"energrid.broker"}
