"""Late join from a broker run from a shipped configuration: how many retained state messages a
client subscribing to energrid/0/# gets, and how fast, per transport and QoS.

    .venv/bin/python -m bench.late_join --houses 1000 5000 [--config mosquitto.conf]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from late_join import grid_messages, late_join, publish_retained  # noqa: E402
from mosquitto_fixture import free_port  # noqa: E402
from test_late_join import _close, _publisher  # noqa: E402

from energrid.broker.start import ManagedBroker  # noqa: E402
from energrid_core.config import Settings  # noqa: E402


def measure(config: Path, houses: int) -> None:
    with tempfile.TemporaryDirectory() as state:
        mqtt_port, ws_port = free_port(), free_port()
        settings = Settings(
            mqtt_port=mqtt_port, ws_port=ws_port, state_dir=Path(state), broker_config=config
        )
        broker = ManagedBroker(settings)
        broker.start()
        try:
            messages = grid_messages(0, houses)
            size = sum(len(payload) for _, payload in messages)
            publisher = _publisher(mqtt_port)
            publish_retained(publisher, messages, timeout_s=120)
            _close(publisher)
            print(
                f"{houses} houses: {len(messages)} retained messages, "
                f"{size / 1e6:.1f} MB of payload"
            )
            for transport, port in (("websockets", ws_port), ("tcp", mqtt_port)):
                for qos in (0, 1):
                    topics, seconds = late_join(
                        port, 0, len(messages), transport, qos, timeout_s=30
                    )
                    print(
                        f"  {transport:10} QoS {qos}: "
                        f"{len(topics)}/{len(messages)} in {seconds:.2f} s"
                    )
        finally:
            broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, nargs="+", default=[1000])
    parser.add_argument("--config", type=Path, default=REPO / "mosquitto.conf")
    args = parser.parse_args()
    print(f"broker configuration: {args.config}")
    for houses in args.houses:
        measure(args.config.resolve(), houses)


if __name__ == "__main__":
    main()
