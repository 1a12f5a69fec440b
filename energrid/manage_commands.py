"""The shell's commands for managing the grid: energy, statistics by type (and what follows).

They join ShellCommands' namespace (energrid.commands) and print through energrid.output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from energrid import output as out
from energrid import views_energy
from energrid.arguments import command, whole_number
from energrid_core.errors import BadArgumentError
from energrid_core.server import GridServer

HELP = [
    ("showEnergy() / showEnergy(h)", "kWh imported and exported today and since creation"),
    ("showTypes() / showTypes(h)", "per device type: count, ON, power now, energy today, share"),
]


class ManageCommands:
    def __init__(self, server: GridServer, lang: Callable[[], str] = lambda: "en") -> None:
        self.server = server
        self.lang = lang  # the shell's language for type names (the demo's)

    def namespace(self) -> dict[str, Callable[..., Any]]:
        return {"showEnergy": self.showEnergy, "showTypes": self.showTypes}

    @command("showEnergy() or showEnergy(h)")
    def showEnergy(self, h: int | None = None, page: int = 1) -> None:
        """Energy imported and exported by the neighborhood and each house (or by house h and
        each of its devices), today from local midnight and since creation; unmeasured time is
        silence between readings longer than --energy-gap-s, not integrated."""
        server = self.server
        page = whole_number(page, "the page")
        with server.lock:
            now = server.clock()
            if h is None:
                text = views_energy.neighborhood_energy_view(server.grid, server.energy, now, page)
            else:
                house = server.grid.house(whole_number(h, "the house"))
                text = views_energy.house_energy_view(house, server.energy, now)
        out.say(text)

    @command("showTypes() or showTypes(h)")
    def showTypes(self, h: int | None = None) -> None:
        """Per device type (case and French/English names folded: Lampe = Lamp): how many, how
        many ON, power now, energy today and each one's share."""
        server = self.server
        with server.lock:
            now = server.clock()
            if h is None:
                houses = list(server.grid.houses.values())
                where = f"neighborhood {server.grid.identifier}"
            else:
                houses = [server.grid.house(whole_number(h, "the house"))]
                where = f"house {h}"
            if not houses:
                raise BadArgumentError("there are no houses yet: newHouse() makes one")
            table = views_energy.type_statistics(
                houses, server.energy, now, server.settings.mains_voltage_v, self.lang()
            )
        out.say(views_energy.types_view(table, where))
