"""startDemo(): the seed's demonstration neighborhood, narrated in French (or English)."""

from __future__ import annotations

import time
from collections.abc import Callable

from energrid import output as out
from energrid_core.errors import BadArgumentError
from energrid_core.server import GridServer

# (house, kind, type) in the order the demo builds them.
DEMO_DEVICES = [
    (1, "consumer", "Radiateur"),
    (1, "consumer", "Frigo"),
    (1, "consumer", "Lampe"),
    (1, "supplier", "Solar Panel"),
    (2, "consumer", "Radiateur"),
    (2, "consumer", "Frigo"),
    (2, "consumer", "Lampe"),
    (2, "consumer", "Relais"),
    (2, "supplier", "Solar Panel"),
]

NARRATION = {
    "fr": {
        "start": "Démonstration Energrid : construction d'un quartier de 2 maisons.",
        "house": "Création de la maison {h}.",
        "consumer": "  Maison {h} : ajout du consommateur {i} ({t}).",
        "supplier": "  Maison {h} : ajout du fournisseur {i} ({t}).",
        "done": "Quartier prêt. Tapez showHouses() pour voir l'état du réseau.",
        "busy": "La démonstration est déjà lancée : showHouses() montre son quartier.",
        "not_empty": "Le quartier contient déjà des maisons ; startDemo() veut un réseau vide.",
    },
    "en": {
        "start": "Energrid demo: building a neighborhood of 2 houses.",
        "house": "Creating house {h}.",
        "consumer": "  House {h}: adding consumer {i} ({t}).",
        "supplier": "  House {h}: adding supplier {i} ({t}).",
        "done": "Neighborhood ready. Type showHouses() to see the grid.",
        "busy": "The demo is already running: showHouses() shows its neighborhood.",
        "not_empty": "The neighborhood already has houses; startDemo() needs an empty grid.",
    },
}


class Demo:
    """Builds the demo grid once; `pause_s` paces the narration for a room."""

    def __init__(
        self, server: GridServer, pause_s: float = 0.3, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.server = server
        self.pause_s = pause_s
        self.sleep = sleep
        self.started = False

    def start(self, lang: str = "fr") -> None:
        text = NARRATION.get(lang)
        if text is None:
            raise BadArgumentError(f"lang must be 'fr' or 'en', not {lang!r}")
        if self.started:
            out.say(text["busy"])
            return
        with self.server.lock:
            if self.server.grid.houses:
                raise BadArgumentError(text["not_empty"])
        out.say(text["start"])
        for house in self.server.new_houses(2):
            out.say(text["house"].format(h=house.identifier))
            self.sleep(self.pause_s)
            for h, kind, type_ in DEMO_DEVICES:
                if h != house.identifier:
                    continue
                make = (
                    self.server.new_consumers if kind == "consumer" else self.server.new_suppliers
                )
                device = make(h, 1, type_)[0]
                out.say(text[kind].format(h=h, i=device.identifier, t=type_))
                self.sleep(self.pause_s)
        self.started = True
        out.say(text["done"])
