"""The web view's HTTP server: its own files and the pinned libraries, nothing else, and where the
page finds the broker."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import wait_for
from mosquitto_fixture import free_port

from energrid.view.cli import page_config
from energrid.view.server import PAGE_FILES, ViewServer
from energrid_core import auth
from energrid_core.config import Settings, from_env
from energrid_core.errors import EnergridError

REPO = Path(__file__).resolve().parent.parent


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


@pytest.fixture
def view(tmp_path: Path):  # noqa: ANN201
    settings = Settings(ws_port=19001, neighborhood=3, state_dir=tmp_path)
    served = ViewServer(page_config(settings), 0)
    served.start()
    yield served
    served.stop()


def test_every_page_file_is_served_with_its_type(view: ViewServer) -> None:
    for path, file in PAGE_FILES.items():
        status, kind, body = get(view.url.rstrip("/") + path)
        assert status == 200 and body == file.read_bytes(), path
        if path.endswith(".js"):
            assert kind.startswith("text/javascript"), path


def test_the_page_is_told_where_the_broker_is(view: ViewServer) -> None:
    status, kind, body = get(view.url + "config.json")
    assert status == 200 and kind == "application/json"
    assert json.loads(body) == {
        "ws_host": "",
        "ws_port": 19001,
        "neighborhood": 3,
        "username": "",
        "password": "",
        "ws_tls": False,
    }


@pytest.mark.parametrize(
    "path", ["/../energrid.sh", "/web/app.js", "/node_modules/mqtt/package.json", "/x"]
)
def test_nothing_else_is_served(view: ViewServer, path: str) -> None:
    assert get(view.url.rstrip("/") + path)[0] == 404


def test_a_remote_broker_is_named_and_an_account_uses_its_kept_password(tmp_path: Path) -> None:
    settings = Settings(mqtt_host="192.168.1.10", state_dir=tmp_path)
    username = auth.account("client", "vr1").username
    kept = auth.password_file_of(tmp_path, username)
    kept.parent.mkdir(parents=True)
    kept.write_text("s3cret\n")
    config = page_config(settings, "vr1")
    assert (config.ws_host, config.username, config.password) == (
        "192.168.1.10",
        username,
        "s3cret",
    )
    kept.unlink()
    assert page_config(settings, "vr1").password == ""


def test_a_bad_account_name_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(EnergridError):
        page_config(Settings(state_dir=tmp_path), "no spaces allowed")


def test_a_busy_port_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        view = ViewServer(page_config(Settings(state_dir=tmp_path)), busy.getsockname()[1])
        with pytest.raises(EnergridError, match="--view-port"):
            view.start()


def test_energrid_view_serves_until_stopped(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "energrid",
            "--state-dir",
            str(tmp_path),
            "view",
            "--view-port",  # a settings flag after the subcommand, as with watch and sim
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"Energrid view on http://127.0.0.1:{port}/")
        wait_for(lambda: get(f"http://127.0.0.1:{port}/")[0] == 200, "the page")
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_ws_tls_from_the_environment_reaches_the_page(tmp_path: Path) -> None:
    """ENERGRID_WS_TLS=1 (or --ws-tls) tells the page the listener speaks TLS: it uses wss://."""
    settings = from_env({"ENERGRID_WS_TLS": "1", "ENERGRID_STATE_DIR": str(tmp_path)})
    assert json.loads(page_config(settings).as_json())["ws_tls"] is True
