"""bindDevice, unbindDevice, showBindings: consumers fed by Tasmota and Shelly plugs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from energrid.arguments import command, whole_number
from energrid.shell import output as out
from energrid_core.server import GridServer

HELP = [
    ("bindDevice(h, c, 'tasmota', topic)", "feed consumer c of house h from a Tasmota plug"),
    ("bindDevice(h, c, 'shelly', id)", "... from a Shelly (Gen1: 'shellies/<id>')"),
    ("unbindDevice(h, c)", "stop feeding consumer c from its plug"),
    ("showBindings()", "every bound consumer, its plug, relay, watts, and whether it is online"),
]


def plug_note(server: GridServer, house: int, consumer: int) -> str:
    """' (as ON on cmnd/plug-kitchen/POWER, to its tasmota plug)' for a bound consumer, else ''."""
    binding = server.binding(house, consumer)
    if binding is None:
        return ""
    return f" (it goes to {binding.describe()} on {binding.wire.command_topic(binding.device)})"


class BindingCommands:
    def __init__(self, server: GridServer) -> None:
        self.server = server

    def commands(self) -> dict[str, Callable[..., Any]]:
        return {
            "bindDevice": self.bindDevice,
            "unbindDevice": self.unbindDevice,
            "showBindings": self.showBindings,
        }

    @command("bindDevice(h, c, 'tasmota'|'shelly', device)")
    def bindDevice(self, h: int, c: int, flavour: str, device: str) -> None:
        """Consumer c of house h takes its readings from the plug, and setConsumer switches it."""
        binding = self.server.bind_device(
            whole_number(h, "the house"), whole_number(c, "the consumer"), flavour, device
        )
        topics = ", ".join(binding.report_topics())
        out.say(f"House {h} consumer {c} is fed by {binding.describe()} (listening on {topics}).")

    @command("unbindDevice(h, c)")
    def unbindDevice(self, h: int, c: int) -> None:
        """Consumer c of house h no longer listens to its plug (the consumer stays)."""
        gone = self.server.unbind_device(
            whole_number(h, "the house"), whole_number(c, "the consumer")
        )
        out.say(f"House {h} consumer {c} is no longer fed by {gone.describe()}.")

    @command("showBindings()")
    def showBindings(self) -> None:
        """Every consumer fed by a plug: the plug, its relay, its watts, its own online flag."""
        bindings = self.server.all_bindings()
        if not bindings:
            out.say("No consumer is bound to a plug: bindDevice(h, c, 'tasmota', topic) binds one.")
            return
        lines = []
        for b in bindings:
            relay = {True: "ON", False: "OFF", None: "?"}[b.on]
            watts = out.watts(b.power_w)  # '-' when no reading came, as in the other tables
            online = {True: "online", False: "OFFLINE", None: "not heard"}[b.online]
            lines.append(
                f"  house {b.house} consumer {b.consumer}: {b.describe()}  relay {relay}  "
                f"{watts}  {online}"
            )
        out.say("Bound consumers\n" + "\n".join(lines))
