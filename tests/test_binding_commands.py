"""bindDevice, unbindDevice, showBindings in the shell: their lines and one-line errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from energrid.shell.commands import ShellCommands
from energrid_core.model import DeviceKind
from energrid_core.server import GridServer


@pytest.fixture
def server(make_offline_server: Callable[..., GridServer]) -> GridServer:
    return make_offline_server()  # not connected: these are unit tests; stopped after each


def test_binding_a_plug_ends_a_command_meant_for_what_stood_there(
    sh: dict, server: GridServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sh["setConsumer"](1, 1, 0)  # the broker is away: it waits for it
    assert server.command_counts().waiting == 1
    sh["bindDevice"](1, 1, "tasmota", "plug-kitchen")
    assert server.command_counts().waiting == 0  # never sent to the plug once connected
    assert server.command_of(1, DeviceKind.CONSUMER, 1) is None


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
    assert "house 1 consumer 1: tasmota 'plug-kitchen'  relay ?  -  not heard" in (
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
