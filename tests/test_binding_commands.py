"""bindDevice, unbindDevice, showBindings in the shell: their lines and one-line errors."""

from __future__ import annotations

import pytest
from mosquitto_fixture import free_port

from energrid.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.server import GridServer


@pytest.fixture
def server(tmp_path) -> GridServer:  # noqa: ANN001 - not connected: these are unit tests
    return GridServer(Settings(state_dir=tmp_path, start_broker=False, mqtt_port=free_port()))


@pytest.fixture
def sh(server: GridServer) -> dict:
    commands = ShellCommands(server).namespace()
    commands["newHouse"]()
    commands["newConsumer"](1, 2, "Lampe")
    return commands


def test_bind_show_and_unbind(sh: dict, server: GridServer, capsys, mocker) -> None:  # noqa: ANN001
    capsys.readouterr()
    sh["bindDevice"](1, 1, "tasmota", "plug-kitchen")
    assert "House 1 consumer 1 is fed by tasmota 'plug-kitchen'" in capsys.readouterr().out
    sh["showBindings"]()
    assert "house 1 consumer 1: tasmota 'plug-kitchen'  relay ?  ?  not heard" in (
        capsys.readouterr().out
    )
    mocker.patch.object(type(server.client), "connected", new=True)
    publish = mocker.patch.object(server.client._client, "publish")
    publish.return_value.rc = 0
    sh["setConsumer"](1, 1, 1)
    args, _kwargs = publish.call_args
    assert args == ("cmnd/plug-kitchen/POWER", b"ON")
    assert "it goes to tasmota 'plug-kitchen' on cmnd/plug-kitchen/POWER" in capsys.readouterr().out
    sh["unbindDevice"](1, 1)
    assert "no longer fed by tasmota 'plug-kitchen'" in capsys.readouterr().out
    sh["showBindings"]()
    assert "No consumer is bound" in capsys.readouterr().out
    assert "bindDevice(h, c, 'tasmota', topic)" in (sh["help"](), capsys.readouterr().out)[1]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("bindDevice", (1, 3, "tasmota", "p"), "house 1 has no consumer 3"),
        ("bindDevice", (2, 1, "tasmota", "p"), "no house 2"),
        ("bindDevice", (1, 1, "zigbee", "p"), "the flavour must be 'tasmota' or 'shelly'"),
        ("bindDevice", (1, 1, "tasmota", "a/b"), "must not hold '/'"),
        ("bindDevice", (1, 1, "shelly", "x#"), "must not hold + #"),
        ("bindDevice", (1, 1, "tasmota"), "wrong arguments"),
        ("bindDevice", ("1", 1, "tasmota", "p"), "the house must be a whole number"),
        ("unbindDevice", (1, 2), "consumer 2 of house 1 is not bound"),
    ],
)
def test_bad_arguments_are_one_line_and_change_nothing(
    sh: dict,
    server: GridServer,
    capsys,
    name: str,
    args: tuple,
    message: str,  # noqa: ANN001
) -> None:
    capsys.readouterr()
    assert sh[name](*args) is None
    text = capsys.readouterr().out
    assert text.count("\n") == 1 and text.startswith("error: ") and message in text, text
    assert len(server.bindings) == 0
    assert server.store.bindings() == []
