"""GridClient tells its publish listeners of PUBACKs only: a QoS 0 message written is not one."""

from __future__ import annotations

from helpers import unique, wait_for
from mosquitto_fixture import MosquittoProcess

from energrid_core.mqtt.client import ClientOptions, GridClient


def test_publish_listeners_hear_qos_1_acknowledgements_and_not_qos_0_writes(
    broker: MosquittoProcess,
) -> None:
    client = GridClient(ClientOptions(port=broker.port, client_id=unique("acks")), lambda *a: None)
    heard: list[int] = []
    client.publish_listeners.append(lambda mid, ok, reason: heard.append(mid))
    assert client.start(5.0)
    try:
        quiet = [client.publish(unique("t/q0"), b"x", qos=0) for _ in range(20)]
        acked = client.publish(unique("t/q1"), b"x", qos=1)
        wait_for(lambda: acked in heard, "the PUBACK of the QoS 1 message")
        wait_for(lambda: client.queued_packets == 0, "paho to write its queue")
        assert heard == [acked]
        assert not set(quiet) & set(heard)
    finally:
        client.stop()
