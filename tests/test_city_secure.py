"""A secure city broker, as docs/scale-out.md sets one up: TLS, accounts and its ACL. The bridge
section `energrid bridge --account --cafile` prints logs in over TLS; `energrid city` too."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from city_site import Board
from grid_helpers import running, server_settings
from helpers import wait_for
from mosquitto_fixture import MosquittoProcess, free_port
from test_secure_profile import make_broker_cert, make_ca

from energrid import cli
from energrid.city.city_client import CityClient

# The ACL of docs/scale-out.md, for neighborhood 2's bridge and one city view.
CITY_ACL = """\
user bridge-2
topic write energrid/2/#
topic write energrid/bridge/2
topic read Neighborhood/2/House/+/Consumer/+/set
topic read Neighborhood/2/House/+/Supplier/+/booleanLoad

user city-view
topic read energrid/#
topic write Neighborhood/+/House/+/Consumer/+/set
topic write Neighborhood/+/House/+/Supplier/+/booleanLoad
topic readwrite energrid/city/city-view

user no-echo
topic read energrid/#
"""
PASSWORDS = {"bridge-2": "b2-secret", "city-view": "cv-secret", "no-echo": "ne-secret"}


class SecureCity(MosquittoProcess):
    """Anonymous MQTT on its port (for the fixture's start-up check) and, on tls_port, TLS
    with accounts and the ACL above (per_listener_settings true)."""

    def __init__(self, directory: Path, ca: Path, cert: Path, key: Path) -> None:
        self.tls_port = free_port()
        self.tls = (ca, cert, key)
        super().__init__(directory)

    def _config(self, extra: Sequence[str], persistence: bool, log_all: bool) -> str:
        ca, cert, key = self.tls
        passwd, acl = self.directory / "passwd", self.directory / "acl"
        passwd.write_text("")
        for user, password in PASSWORDS.items():
            subprocess.run(["mosquitto_passwd", "-b", passwd, user, password], check=True)
        acl.write_text(CITY_ACL)
        lines = [
            "per_listener_settings true",
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            f"listener {self.tls_port} {self.host}",
            f"cafile {ca}",
            f"certfile {cert}",
            f"keyfile {key}",
            "allow_anonymous false",
            f"password_file {passwd}",
            f"acl_file {acl}",
            "persistence false",
            "log_dest stderr",
            "log_type all",
        ]
        if os.geteuid() == 0:
            lines.append("user root")
        return "\n".join(lines) + "\n"


@pytest.fixture
def secure_city(tmp_path: Path) -> tuple[SecureCity, Path]:
    if shutil.which("openssl") is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("openssl and mosquitto_passwd are needed")
    ca_key, ca_cert = make_ca(tmp_path / "tls", "city-test-ca")
    key, cert = make_broker_cert(tmp_path / "tls", ca_key, ca_cert)
    city = SecureCity(tmp_path / "city", ca_cert, cert, key)
    city.start()
    yield city, ca_cert
    city.stop()


def test_a_bridge_and_a_city_view_log_in_over_tls_and_the_acl_lets_them_through(
    secure_city: tuple[SecureCity, Path],
    make_broker,  # noqa: ANN001
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    city, ca_cert = secure_city
    secret = tmp_path / "bridge-2.password"
    secret.write_text(PASSWORDS["bridge-2"] + "\n")
    argv = ["--neighborhood=2", "bridge", "--city-host=127.0.0.1", f"--city-port={city.tls_port}"]
    argv += ["--account=bridge-2", f"--password-file={secret}", f"--cafile={ca_cert}"]
    assert cli.main(argv) == 0
    edge = make_broker(extra_config=capsys.readouterr().out.splitlines())
    settings = server_settings(edge.port, tmp_path / "state", neighborhood=2, client_id="e2")
    view_secret = tmp_path / "city-view.password"
    view_secret.write_text(PASSWORDS["city-view"] + "\n")
    login = [f"--mqtt-port={city.tls_port}", "--mqtt-username=city-view"]
    login += [f"--mqtt-password-file={view_secret}", f"--mqtt-tls-ca={ca_cert}"]
    with running(settings) as server:
        server.new_houses(1)
        server.new_consumers(1, 1, "Lamp")
        board = Board(edge, 2)
        try:
            board.reading(1, 1, 2.0)
            viewer = CityClient("127.0.0.1", city.tls_port, "city-view", "cv-secret", str(ca_cert))
            viewer.start()

            def shown() -> bool:
                with viewer.lock:
                    totals = viewer.city.grid(2).totals()
                return totals is not None and totals.consumption_a == 2.0

            wait_for(shown, "neighborhood 2's totals in the secure city")
            viewer.stop()
            assert cli.main(["city", *login, "--set", "2", "1", "1", "0"]) == 0
            assert "confirmed OFF" in capsys.readouterr().out
            assert board.received() == [("Neighborhood/2/House/1/Consumer/1/set", b"0")]
        finally:
            board.close()
    wrong = tmp_path / "wrong.password"
    wrong.write_text("nope\n")
    bad = [*login[:2], f"--mqtt-password-file={wrong}", login[3]]
    assert cli.main(["city", *bad, "--once", "--timeout-s=3"]) == 1
    assert "refused the connection" in capsys.readouterr().err


def test_a_city_view_whose_echo_the_acl_refuses_says_so_in_one_line(
    secure_city: tuple[SecureCity, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city, ca_cert = secure_city
    secret = tmp_path / "no-echo.password"
    secret.write_text(PASSWORDS["no-echo"] + "\n")
    argv = ["city", f"--mqtt-port={city.tls_port}", "--mqtt-username=no-echo"]
    argv += [f"--mqtt-password-file={secret}", f"--mqtt-tls-ca={ca_cert}"]
    assert cli.main([*argv, "--set", "2", "1", "1", "0", "--timeout-s=1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("not sent: the city broker at 127.0.0.1:") and "did not echo" in err
    assert len(err.splitlines()) == 1
