"""Optional export of the samples to InfluxDB: line protocol over HTTP (`--influx-url`).

The part hears the same samples as the history (`EnergySampled`) and keeps their blocks in
memory (unpacked only when posted, on its own thread); a
thread of its own posts them every `flush_s` to `<url>/write?db=<database>&precision=ms` (the
InfluxDB 1.x write API, which InfluxDB 2 also serves for 1.x clients), one request a block.
A block the server refuses or cannot take (down, unreachable) is kept for the next try, up to
`max_pending` lines; past that the oldest are dropped and counted, and one line says so.

Lines: `energrid,neighborhood=0,house=1,kind=consumer,device=2 power_w=1480.5 <ms>`; a house's
net draw has kind=house, device=0 and the field `net_w` (imported above zero, exported below).
Watts are written to 7 significant digits, what a block's 32-bit floats hold.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from energrid_core.history.sampled import SampledPart
from energrid_core.manage.samples import KINDS, Sample, unpack

log = logging.getLogger("energrid.influx")

TIMEOUT_S = 5.0


def line(neighborhood: int, sample: Sample) -> str:
    house, kind, device, t, watts = sample
    field = "net_w" if kind == 0 else "power_w"
    tags = f"neighborhood={neighborhood},house={house},kind={KINDS[kind]},device={device}"
    return f"energrid,{tags} {field}={watts:.7g} {round(t * 1000)}"


class InfluxExport(SampledPart):
    def __init__(
        self,
        url: str,
        neighborhood: int,
        database: str = "energrid",
        flush_s: float = 2.0,
        max_pending: int = 1_000_000,
        post: Callable[[str, bytes], None] | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"--influx-url must be http(s)://host:port, not {url!r}")
        query = urllib.parse.urlencode({"db": database, "precision": "ms"})
        self.write_url = f"{url.rstrip('/')}/write?{query}"
        super().__init__("energrid-influx", flush_s, self.flush, log, "InfluxDB export failed")
        self.neighborhood = neighborhood
        self.max_pending = max_pending
        self.post = post or _post
        self.kept: list[str] = []  # lines of a block that could not be written
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self._failing = False

    def flush(self) -> int:
        """Post what is waiting in one request; returns how many lines went."""
        lists = self.take()
        n = self.neighborhood
        lines = self.kept + [
            line(n, sample) for one in lists for block in one for sample in unpack(block)
        ]
        self.kept = []
        if not lines:
            return 0
        try:
            self.post(self.write_url, ("\n".join(lines) + "\n").encode())
        except (OSError, urllib.error.URLError) as exc:
            self.failures += 1
            if len(lines) > self.max_pending:
                self.dropped += len(lines) - self.max_pending
                lines = lines[-self.max_pending :]
            self.kept = lines
            if not self._failing:
                log.warning("InfluxDB export: %s; kept for the next try", exc)
                self._failing = True
            return 0
        if self._failing:
            log.warning("InfluxDB export: writing again")
            self._failing = False
        self.written += len(lines)
        return len(lines)


def _post(url: str, body: bytes) -> None:
    """POST body; raises OSError (URLError, HTTPError) unless InfluxDB answers 2xx."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "text/plain; charset=utf-8")
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
        response.read()
