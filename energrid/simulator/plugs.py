"""Simulated Tasmota and Shelly plugs: what they publish and how they obey, without MQTT.

Each plug drives one load model of the simulator's table (a radiator, a lamp...) behind its relay
and speaks its vendor's documented topics (docs/protocol.md, "Plugs people already own").
"""

from __future__ import annotations

import random
import time

import orjson

from energrid.simulator.consumers import make_consumer
from energrid.simulator.table import spec_for
from energrid_core.wire import shelly, tasmota

Message = tuple[str, bytes, bool]  # topic, payload, retain
FLAVOURS = ("tasmota", "shelly")


def default_names(flavour: str, count: int, seed: int) -> list[str]:
    """plug-1, plug-2 ... for Tasmota; shellyplus1pm-<12 hex digits> for a Gen2 Shelly."""
    if flavour == "tasmota":
        return [f"plug-{i}" for i in range(1, count + 1)]
    rng = random.Random(f"energrid-sim-plugs:{seed}")
    return [f"shellyplus1pm-{rng.getrandbits(48):012x}" for _ in range(count)]


class SimPlug:
    def __init__(
        self, flavour: str, device: str, load_type: str = "Radiateur", seed: int = 1
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}")
        self.flavour = flavour
        self.device = device
        self.load_type = load_type
        self.model = make_consumer(spec_for(load_type, supplier=False).params)
        self.rng = random.Random(f"energrid-sim-plug:{seed}:{device}")
        self.voltage_v = 230.0
        self.energy_wh = 0.0
        self.sim_s: float | None = None
        self.commands = 0

    @property
    def on(self) -> bool:
        return self.model.on

    @property
    def gen1(self) -> bool:
        return self.flavour == "shelly" and shelly.is_gen1(self.device)

    # --- presence ----------------------------------------------------------------------------

    def online_message(self, online: bool) -> Message:
        """The retained online flag: published at connect, and the last will when False."""
        wire = tasmota if self.flavour == "tasmota" else shelly
        topic, yes, no = wire.online_topic(self.device)
        return (topic, (yes if online else no).encode(), True)

    def command_topics(self) -> list[str]:
        wire = tasmota if self.flavour == "tasmota" else shelly
        return [wire.command_topic(self.device)]

    # --- readings ----------------------------------------------------------------------------

    def step(self, sim_s: float) -> list[Message]:
        """Advance the load to sim_s and return the plug's periodic report."""
        dt_s = 0.0 if self.sim_s is None else max(0.0, sim_s - self.sim_s)
        self.sim_s = sim_s
        power_w = round(self.model.step(dt_s, self.rng), 1)
        self.energy_wh += power_w * dt_s / 3600.0
        if self.flavour == "tasmota":
            return [self._tasmota_sensor(power_w)]
        if self.gen1:
            return [
                (f"{self.device}/relay/0/power", f"{power_w:.2f}".encode(), False),
                self._gen1_relay(),
            ]
        return [self._shelly_status(power_w)]

    def _tasmota_sensor(self, power_w: float) -> Message:
        energy = {
            "TotalStartTime": "2024-01-01T00:00:00",
            "Total": round(self.energy_wh / 1000.0, 3),
            "Yesterday": 0.0,
            "Today": round(self.energy_wh / 1000.0, 3),
            "Power": round(power_w),
            "ApparentPower": round(power_w),
            "ReactivePower": 0,
            "Factor": 1.0 if power_w else 0.0,
            "Voltage": round(self.voltage_v),
            "Current": round(power_w / self.voltage_v, 3),
        }
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        payload = orjson.dumps({"Time": now, "ENERGY": energy})
        return (f"tele/{self.device}/SENSOR", payload, False)

    def _shelly_status(self, power_w: float | None = None) -> Message:
        power = self.model.draw_w if power_w is None else power_w
        status = {
            "id": 0,
            "source": "MQTT" if self.commands else "init",
            "output": self.on,
            "apower": round(power, 1),
            "voltage": self.voltage_v,
            "current": round(power / self.voltage_v, 3),
            "aenergy": {"total": round(self.energy_wh, 3), "by_minute": [0.0, 0.0, 0.0]},
            "temperature": {"tC": 41.2, "tF": 106.2},
        }
        return (f"{self.device}/status/switch:0", orjson.dumps(status), False)

    def _gen1_relay(self) -> Message:
        return (f"{self.device}/relay/0", b"on" if self.on else b"off", False)

    # --- commands ----------------------------------------------------------------------------

    def command(self, topic: str, payload: bytes) -> list[Message] | None:
        """Obey a command on the plug's command topic; the messages the plug answers with.

        None when it is not a command this plug understands (a real plug ignores those too).
        """
        if topic not in self.command_topics():
            return None
        wanted = self._wanted(payload)
        if wanted is None:
            return None
        if isinstance(wanted, tuple):  # a Gen2 RPC: (state, request id, reply topic)
            state, request_id, reply_to = wanted
        else:
            state, request_id, reply_to = wanted, None, None
        was_on = self.on
        self.model.on = state
        self.commands += 1
        if self.flavour == "tasmota":
            word = b"ON" if state else b"OFF"
            result = orjson.dumps({"POWER": word.decode()})
            return [
                (f"stat/{self.device}/RESULT", result, False),
                (f"stat/{self.device}/POWER", word, False),
            ]
        if self.gen1:
            return [self._gen1_relay()]
        reply = {
            "id": request_id,
            "src": self.device,
            "dst": reply_to,
            "result": {"was_on": was_on},
        }
        return [
            (f"{reply_to}/rpc", orjson.dumps(reply), False),
            self._shelly_status(0.0 if not state else None),
        ]

    def _wanted(self, payload: bytes) -> bool | tuple[bool, object, str] | None:
        text = payload.strip()
        if self.flavour == "tasmota":
            return {b"ON": True, b"1": True, b"OFF": False, b"0": False}.get(text.upper())
        if self.gen1:
            return {b"on": True, b"off": False}.get(text.lower())
        try:
            request = orjson.loads(text)
            params = request["params"]
            if request["method"] != "Switch.Set" or params["id"] != 0:
                return None
            if type(params["on"]) is not bool or not isinstance(request["src"], str):
                return None
            return (params["on"], request.get("id"), request["src"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None
