"""Each way a connection fails or ends has its own true line (see energrid_core/mqtt/reasons.py)."""

from __future__ import annotations

import ssl

from helpers import wait_for
from paho.mqtt.client import DisconnectFlags
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode
from tcp_proxy import TcpProxy

from energrid_core.mqtt.client import ClientOptions, GridClient
from energrid_core.mqtt.reasons import connect_failure_text

ADDRESS = "127.0.0.1:1"


def test_connect_failures_are_named_by_their_cause() -> None:
    cert = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cert.verify_message = "unable to get local issuer certificate"
    text = connect_failure_text(ADDRESS, cert, "ca.crt")
    assert "TLS certificate that ca.crt does not vouch for" in text
    assert "unable to get local issuer certificate" in text
    assert "does not answer" in connect_failure_text(
        ADDRESS, ConnectionRefusedError(111, "x"), None
    )
    reset = connect_failure_text(ADDRESS, ConnectionResetError(104, "Connection reset"), None)
    assert "network reset" in reset
    assert "did not answer in time" in connect_failure_text(ADDRESS, TimeoutError(), None)


def lines_of(client: GridClient) -> list[str]:
    notices: list[str] = []
    client.connection_listeners.append(lambda _up, text: notices.append(text))
    return notices


def test_a_reset_by_the_network_is_not_blamed_on_a_client_id(broker) -> None:  # noqa: ANN001
    proxy = TcpProxy(broker.host, broker.port)
    client = GridClient(
        ClientOptions(port=proxy.port, client_id="lines-reset", reconnect_max_s=1), print
    )
    notices = lines_of(client)
    try:
        for _ in range(4):  # more than the three short connections that mean a client id clash
            assert client.start(5.0) if not client.loop_alive else True
            wait_for(lambda: client.connected, what="the connection through the relay")
            connects = client.connects
            proxy.cut(reset=True)
            wait_for(lambda c=connects: client.connects > c, what="the reconnect")
        cut = [n for n in notices if n.startswith("lost the broker")]
        assert len(cut) == 4 and all("the network cut the connection" in n for n in cut), cut
        assert not any("client id" in n for n in notices), notices
        assert client.gave_up is None
    finally:
        client.stop()
        proxy.close()


def test_a_connection_closed_by_the_broker_says_so(broker) -> None:  # noqa: ANN001
    proxy = TcpProxy(broker.host, broker.port)
    client = GridClient(ClientOptions(port=proxy.port, client_id="lines-close"), print)
    notices = lines_of(client)
    try:
        assert client.start(5.0)
        proxy.cut(reset=False)
        wait_for(lambda: any(n.startswith("lost") for n in notices), what="the lost line")
        lost = [n for n in notices if n.startswith("lost")]
        assert lost == [f"lost the broker at {client.address}: it closed the connection; retrying"]
    finally:
        client.stop()
        proxy.close()


def test_session_taken_over_said_by_the_broker_stops_at_once() -> None:
    """MQTT 5 brokers that say why (reason 0x8E) are believed at the first time; Mosquitto 2.0
    closes without a word, which the flapping test with two real clients covers."""
    client = GridClient(ClientOptions(port=1, client_id="lines-taken"), print)
    notices = lines_of(client)
    client._connected.set()  # as after a CONNACK
    taken = ReasonCode(PacketTypes.DISCONNECT, identifier=0x8E)
    client._on_disconnect(client._client, None, DisconnectFlags(True), taken, None)
    assert client.gave_up is not None and "took over this session" in client.gave_up
    assert client.stopping and not client.connected
    assert notices == [client.gave_up]
    other = GridClient(ClientOptions(port=1, client_id="lines-other"), print)
    other._connected.set()
    going = ReasonCode(PacketTypes.DISCONNECT, identifier=0x8B)  # server shutting down
    other._on_disconnect(other._client, None, DisconnectFlags(True), going, None)
    assert other.gave_up is None and not other.stopping
