"""Commands printed in hints work when pasted: the launcher found here, the settings in use."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from helpers import wait_for
from mosquitto_fixture import free_port
from terminal import ROOT

from energrid.broker.start import broker_reachable
from energrid.shell import invocation
from energrid.shell.invocation import Invocation, flags, launcher, pasteable
from energrid_core.config import Settings

VENV_ENERGRID = ROOT / ".venv" / "bin" / "energrid"
needs_venv = pytest.mark.skipif(not VENV_ENERGRID.exists(), reason="no .venv/bin/energrid")
BACKTICKED = re.compile(r"`([^`]+)`")


def clean_environment() -> dict[str, str]:
    """The operator's terminal after the command that printed the hint: no ENERGRID_ variable
    given on that command's line is set any more."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ENERGRID_")}


@needs_venv
def test_the_launcher_is_the_path_when_energrid_is_not_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(invocation.sys, "prefix", str(ROOT / ".venv"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert launcher() == ".venv/bin/energrid"
    monkeypatch.setenv(invocation.CALLER_DIR, str(ROOT / "docs"))  # ./energrid.sh run from docs/
    assert launcher() == str(VENV_ENERGRID)
    monkeypatch.setenv("PATH", f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin")
    assert launcher() == "energrid"


def test_the_flags_are_the_shared_settings_the_operator_set(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "my state", mqtt_port=18830, history_len=5)
    settings.explicit |= {"state_dir", "mqtt_port", "history_len"}
    assert flags(settings) == f" --state-dir '{tmp_path}/my state' --mqtt-port 18830"
    Invocation.settings = settings
    text = pasteable("run `energrid credentials add server` first")
    assert text == (
        f"run `{launcher()} --state-dir '{tmp_path}/my state' --mqtt-port 18830 "
        "credentials add server` first"
    )
    loop = pasteable("run `for h in 1 2; do energrid credentials add house $h; done`")
    assert loop == (
        f"run `for h in 1 2; do {launcher()} --state-dir '{tmp_path}/my state' --mqtt-port 18830 "
        "credentials add house $h; done`"
    )
    assert pasteable("energrid/0/state and `energrid/0/state`") == (
        "energrid/0/state and `energrid/0/state`"
    )


@needs_venv
def test_the_secure_profile_hints_pasted_as_printed_work(tmp_path: Path) -> None:
    """No account yet: the hint makes it; its own hint then starts the secure profile."""
    port, ws_port, state = free_port(), free_port(), tmp_path / "state"
    env = clean_environment()
    env.update(
        ENERGRID_STATE_DIR=str(state),
        ENERGRID_MQTT_PORT=str(port),
        ENERGRID_WS_PORT=str(ws_port),
        ENERGRID_MQTT_USERNAME="energrid-server",
        ENERGRID_BROKER_CONFIG="mosquitto-secure.conf",
    )
    done = subprocess.run(
        [str(VENV_ENERGRID), "--headless"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    first_hint = BACKTICKED.findall(done.stderr)[-1]
    assert "credentials add server" in first_hint and str(state) in first_hint

    made = subprocess.run(
        first_hint, shell=True, cwd=ROOT, env=clean_environment(), capture_output=True, text=True
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert (state / "credentials" / "energrid-server.password").exists()
    start = next(h for h in BACKTICKED.findall(made.stdout) if "--mqtt-username" in h)

    server = subprocess.Popen(
        f"exec {start} --ws-port {ws_port} --headless",  # exec: the signal reaches Energrid
        shell=True,
        cwd=ROOT,
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []

    def started() -> bool:
        lines.append(server.stdout.readline() if server.stdout else "")
        return "running headless" in lines[-1] or server.poll() is not None

    try:
        wait_for(
            started,
            timeout_s=20,
            what="the secure profile's server",
        )
        assert server.poll() is None, "the pasted command did not start Energrid"
        assert broker_reachable("127.0.0.1", port)  # the secure broker (anonymous is refused)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
        lines.append(output)
    assert server.returncode == 0, "".join(lines)
    assert f"the Mosquitto Energrid started on port {port}" in "".join(lines)
