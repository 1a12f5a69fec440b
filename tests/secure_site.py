"""The secure profile's site for tests: Mosquitto from mosquitto-secure.conf run as Energrid runs
it, with the accounts `energrid credentials` made (server, houses 1 and 2, client vr1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from grid_helpers import Peer
from mosquitto_fixture import free_port

from energrid.broker.credentials import Credentials
from energrid.broker.start import ManagedBroker
from energrid_core import auth
from energrid_core.config import Settings

REPO = Path(__file__).resolve().parent.parent
SECURE_CONFIG = REPO / "mosquitto-secure.conf"


@dataclass
class SecureSite:
    settings: Settings
    broker: ManagedBroker
    credentials: Credentials
    passwords: dict[str, str]

    @property
    def port(self) -> int:
        return self.settings.mqtt_port

    def server_settings(self, **changes: object) -> Settings:
        settings = Settings(
            mqtt_port=self.port,
            state_dir=self.settings.state_dir,
            start_broker=False,
            mqtt_username=auth.SERVER_USERNAME,
        )
        for name, value in changes.items():
            setattr(settings, name, value)
        return settings

    def peer(self, username: str | None, password: str | None = None, **kw: object) -> Peer:
        if username is not None and password is None:
            password = self.passwords[username]
        return Peer(self.port, client_id=kw.pop("client_id", username), username=username,
                    password=password, **kw)  # fmt: skip


def site_settings(state_dir: Path, config: Path = SECURE_CONFIG) -> Settings:
    mqtt_port, ws_port = free_port(), free_port()
    while ws_port == mqtt_port:
        ws_port = free_port()
    return Settings(mqtt_port=mqtt_port, ws_port=ws_port, state_dir=state_dir, broker_config=config)


def open_site(settings: Settings) -> SecureSite:
    credentials = Credentials(settings)
    passwords = {}
    for kind, name in [("server", None), ("house", "1"), ("house", "2"), ("client", "vr1")]:
        account = auth.account(kind, name)
        passwords[account.username] = credentials.add(account)
    broker = ManagedBroker(settings)
    broker.start()
    return SecureSite(settings, broker, credentials, passwords)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SecureSite]:
    opened = open_site(site_settings(tmp_path / "state"))
    yield opened
    opened.broker.stop()
