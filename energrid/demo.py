"""startDemo(): the seed's demonstration neighborhood, narrated in French (or English), with
simulated boards publishing its readings at once; stopDemo() stops them.

The boards run in the shell's process (one MQTT connection per house, as real boards, and one
background thread) against the broker the server uses. The first demo house speaks the legacy batch
format, the second the per-device format, so that both are on show.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from energrid.shell import output as out
from energrid.shell import words
from energrid.shell.words import w
from energrid.simulator.accounts import house_accounts, missing_text
from energrid.simulator.board import SimHouse
from energrid.simulator.clock import SimClock
from energrid.simulator.fleet import BoardFleet, FleetOptions
from energrid.simulator.table import ConsumerParams, Kit, Solar, Steady, SupplierParams
from energrid.simulator.wire import WireFormat
from energrid_core.errors import BadArgumentError, BrokerUnavailableError
from energrid_core.grid_view import GridView
from energrid_core.manage.device_types import type_key
from energrid_core.model import Neighborhood
from energrid_core.persistence.manage_store import CRITICAL
from energrid_core.server import GridServer

# (demo house 1 or 2, kind, type) in the order the demo builds them, in French...
DEMO_DEVICES = [
    (1, "consumer", "Radiateur"),
    (1, "consumer", "Frigo"),
    (1, "consumer", "Lampe"),
    (1, "supplier", "Panneau solaire"),
    (2, "consumer", "Radiateur"),
    (2, "consumer", "Frigo"),
    (2, "consumer", "Lampe"),
    (2, "consumer", "Relais"),
    (2, "supplier", "Panneau solaire"),
]
# ... and in English: startDemo(lang='en') names every device in English.
ENGLISH = {
    "Radiateur": "Radiator",
    "Frigo": "Fridge",
    "Lampe": "Lamp",
    "Relais": "Relay",
    "Panneau solaire": "Solar Panel",
}
DEMO_FORMATS = (WireFormat.LEGACY, WireFormat.DEVICE)
DEMO_PERIOD_S = 1.0
DEMO_TIME_FACTOR = 120.0  # a simulated day in 12 min: noon's export, the evening's peak
DEMO_START_HOUR = 10.0  # the sun is up
# How the demo's devices behave (docs/simulator.md has the plain table's): a day worth showing.
# Rooftop panels of 3 kWp whose inverter sends the surplus to the house: at noon a house
# exports. In the evening the radiators, the lamps and house 2's oven (behind its relay) make
# a peak of about 5.5 kW: over a 4.5 kW limit, and the relay is the first to be shed.
# A string of eight 36 V panels (288 V, about 10 A at peak), a 48 V battery, and an inverter
# whose 230 V output feeds the house: each value plausible for its power.
_ROOFTOP = Solar(
    peak_w=3000.0,
    mpp_voltage_v=288.0,
    kit=Kit(empty_v=47.2, full_v=50.8, export_surplus=True, output_v=230.0),
)
_RADIATOR = Steady(power_w=1500.0, in_use_h=(6.0, 23.0))  # warms the rooms by day too
_LAMP = Steady(power_w=100.0, in_use_h=(18.0, 23.5))
_OVEN = Steady(power_w=2000.0, in_use_h=(18.5, 20.5))
DEMO_PARAMS: dict[str, ConsumerParams | SupplierParams] = {
    name: params
    for french, params in (
        ("Radiateur", _RADIATOR),
        ("Lampe", _LAMP),
        ("Relais", _OVEN),
        ("Panneau solaire", _ROOFTOP),
        ("Solar Panel", _ROOFTOP),  # as an earlier demo named its panels
    )
    for name in (french, ENGLISH.get(french, french))
}
# Shedding priorities the demo gives its devices (setPriority): the oven first, the fridge never.
DEMO_PRIORITIES = {"Relais": 1, "Lampe": 3, "Radiateur": 5, "Frigo": CRITICAL}
DEMO_SEED = 2019
CONNECT_WAIT_S = 2.0
READY_WAIT_S = 5.0  # how long "ready" waits for every demo board's first readings, at least


def day_length(time_factor: float) -> str:
    """How long a simulated day lasts in real time: '2 h 24 min', '24 min', '30 s'."""
    seconds = round(86_400 / time_factor)
    if seconds < 120:
        return f"{seconds} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


def demo_devices(index: int, lang: str = "fr") -> list[tuple[str, str]]:
    """(kind, type) of demo house 1 or 2's devices, consumers first, in the demo's order."""
    return [
        (kind, ENGLISH[type_] if lang == "en" else type_)
        for house, kind, type_ in DEMO_DEVICES
        if house == index
    ]


def find_demo_houses(grid: Neighborhood) -> list[int]:
    """The houses an earlier session's demo built, [a, a + 1], or [] when there are none.

    The grid is saved, so after a restart the demo finds its houses by what they hold: two
    consecutive houses with exactly the demo's devices, in its order (the first such pair),
    named in French or English (types compared as showTypes() does: Lampe = Lamp).
    """

    def devices(number: int) -> list[tuple[str, str]]:
        house = grid.houses[number]
        return [
            ("consumer", type_key(house.consumers[c].type)) for c in sorted(house.consumers)
        ] + [("supplier", type_key(house.suppliers[s].type)) for s in sorted(house.suppliers)]

    def keys(index: int) -> list[tuple[str, str]]:
        return [(kind, type_key(type_)) for kind, type_ in demo_devices(index)]

    first, second = keys(1), keys(2)
    for number in sorted(grid.houses):
        pair = number + 1 in grid.houses and devices(number) == first
        if pair and devices(number + 1) == second:
            return [number, number + 1]
    return []


class Demo:
    """Builds the demo grid once and runs its boards; `pause_s` paces the narration for a room."""

    def __init__(
        self,
        server: GridServer,
        pause_s: float = 0.3,
        sleep: Callable[[float], None] = time.sleep,
        period_s: float = DEMO_PERIOD_S,
        time_factor: float = DEMO_TIME_FACTOR,
        start_hour: float = DEMO_START_HOUR,
        seed: int = DEMO_SEED,
        ready_wait_s: float | None = None,
    ) -> None:
        self.server = server
        self.pause_s = pause_s
        self.sleep = sleep
        self.period_s = period_s
        self.time_factor = time_factor
        self.start_s = start_hour * 3600.0
        self.seed = seed
        self.ready_wait_s = (
            max(READY_WAIT_S, 3 * period_s) if ready_wait_s is None else ready_wait_s
        )
        self.houses: list[int] = []  # the demo's house numbers, once built
        self.boards: list[SimHouse] = []  # their boards: kept by stopDemo(), so that a
        self.fleet: BoardFleet | None = None  # restart resumes where they were
        self.lang = "fr"

    @property
    def running(self) -> bool:
        return self.fleet is not None

    def start(self, lang: str = "fr") -> None:
        if not isinstance(lang, str) or lang not in words.LANGUAGES:
            raise BadArgumentError(w("error.lang", lang=lang))
        if self.fleet is not None:
            self._speak(lang)
            out.say(w("demo.busy"))
            return
        mine = list(self.houses)

        def look(g: GridView) -> tuple[bool, list[int], int]:
            built = bool(mine) and all(h in g.grid.houses for h in mine)
            return built, [] if built else find_demo_houses(g.grid), g.grid.next_house

        built, earlier, following = self.server.read(look)
        # Checked before anything is built: boards the broker refuses would leave houses that
        # never get a reading, and a refusal notice per board over the prompt.
        accounts = self._accounts(self.houses if built else earlier or [following, following + 1])
        self._speak(
            lang
        )  # only now: a demo refused (one line) changes nothing, the language neither
        if built:
            out.say(w("demo.resumed", a=self.houses[0], b=self.houses[1]))
        elif earlier:  # the grid is saved: the demo of an earlier session is still there
            self.houses = earlier
            self.boards = self._make_boards()
            out.say(w("demo.found", a=earlier[0], b=earlier[1]))
        else:
            try:
                self._build()
            except KeyboardInterrupt:  # Ctrl-C during the narration: leave no half-built grid
                self._remove_houses()
                out.say(w("demo.interrupted"))
                return
            self.boards = self._make_boards()
        since = self.server.clock()
        if self._start_boards(accounts):
            silent = self._wait_until_heard(since)
        else:
            silent = list(self.houses)
        if built or earlier:
            return
        if silent:
            out.say(w("demo.late", h=silent[0]))
        else:
            out.say(w("demo.done", a=self.houses[0]))

    def _speak(self, lang: str) -> None:
        """The demo's language becomes the shell's: everything it prints from now on."""
        words.set_language(lang)
        self.lang = lang

    def _not_heard(self, since: float) -> list[int]:
        """The demo houses with a device that has published nothing since `since`."""
        numbers = list(self.houses)

        def silent(view: GridView) -> list[int]:
            found = []
            for number in numbers:
                house = view.grid.houses.get(number)
                devices = (
                    [] if house is None else [*house.consumers.values(), *house.suppliers.values()]
                )
                if house is None or any(
                    d.last_seen is None or d.last_seen < since for d in devices
                ):
                    found.append(number)
            return found

        return self.server.read(silent)

    def _wait_until_heard(self, since: float) -> list[int]:
        """Wait (ready_wait_s at most) for every demo device's first reading: "ready" means
        that showHouses() shows every house online. The houses still silent, [] when none."""
        deadline = time.monotonic() + self.ready_wait_s
        silent = self._not_heard(since)
        while silent and time.monotonic() < deadline:
            time.sleep(0.05)
            silent = self._not_heard(since)
        return silent

    def _build(self) -> None:
        existing = self.server.read(lambda g: len(g.grid.houses))
        out.say(w("demo.start"))
        houses = self.server.new_houses(2)
        self.houses = [house.identifier for house in houses]
        if existing:
            had = words.plural(existing, "n house")
            out.say(w("demo.existing", n=had, a=self.houses[0], b=self.houses[1]))
        for index, house in enumerate(self.houses, 1):
            out.say(w("demo.house", h=house))
            self.sleep(self.pause_s)
            for kind, type_ in demo_devices(index, self.lang):
                make = (
                    self.server.new_consumers if kind == "consumer" else self.server.new_suppliers
                )
                device = make(house, 1, type_)[0]
                out.say(w(f"demo.{kind}", h=house, i=device.identifier, t=type_))
                self.sleep(self.pause_s)
        self._set_priorities()

    def _set_priorities(self) -> None:
        """The demo's shedding priorities (setPriority), by each consumer's kind."""
        by_key = {type_key(name): p for name, p in DEMO_PRIORITIES.items()}
        for house in self.houses:
            with self.server.lock:
                consumers = [
                    (c.identifier, c.type)
                    for c in self.server.grid.houses[house].consumers.values()
                ]
            for number, type_ in consumers:
                priority = by_key.get(type_key(type_))
                if priority is not None:
                    self.server.shedding.set_priority(house, number, priority)

    def _remove_houses(self) -> None:
        for house in self.houses:
            present = self.server.read(lambda g, h=house: h in g.grid.houses)
            if present:
                self.server.rm_house(house)
        self.houses = []

    def _make_boards(self) -> list[SimHouse]:
        """One simulated board per demo house, with the devices the demo built in it."""
        settings = self.server.settings
        result = []
        for house, wire in zip(self.houses, DEMO_FORMATS, strict=True):
            with self.server.lock:  # the names the houses hold (French, English, older demos)
                target = self.server.grid.houses[house]
                mine = [("consumer", target.consumers[c].type) for c in sorted(target.consumers)]
                mine += [("supplier", target.suppliers[s].type) for s in sorted(target.suppliers)]
            result.append(
                SimHouse(
                    house,
                    [t for kind, t in mine if kind == "consumer"],
                    [t for kind, t in mine if kind == "supplier"],
                    wire,
                    self.seed,
                    settings.neighborhood,
                    settings.calibration,
                    settings.mains_voltage_v,
                    DEMO_PARAMS,
                )
            )
        return result

    def clock_text(self) -> str:
        """'simulated time 18:42 (day 1)' while the demo runs, '' otherwise."""
        if self.fleet is None:
            return ""
        times = [b.sim_s for b in self.boards if b.sim_s is not None]
        if not times:
            return ""
        sim_s = max(times)
        day, rest = divmod(int(sim_s), 86400)
        clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
        return w("demo.clock", t=clock, d=day + 1)

    def _accounts(self, houses: list[int]) -> dict[int, tuple[str, str]] | None:
        """The boards' broker accounts when the server has one (a broker that wants accounts
        refuses anonymous boards): house-<h>, with the password kept by `energrid credentials
        add house <h> --keep-password`. BrokerUnavailableError, one line, when one is missing."""
        settings = self.server.settings
        if not settings.mqtt_username:
            return None
        found, missing = house_accounts(settings.state_dir, houses)
        if missing:
            missing_line = missing_text(settings.state_dir, missing)
            raise BrokerUnavailableError(w("demo.no accounts", missing=missing_line))
        return found

    def _start_boards(self, accounts: dict[int, tuple[str, str]] | None) -> bool:
        """Start the boards and say so; False when the broker refused them or does not answer."""
        settings = self.server.settings
        options = FleetOptions(
            host=settings.mqtt_host,
            port=settings.mqtt_port,
            period_s=self.period_s,
            keepalive_s=settings.keepalive_s,
            client_prefix="energrid-demo",
            accounts=accounts,
            tls_ca=settings.mqtt_tls_ca or None,
        )
        # Simulated time goes on from the last reading when the demo resumes.
        last_s = max((b.sim_s for b in self.boards if b.sim_s is not None), default=None)
        start_s = self.start_s if last_s is None else last_s + self.period_s * self.time_factor
        fleet = BoardFleet(self.boards, SimClock(self.time_factor, start_s), options)
        connected = fleet.start(CONNECT_WAIT_S)
        fleet.start_background()
        self.fleet = fleet
        day = day_length(self.time_factor)
        out.say(w("demo.boards", p=self.period_s, day=day, a=self.houses[0], b=self.houses[1]))
        refused = fleet.refused
        if refused:
            out.say(w("demo.refused", reason=refused[0].refusal))
        elif not connected:
            out.say(w("demo.waiting"))
        return connected and not refused

    def stop(self) -> None:
        """stopDemo(): the boards stop publishing; the houses stay."""
        if self.fleet is None:
            out.say(w("demo.not_running"))
            return
        self.close()
        out.say(w("demo.stopped"))

    def close(self) -> None:
        """Stop the boards without a word (on shell exit); safe to call twice."""
        fleet, self.fleet = self.fleet, None
        if fleet is not None:
            fleet.stop()
