"""The InfluxDB export against a real InfluxDB (Debian's influxdb package), on free ports."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_for
from mosquitto_fixture import free_port

from energrid_core.events import Bus
from energrid_core.history.influx import InfluxExport, line
from energrid_core.manage.energy import EnergySampled

INFLUXD = shutil.which("influxd")


def config(root: Path, http_port: int, rpc_port: int) -> str:
    return f"""
reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
[ifql]
  enabled = false
[monitor]
  store-enabled = false
"""


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[str]:
    if INFLUXD is None:
        pytest.skip("influxd is not installed (Debian: apt-get install influxdb)")
    http_port, rpc_port = free_port(), free_port()
    conf = tmp_path / "influxdb.conf"
    conf.write_text(config(tmp_path, http_port, rpc_port))
    log = (tmp_path / "influxd.log").open("w")
    process = subprocess.Popen([INFLUXD, "-config", str(conf)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(lambda: _ping(url), "influxd to answer", timeout_s=30)
        _query(url, "CREATE DATABASE energrid")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=1) as response:
            return response.status == 204
    except OSError:
        return False


def _query(url: str, q: str) -> dict:
    data = urllib.parse.urlencode({"q": q, "db": "energrid"}).encode()
    with urllib.request.urlopen(f"{url}/query", data=data, timeout=5) as response:
        return json.loads(response.read())


def test_line_protocol() -> None:
    assert line(0, (1, 1, 2, 1732570000.25, 1480.5)) == (
        "energrid,neighborhood=0,house=1,kind=consumer,device=2 power_w=1480.5 1732570000250"
    )
    assert line(3, (4, 0, 0, 1.0, -20.0)).startswith("energrid,neighborhood=3,house=4,kind=house")


def test_samples_reach_influxdb_and_wait_while_it_is_down(influx: str) -> None:
    bus = Bus()
    export = InfluxExport(influx, 0)
    export.start(bus, thread=False)
    now = time.time()
    bus.publish(EnergySampled.of([(1, 1, 2, now - 2, 1480.5), (1, 0, 0, now - 2, -300.0)]))
    assert export.flush() == 2
    result = _query(influx, "SELECT power_w FROM energrid WHERE house = '1' AND kind = 'consumer'")
    assert result["results"][0]["series"][0]["values"][0][1] == 1480.5
    result = _query(influx, "SELECT net_w FROM energrid WHERE kind = 'house'")
    assert result["results"][0]["series"][0]["values"][0][1] == -300.0
    export.stop()

    down = InfluxExport(f"http://127.0.0.1:{free_port()}", 0)  # nothing listens there
    down.start(bus, thread=False)
    bus.publish(EnergySampled.of([(1, 1, 2, now - 1, 10.0)]))
    assert down.flush() == 0 and down.failures == 1 and len(down.kept) == 1
    down.write_url = export.write_url  # the database is back
    assert down.flush() == 1 and not down.kept
    down.stop()


def test_a_bad_url_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="--influx-url must be http"):
        InfluxExport("influx:8086", 0)
