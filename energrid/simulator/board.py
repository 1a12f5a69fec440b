"""A simulated house board: its devices' behaviour models, readings and the commands it obeys."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence

from energrid.simulator.consumers import ConsumerModel, make_consumer, noisy
from energrid.simulator.suppliers import SupplierModel
from energrid.simulator.table import (
    UNMETERED_NOISE_PCT,
    UNMETERED_W,
    ConsumerParams,
    SupplierParams,
    spec_for,
)
from energrid.simulator.wire import (
    ConsumerValue,
    HouseReading,
    Message,
    SupplierValue,
    WireFormat,
    encode_device,
    encode_legacy,
)
from energrid_core.config import Calibration
from energrid_core.topics import TopicKind, house_topic, parse_topic

_STATES = {b"1": True, b"0": False}


class SimHouse:
    """One house's board. step() and command() may run on different threads: a lock guards both."""

    def __init__(
        self,
        number: int,
        consumer_types: Sequence[str] = (),
        supplier_types: Sequence[str] = (),
        wire: WireFormat = WireFormat.LEGACY,
        seed: int = 0,
        neighborhood: int = 0,
        calibration: Calibration | None = None,
        mains_voltage_v: float = 230.0,
        params: Mapping[str, ConsumerParams | SupplierParams] | None = None,
    ) -> None:
        """params: behaviour by type name, instead of the table's (the demo's own devices)."""
        self.number = number
        self.neighborhood = neighborhood
        self.wire = wire
        self.calibration = calibration or Calibration()
        self.mains_voltage_v = mains_voltage_v
        # One generator per house, seeded from the seed and the house: the same readings whatever
        # the number of houses per client or the order in which they are stepped.
        self.rng = random.Random(f"energrid-sim:{seed}:{neighborhood}:{number}")
        self.consumer_types = tuple(consumer_types)
        self.supplier_types = tuple(supplier_types)
        own = params or {}
        self.consumers: dict[int, ConsumerModel] = {
            i: make_consumer(own.get(t) or spec_for(t, supplier=False).params)  # type: ignore[arg-type]
            for i, t in enumerate(consumer_types, 1)
        }
        self.suppliers: dict[int, SupplierModel] = {
            i: SupplierModel(own.get(t) or spec_for(t, supplier=True).params)  # type: ignore[arg-type]
            for i, t in enumerate(supplier_types, 1)
        }
        self.lock = threading.Lock()
        self.sim_s: float | None = None
        self.last: HouseReading | None = None

    def step(self, sim_s: float) -> HouseReading:
        """Advance every device to simulated time sim_s and take a reading."""
        with self.lock:
            dt_s = 0.0 if self.sim_s is None else max(0.0, sim_s - self.sim_s)
            self.sim_s = sim_s
            rng, mains_v = self.rng, self.mains_voltage_v
            consumers: dict[int, ConsumerValue] = {}
            total_w = noisy(UNMETERED_W, UNMETERED_NOISE_PCT, rng)
            for ident, model in self.consumers.items():
                draw_w = model.step(dt_s, rng, sim_s)
                total_w += draw_w
                # ON while it draws its working power, as a legacy board's current says: an
                # idle fridge or a lamp out of use reads OFF in both formats.
                consumers[ident] = ConsumerValue(round(draw_w / mains_v, 4), model.working)
            suppliers = {
                ident: SupplierValue(dict(model.step(sim_s, dt_s, rng)), model.load_on)
                for ident, model in self.suppliers.items()
            }
            self.last = HouseReading(self.number, round(total_w / mains_v, 4), consumers, suppliers)
            return self.last

    def encode(self, reading: HouseReading) -> list[Message]:
        if self.wire is WireFormat.LEGACY:
            return encode_legacy(reading, self.neighborhood, self.calibration)
        return encode_device(reading, self.neighborhood)

    def command_filters(self) -> list[str]:
        """The topics this board listens to for its commands."""
        base = house_topic(self.neighborhood, self.number)
        return [f"{base}/Consumer/+/set", f"{base}/Supplier/+/booleanLoad"]

    def command(self, topic: str, payload: bytes) -> str | None:
        """Obey `.../Consumer/<c>/set` or `.../Supplier/<s>/booleanLoad` with 1 or 0.

        Returns what changed, or None when the command is not for one of this board's devices
        or its payload is not 1 or 0 (a real board ignores those too).
        """
        parsed = parse_topic(topic, self.neighborhood)
        state = _STATES.get(payload.strip())
        if parsed is None or parsed.house != self.number or state is None:
            return None
        with self.lock:
            if parsed.kind is TopicKind.CONSUMER_COMMAND:
                consumer = self.consumers.get(parsed.device or 0)
                if consumer is None:
                    return None
                consumer.on = state
                kind, type_ = "consumer", self.consumer_types[parsed.device - 1]
            elif parsed.kind is TopicKind.SUPPLIER_COMMAND:
                supplier = self.suppliers.get(parsed.device or 0)
                if supplier is None:
                    return None
                supplier.load_on = state
                kind, type_ = "supplier load", self.supplier_types[parsed.device - 1]
            else:
                return None
        return f"house {self.number} {kind} {parsed.device} ({type_}) {'ON' if state else 'OFF'}"

    def __repr__(self) -> str:
        return (
            f"SimHouse({self.number}, {self.wire.value}, consumers={list(self.consumer_types)}, "
            f"suppliers={list(self.supplier_types)})"
        )
