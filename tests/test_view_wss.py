"""The web view over TLS websockets, in real headless Chromium: a Mosquitto whose websockets
listener speaks TLS (a certificate from a test authority), the view served with ws_tls on, and
the page reaches the broker with wss:// and shows the grid a GridServer built over plain TCP.

Chromium trusts only this broker's key (--ignore-certificate-errors-spki-list), not every
certificate: a page that spoke plain ws:// to the TLS listener would never connect."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium, text_of
from grid_helpers import running, server_settings
from helpers import wait_for
from mosquitto_fixture import MosquittoProcess, free_port
from selenium.webdriver.common.by import By
from test_secure_profile import make_broker_cert, make_ca

from energrid.view.cli import page_config
from energrid.view.server import ViewServer


def spki_sha256(cert: Path) -> str:
    """The base64 SHA-256 of the certificate's public key, as Chromium's SPKI list wants it."""
    der = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-pubkey"], check=True, capture_output=True
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=der, check=True, capture_output=True
    ).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture
def tls_ws_broker(tmp_path: Path) -> Iterator[tuple[MosquittoProcess, int, Path]]:
    """Mosquitto with plain MQTT on its port and MQTT over TLS websockets on another."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    tls = tmp_path / "tls"
    ca_key, ca_cert = make_ca(tls, "energrid-test-ca")
    key, cert = make_broker_cert(tls, ca_key, ca_cert)
    wss_port = free_port()
    broker = MosquittoProcess(
        tmp_path / "broker",
        extra_config=[
            f"listener {wss_port} 127.0.0.1",
            "protocol websockets",
            f"cafile {ca_cert}",
            f"certfile {cert}",
            f"keyfile {key}",
        ],
    )
    broker.start()
    try:
        yield broker, wss_port, cert
    finally:
        broker.stop()


def test_the_page_reaches_a_tls_websockets_listener_with_wss(
    tls_ws_broker: tuple[MosquittoProcess, int, Path], tmp_path: Path
) -> None:
    broker, wss_port, cert = tls_ws_broker
    settings = server_settings(broker.port, tmp_path / "state", ws_port=wss_port, ws_tls=True)
    view = ViewServer(page_config(settings), 0)
    with running(settings) as server:
        for house in server.new_houses(2):
            server.new_consumers(house.identifier, 2, "LED")
        wait_for(server.state.idle, "the server to publish the grid")
        view.start()
        try:
            with chromium(f"--ignore-certificate-errors-spki-list={spki_sha256(cert)}") as driver:
                driver.get(view.url)
                whole = driver.find_element(By.ID, "completeness")
                wait_for(
                    lambda: whole.get_attribute("data-whole") == "true",
                    "the page to hold the grid over wss",
                )
                assert text_of(driver, "completeness").startswith("2 of 2 houses, 4 of 4 devices")
                assert text_of(driver, "server-status") == "Energrid server online"
                status = text_of(driver, "broker-status")
                assert f"wss://127.0.0.1:{wss_port}/" in status, status
        finally:
            view.stop()
