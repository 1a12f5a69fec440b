"""The secure profile (mosquitto-secure.conf) run the way Energrid runs it, with accounts made by
`energrid credentials`: anonymous refused, a house board confined to its own house, the server
working end to end, TLS (reliability matrix A16, A17, B17, B18, B22, C2, C3, C5)."""

from __future__ import annotations

import logging
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from grid_helpers import Peer, running
from helpers import wait_for
from mosquitto_fixture import free_port
from secure_site import SECURE_CONFIG, SecureSite, open_site, site_settings

from energrid.app import running_server
from energrid.broker.start import ensure_broker
from energrid.shell.session import banner
from energrid_core import auth
from energrid_core.commands.command import Phase
from energrid_core.errors import BrokerUnavailableError

NOT_AUTHORIZED = 0x87
BAD_CREDENTIALS = 0x86


def reading(value: float) -> bytes:
    return orjson.dumps({"current_a": value})


# --- the profile itself -------------------------------------------------------------------------


def test_the_profile_is_explicit_about_security() -> None:
    """C2, C5: no anonymous on any listener, explicit retain check, loopback unless uncommented."""
    lines = [line.split() for line in SECURE_CONFIG.read_text().splitlines()]
    active = [words for words in lines if words and not words[0].startswith("#")]
    for expected in (
        ["per_listener_settings", "false"],
        ["allow_anonymous", "false"],
        ["password_file", "passwd"],
        ["acl_file", "acl"],
        ["check_retain_source", "true"],
    ):
        assert expected in active
    assert ["allow_anonymous", "true"] not in active
    listeners = [i for i, words in enumerate(active) if words[0] == "listener"]
    assert [active[i] for i in listeners] == [
        ["listener", "1883", "127.0.0.1"],
        ["listener", "9001", "lo"],
    ]
    # A listener option: each listener needs its own (A16).
    for start, end in zip(listeners, [*listeners[1:], len(active)], strict=True):
        assert ["use_username_as_clientid", "true"] in active[start:end], active[start]
    # The commented listeners carry it too, ready to be uncommented.
    commented = [line.strip() for line in SECURE_CONFIG.read_text().splitlines()]
    for listener in ("#listener 8883 0.0.0.0", "#listener 1883 0.0.0.0"):
        after = commented[commented.index(listener) + 1]
        assert after == "#use_username_as_clientid true"


def test_starting_it_without_accounts_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BrokerUnavailableError, match="energrid credentials add server") as caught:
        ensure_broker(site_settings(tmp_path / "state"))
    assert "\n" not in str(caught.value)


def test_credential_files_are_private(site: SecureSite) -> None:
    """C3: the password file and the server's password 0600, the ACL 0640, the folder 0700."""
    directory = auth.credentials_dir(site.settings.state_dir)
    modes = {
        path.name: stat.S_IMODE(path.stat().st_mode) for path in [directory, *directory.iterdir()]
    }
    assert modes == {
        "credentials": 0o700,
        "passwd": 0o600,
        "acl": 0o640,
        "energrid-server.password": 0o600,
    }
    config = site.broker.config_path.read_text()
    assert f"password_file {directory.resolve() / 'passwd'}" in config
    assert f"acl_file {directory.resolve() / 'acl'}" in config


# --- who gets in ---------------------------------------------------------------------------------


def test_anonymous_and_wrong_passwords_are_refused(site: SecureSite) -> None:
    """B22."""
    for peer in (site.peer(None), site.peer("house-1", "not-the-password")):
        assert peer.answered.wait(10), "no CONNACK"
        assert peer.connect_result in (NOT_AUTHORIZED, BAD_CREDENTIALS)
        assert not peer.connected.is_set()
        peer.close()


def test_the_server_works_end_to_end_with_its_account(site: SecureSite) -> None:
    board = site.peer("house-1").wait_connected()
    board.subscribe("Neighborhood/0/House/1/Consumer/+/set")
    with running(site.server_settings()) as server:
        server.new_houses(2)
        server.new_consumers(1, 1, "Lamp")
        board.publish("Neighborhood/0/House/1/Consumer/1", reading(2.0))
        wait_for(lambda: server.grid.house(1).consumer(1).current_a.last == 2.0, "the reading")
        server.set_consumer(1, 1, 1)
        message = board.received.get(timeout=10)
        assert (message.topic, message.payload) == ("Neighborhood/0/House/1/Consumer/1/set", b"1")
        wait_for(lambda: server.ledger.counts[Phase.DELIVERED] == 1, "the PUBACK")
        said = banner(server, None)
    board.close()
    assert "Profile: secure, account energrid-server." in said  # the shell's banner says so


def test_wrong_server_credentials_are_reported_once(site: SecureSite, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-it\n")
    notices: list[str] = []
    settings = site.server_settings(mqtt_password_file=str(wrong))
    with running(settings, connect=False) as server:
        server.client.connection_listeners.append(lambda _up, text: notices.append(text))
        wait_for(lambda: notices, "the refusal")
        assert not server.client.connected
    assert len([text for text in notices if "refused" in text]) == 1
    assert "check --mqtt-username and the password file" in notices[0]


def test_a_missing_server_password_file_is_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    settings = site_settings(tmp_path / "state")
    settings.mqtt_username = auth.SERVER_USERNAME
    expected = auth.password_file_of(settings.state_dir, auth.SERVER_USERNAME)
    with pytest.raises(BrokerUnavailableError) as caught, running_server(settings):
        pass
    assert str(caught.value) == (
        f"no password for energrid-server: {expected} does not exist; "
        "create it with `energrid credentials add server`"
    )
    assert not (settings.state_dir / "broker").exists()  # no broker was started
    settings.mqtt_password_file = str(tmp_path / "elsewhere")
    with pytest.raises(BrokerUnavailableError, match="elsewhere .--mqtt-password-file. does not"):
        running_server(settings).__enter__()


def test_a_refusal_is_said_once_and_never_called_silence(
    site: SecureSite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not a warning at every retry, and not followed by 'the broker does not answer yet'."""
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-it\n")
    notices: list[str] = []
    settings = site.server_settings(mqtt_password_file=str(wrong))
    with running_server(settings, lambda _up, text: notices.append(text)) as server:
        wait_for(lambda: server.client.refusals >= 2, "a retry refused too")
        assert not server.client.connected
        reason = server.client.refusal
    assert [text for text in notices if "refused" in text] == [
        f"the broker at 127.0.0.1:{site.port} refused the connection: {reason}; "
        "check --mqtt-username and the password file (energrid credentials); retrying"
    ]
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [text for text in logged if "refused" in text or "does not answer" in text]


# --- a board stays in its own house --------------------------------------------------------------


def test_house_1_cannot_publish_house_2_readings(site: SecureSite) -> None:
    """B17: the broker refuses (0x87 to an MQTT 5 board) and the server never sees it."""
    board = site.peer("house-1").wait_connected()
    with running(site.server_settings()) as server:
        server.new_houses(2)
        for house in (1, 2):
            server.new_consumers(house, 1, "Lamp")
        spoof = board.publish("Neighborhood/0/House/2/Consumer/1", reading(9.0))
        spoof_batch = board.publish("Neighborhood/0/House/2/Consumer", b'{"1": 1700}')
        own = board.publish("Neighborhood/0/House/1/Consumer/1", reading(1.0))
        assert board.wait_acked(spoof) == NOT_AUTHORIZED
        assert board.wait_acked(spoof_batch) == NOT_AUTHORIZED
        assert board.wait_acked(own) == 0
        wait_for(lambda: server.grid.house(1).consumer(1).current_a.count == 1, "its own reading")
        assert server.grid.house(2).consumer(1).current_a.count == 0
        assert server.stats.messages_received == 1
    board.close()


def test_house_1_cannot_read_house_2_commands(site: SecureSite) -> None:
    """B18: even subscribed to # and to house 2's commands, it gets only its own."""
    board = site.peer("house-1").wait_connected()
    board.subscribe(
        "#", "Neighborhood/0/House/2/Consumer/+/set", "Neighborhood/0/House/+/Supplier/#"
    )
    with running(site.server_settings()) as server:
        server.new_houses(2)
        for house in (1, 2):
            server.new_consumers(house, 1, "Lamp")
            server.new_suppliers(house, 1, "Solar")
        server.set_consumer(2, 1, 1)
        server.set_supplier(2, 1, 0)
        server.set_consumer(1, 1, 1)  # after the others: when it arrives, they would have
        message = board.received.get(timeout=10)
        assert message.topic == "Neighborhood/0/House/1/Consumer/1/set"
        wait_for(lambda: server.ledger.counts[Phase.DELIVERED] == 3, "all three PUBACKs")
    assert board.messages() == []
    board.close()


def test_a_board_cannot_take_over_the_server_session(site: SecureSite) -> None:
    """A16: with use_username_as_clientid the broker uses 'house-1', not the id it asked for."""
    with running(site.server_settings()) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        impostor = site.peer("house-1", client_id=auth.SERVER_USERNAME).wait_connected()
        impostor.publish("Neighborhood/0/House/1/Consumer/1", reading(3.0))
        wait_for(lambda: server.grid.house(1).consumer(1).current_a.last == 3.0, "its reading")
        assert server.client.disconnects == 0 and server.client.connected
        impostor.close()


def test_a_vr_client_reads_everything_and_sends_commands_only(site: SecureSite) -> None:
    vr = site.peer("client-vr1").wait_connected()
    vr.subscribe("Neighborhood/#")
    board = site.peer("house-2").wait_connected()
    board.subscribe("Neighborhood/0/House/2/Consumer/+/set")
    with running(site.server_settings()) as server:
        server.new_houses(2)
        server.new_consumers(2, 1, "Lamp")
        board.publish("Neighborhood/0/House/2/Consumer/1", reading(1.5))
        seen = vr.received.get(timeout=10)
        assert (seen.topic, seen.payload) == ("Neighborhood/0/House/2/Consumer/1", reading(1.5))
        assert vr.wait_acked(vr.publish("Neighborhood/0/House/2/Consumer/1", reading(7))) == (
            NOT_AUTHORIZED
        )
        assert vr.wait_acked(vr.publish("Neighborhood/0/House/2/Consumer/1/set", b"1")) == 0
        got = board.received.get(timeout=10)
        assert (got.topic, got.payload) == ("Neighborhood/0/House/2/Consumer/1/set", b"1")
        wait_for(lambda: server.grid.house(2).consumer(1).commanded == 1, "the command seen")
        assert server.grid.house(2).consumer(1).current_a.last == 1.5
    vr.close()
    board.close()


def test_accounts_added_or_removed_apply_to_the_running_broker(site: SecureSite) -> None:
    """A17: the command reloads the broker Energrid runs (SIGHUP); nothing restarts."""
    pid = site.broker.pid
    house_3 = auth.account("house", "3")
    password = site.credentials.add(house_3)
    assert site.credentials.reload_broker() == pid
    wait_for(lambda: "Reloading config" in site.broker.log_path.read_text(), "the reload")
    board = site.peer("house-3", password).wait_connected()
    board.close()
    site.credentials.remove(house_3)
    site.credentials.reload_broker()
    wait_for(lambda: site.broker.log_path.read_text().count("Reloading config") == 2, "reload")
    again = site.peer("house-3", password)
    assert again.answered.wait(10) and not again.connected.is_set()
    again.close()
    assert site.broker.pid == pid


# --- TLS ------------------------------------------------------------------------------------------


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


def make_broker_cert(directory: Path, ca_key: Path, ca_cert: Path) -> tuple[Path, Path]:
    key, csr, cert = directory / "broker.key", directory / "broker.csr", directory / "broker.crt"
    san = directory / "san.cnf"
    san.write_text("subjectAltName=IP:127.0.0.1\n")
    subprocess.run(
        ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", san],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[SecureSite, int, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    tls = tmp_path / "tls"
    ca_key, ca_cert = make_ca(tls, "energrid-test-ca")
    key, cert = make_broker_cert(tls, ca_key, ca_cert)
    tls_port = free_port()
    text = SECURE_CONFIG.read_text()
    text = text.replace("#listener 8883 0.0.0.0", f"listener {tls_port} 127.0.0.1", 1)
    text = text.replace("#use_username_as_clientid true", "use_username_as_clientid true", 1)
    text = text.replace("#cafile /etc/energrid/tls/ca.crt", f"cafile {ca_cert}", 1)
    text = text.replace("#certfile /etc/energrid/tls/broker.crt", f"certfile {cert}", 1)
    text = text.replace("#keyfile /etc/energrid/tls/broker.key", f"keyfile {key}", 1)
    config = tmp_path / "secure-tls.conf"
    config.write_text(text)
    opened = open_site(site_settings(tmp_path / "state", config))
    yield opened, tls_port, ca_cert
    opened.broker.stop()


def test_the_server_connects_over_tls_and_checks_the_broker(
    tls_site: tuple[SecureSite, int, Path], tmp_path: Path
) -> None:
    site, tls_port, ca_cert = tls_site
    board = Peer(tls_port, "house-1", "house-1", site.passwords["house-1"], tls_ca=str(ca_cert))
    settings = site.server_settings(mqtt_port=tls_port, mqtt_tls_ca=str(ca_cert))
    with running(settings) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        board.wait_connected().publish("Neighborhood/0/House/1/Consumer/1", reading(4.0))
        wait_for(lambda: server.grid.house(1).consumer(1).current_a.last == 4.0, "a TLS reading")
    board.close()
    _other_key, other_ca = make_ca(tmp_path / "other", "not-the-broker-ca")
    settings = site.server_settings(mqtt_port=tls_port, mqtt_tls_ca=str(other_ca))
    with running(settings, connect=False) as server:
        wait_for(lambda: server.client.connect_failures >= 2, "failed TLS handshakes")
        assert not server.client.connected and server.client.connects == 0
        # Said as what it is, not as a broker that does not answer.
        assert "presented a TLS certificate that" in server.client.problem
        assert "not-the-broker-ca.crt does not vouch for (" in server.client.problem
