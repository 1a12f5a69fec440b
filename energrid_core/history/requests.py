"""History on request over MQTT 5 request/response, for clients that draw charts (the 3D view).

A client publishes to `energrid/<n>/history/request` with a Response Topic and (optionally)
Correlation Data, a JSON payload such as `{"house": 1, "consumer": 2, "period": "24h",
"points": 96}` ("consumer" or "supplier" for a device, neither for the house's net draw). The
answer goes to its response topic with the same correlation data: `{"house": 1, "kind":
"consumer", "device": 2, "period": "24h", "step_s": 900.0, "unit": "W", "points": [[t, w],
...]}`, or `{"error": "..."}` for a request that cannot be answered. Requests are answered on a
thread of this part, never on paho's.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable

import orjson

from energrid_core.errors import EnergridError
from energrid_core.history.store import HistoryStore
from energrid_core.model import Neighborhood

log = logging.getLogger("energrid.history")

PERIODS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
MAX_POINTS = 2000
MAX_WAITING = 100  # requests beyond this are dropped (and counted) rather than queued

Respond = Callable[[str, bytes, bytes | None], None]  # response topic, payload, correlation


def request_topic(neighborhood: int) -> str:
    return f"energrid/{neighborhood}/history/request"


class HistoryRequests:
    def __init__(
        self,
        grid: Neighborhood,
        lock: threading.RLock,
        store: HistoryStore,
        respond: Respond,
        clock: Callable[[], float],
    ) -> None:
        self.grid = grid
        self.lock = lock
        self.store = store
        self.respond = respond
        self.clock = clock
        self.answered = 0
        self.dropped = 0
        self._queue: queue.Queue[tuple[bytes, str, bytes | None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="energrid-history-req", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def on_request(
        self, payload: bytes, response_topic: str | None, correlation: bytes | None
    ) -> None:
        """paho's thread: queue it (a request without a response topic cannot be answered)."""
        if response_topic is None or self._queue.qsize() >= MAX_WAITING:
            self.dropped += 1
            return
        self._queue.put((payload, response_topic, correlation))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            payload, topic, correlation = item
            answer = self.answer(payload)
            try:
                self.respond(topic, orjson.dumps(answer), correlation)
                self.answered += 1
            except EnergridError as exc:
                log.info("history response to %s not sent: %s", topic[:120], exc)

    def answer(self, payload: bytes) -> dict[str, object]:
        try:
            request = orjson.loads(payload)
            if not isinstance(request, dict):
                raise ValueError("the request must be a JSON object")
            return self._series(request)
        except (orjson.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
            return {"error": str(exc)[:200]}
        except EnergridError as exc:
            return {"error": str(exc)[:200]}

    def _series(self, request: dict) -> dict[str, object]:
        house = request.get("house")
        if type(house) is not int:
            raise ValueError("house must be a whole number")
        period = request.get("period", "24h")
        span = PERIODS.get(period) if isinstance(period, str) else None
        if span is None:
            raise ValueError("period must be '1h', '24h' or '7d'")
        points = request.get("points", 96)
        if type(points) is not int or not 1 <= points <= MAX_POINTS:
            raise ValueError(f"points must be 1..{MAX_POINTS}")
        kind, device = "house", 0
        for name in ("consumer", "supplier"):
            if name in request:
                kind, device = name, request[name]
                if type(device) is not int:
                    raise ValueError(f"{name} must be a whole number")
        with self.lock:
            target = self.grid.houses.get(house)
            known = target is not None and (
                kind == "house"
                or device in (target.consumers if kind == "consumer" else target.suppliers)
            )
        if not known:
            raise ValueError(f"no such {kind if kind != 'house' else 'house'}: {house} {device}")
        end = self.clock()
        step = span / points
        rows = self.store.series(house, kind, device, end - span, end, step)
        return {
            "house": house,
            "kind": kind,
            "device": device,
            "period": period,
            "step_s": step,
            "unit": "W",
            "points": [[t, w if math.isfinite(w) else None] for t, w in rows],
        }
