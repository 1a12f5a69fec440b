"""bindDevice, unbindDevice, showBindings: consumers fed by Tasmota and Shelly plugs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from energrid.arguments import command, whole_number
from energrid.shell import output as out
from energrid.shell.words import w
from energrid_core.server import GridServer

HELP = [
    ("bindDevice(h, c, 'tasmota', topic)", "help.bindDevice tasmota"),
    ("bindDevice(h, c, 'shelly', id)", "help.bindDevice shelly"),
    ("unbindDevice(h, c)", "help.unbindDevice"),
    ("showBindings()", "help.showBindings"),
]


def plug_note(server: GridServer, house: int, consumer: int) -> str:
    """' (as ON on cmnd/plug-kitchen/POWER, to its tasmota plug)' for a bound consumer, else ''."""
    binding = server.binding(house, consumer)
    if binding is None:
        return ""
    topic = binding.wire.command_topic(binding.device)
    return w("plug note", plug=binding.describe(), topic=topic)


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
        out.say(w("bound", h=h, c=c, plug=binding.describe(), topics=topics))

    @command("unbindDevice(h, c)")
    def unbindDevice(self, h: int, c: int) -> None:
        """Consumer c of house h no longer listens to its plug (the consumer stays)."""
        gone = self.server.unbind_device(
            whole_number(h, "the house"), whole_number(c, "the consumer")
        )
        out.say(w("unbound", h=h, c=c, plug=gone.describe()))

    @command("showBindings()")
    def showBindings(self) -> None:
        """Every consumer fed by a plug: the plug, its relay, its watts, its own online flag."""
        bindings = self.server.all_bindings()
        if not bindings:
            out.say(w("no bindings"))
            return
        lines = []
        for b in bindings:
            relay = {True: "ON", False: "OFF", None: "?"}[b.on]
            watts = out.watts(b.power_w)  # '-' when no reading came, as in the other tables
            online = w({True: "ONLINE", False: "OFFLINE", None: "not heard"}[b.online])
            lines.append(
                w(
                    "binding line",
                    h=b.house,
                    c=b.consumer,
                    plug=b.describe(),
                    relay=relay,
                    watts=watts,
                    online=online,
                )
            )
        out.say(w("bound consumers") + "\n" + "\n".join(lines))
