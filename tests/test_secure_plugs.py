"""The secure profile with a bound plug: it reports and obeys, and reaches nothing else."""

from __future__ import annotations

import orjson
import pytest
from grid_helpers import running
from helpers import wait_for
from secure_site import SecureSite

from energrid_core import auth
from energrid_core.errors import BadArgumentError

NOT_AUTHORIZED = 0x87


def test_a_tasmota_plug_account_reports_obeys_and_reaches_nothing_else(site: SecureSite) -> None:
    acc = auth.account("tasmota", "plug-kitchen")
    assert acc.username == "tasmota-plug-kitchen"
    site.passwords[acc.username] = site.credentials.add(acc)
    assert site.credentials.reload_broker() is not None  # SIGHUP: it reads the accounts again
    plug = _connect_once_reloaded(site, acc.username)
    plug.subscribe("cmnd/plug-kitchen/#", "cmnd/other-plug/#", "Neighborhood/#")
    with running(site.server_settings()) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        server.bind_device(1, 1, "tasmota", "plug-kitchen")
        report = orjson.dumps({"ENERGY": {"Power": 115, "Voltage": 230}})

        def landed() -> bool:
            plug.publish("tele/plug-kitchen/SENSOR", report)
            return server.grid.house(1).consumer(1).current_a.last is not None

        wait_for(landed, "the plug's report")
        assert server.grid.house(1).consumer(1).power_w(230.0) == pytest.approx(115.0)
        spoof = plug.publish("Neighborhood/0/House/1/Consumer/1", b'{"current_a": 9}')
        other = plug.publish("tele/other-plug/SENSOR", report)
        assert plug.wait_acked(spoof) == NOT_AUTHORIZED
        assert plug.wait_acked(other) == NOT_AUTHORIZED
        server.set_consumer(1, 1, 0)
        message = plug.received.get(timeout=10)
        assert (message.topic, message.payload) == ("cmnd/plug-kitchen/POWER", b"OFF")
    plug.close()


def _connect_once_reloaded(site: SecureSite, username: str):  # noqa: ANN202 - Peer
    """The broker reloads its accounts after a SIGHUP, soon but not at once: try until then."""
    peers = []

    def connected() -> bool:
        peer = site.peer(username)
        peers.append(peer)
        assert peer.answered.wait(5)
        return peer.connected.is_set()

    wait_for(connected, f"the broker to accept {username}")
    for refused in peers[:-1]:
        refused.close()
    return peers[-1]


def test_plug_account_names_are_checked_and_read_back() -> None:
    gen1 = auth.account("shelly", "shellies/shelly1pm-A1B2C3")
    assert gen1.username == "shelly1-shelly1pm-A1B2C3"
    assert auth.parse_username(gen1.username) == gen1
    gen2 = auth.account("shelly", "shellyplus1pm-a8032ab12345")
    assert auth.parse_username(gen2.username) == gen2
    assert ("read", "shellyplus1pm-a8032ab12345/rpc") in auth.rules(gen2, 0)
    for bad in ("a/b", "plug#", "", "shellies/a/b", "x" * 49):
        with pytest.raises(BadArgumentError):
            auth.account("shelly" if bad.startswith("shellies") else "tasmota", bad)
