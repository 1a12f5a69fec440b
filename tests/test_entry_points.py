"""The ways an operator starts Energrid: the shell, `python -i start_server.py`, --headless."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys

import pytest
from helpers import TestClient, wait_for
from mosquitto_fixture import free_port, mqtt_handshake
from terminal import ENERGRID, ROOT, Terminal, environment

from energrid.app import LogFormat
from energrid.shell.invocation import launcher


def test_the_shell_runs_the_seed_session(broker, tmp_path) -> None:  # noqa: ANN001
    term = Terminal(ENERGRID, environment(broker.port, tmp_path))
    term.read_until("Type help() for the commands; Tab completes names.")
    assert "Profile: development, no account (anonymous)." in term.screen
    assert "Broker: not started by Energrid (it goes on after exit)." in term.screen
    term.read_until(">>>")
    term.type("newHouse(2)")
    term.read_until("Created houses 1..2.")
    term.type("newConsumer(1,2,'LED')")
    term.read_until("Created consumers 1..2 (LED) in house 1.")
    term.type("newConsumer(2,'Lamp')")
    term.read_until("Created consumer 1 (Lamp) in house 2.")
    term.type("newConsumer(2, Lamp)")
    term.read_until("error: name 'Lamp' is not defined: did you mean newConsumer(2, 'Lamp')?")
    term.type("showHouse(9)")
    term.read_until("error: no house 9 (houses: 1, 2). Usage: showHouse(h)")
    term.type("showHouses()")
    term.read_until("Neighborhood 0: 2 houses, 3 devices")
    term.type("exit()")
    assert term.wait() == 0
    assert "Traceback" not in term.screen
    assert "[energrid] Stopped the Energrid server; the broker at" in term.screen
    assert (tmp_path / "shell_history").exists()


def test_python_i_start_server_py_takes_the_commands(broker, tmp_path) -> None:  # noqa: ANN001
    session = "newHouse(2)\nnewConsumer(2,'Lamp')\nshowHouses()\nsetConsumer(2,1,7)\n"
    done = subprocess.run(
        [sys.executable, "-i", "start_server.py"],
        input=session,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment(broker.port, tmp_path),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Energrid supervision server" in done.stdout
    assert "Created houses 1..2." in done.stdout
    assert "Neighborhood 0: 2 houses, 1 device" in done.stdout
    assert "error: the state must be 1 (ON) or 0 (OFF), not 7" in done.stdout
    assert "Traceback" not in done.stderr
    # The shell's one log format, and what leaving stopped (a broker it did not start goes on).
    stopped = f"[energrid] Stopped the Energrid server; the broker at 127.0.0.1:{broker.port} was"
    assert any(line.startswith(stopped) for line in done.stdout.splitlines()), done.stdout


def test_python_i_start_server_py_answers_mistakes_as_the_shell_does(
    broker,  # noqa: ANN001
    mqtt_client: TestClient,
    tmp_path,  # noqa: ANN001
) -> None:
    term = Terminal([sys.executable, "-i", "start_server.py"], environment(broker.port, tmp_path))
    try:
        term.read_until(">>> ")
        term.type("newHouse 2")
        term.read_until("this line (invalid syntax); nothing ran: did you mean newHouse(2)?")
        term.type("showhouses()")
        term.read_until("error: name 'showhouses' is not defined: did you mean showHouses()?")
        term.type("newHouse(1)")
        term.read_until("Created house 1.")
        term.type("newConsumer(1, LED)")
        term.read_until("error: name 'LED' is not defined: did you mean newConsumer(1, 'LED')?")
        assert "Traceback" not in term.screen
        term.type("newConsumer(1, 'LED'); debug(True)")
        term.read_until("DEBUG mode ON")
        mark = term.read_until(">>> ", start=len(term.screen) - 4) and len(term.screen)
        os.write(term.fd, b"showhouses")  # typed, not entered: a notice comes meanwhile
        term.read_until("showhouses", start=mark)
        mqtt_client.publish("Neighborhood/0/House/1/Consumer", b'{"1": 1200}')
        # The prompt's line is replaced by the notice, and drawn again below it as typed.
        at = term.read_until("[debug] house 1: c1=", start=mark).rindex("[debug] house 1")
        term.read_until(">>> showhouses", start=at)
        notice = re.compile(r"\r\x1b\[K\[debug\] house 1: c1=[^\n]*\r\n>>> showhouses")
        assert notice.search(term.screen, mark - 1), repr(term.screen[mark:])
        term.type("()")  # under debug(True): the full traceback
        term.read_until("NameError: name 'showhouses' is not defined", start=mark)
        assert "Traceback" in term.screen[mark:]
        term.type("exit()")
        assert term.wait() == 0
    finally:
        term.close()


def test_one_log_format_with_the_level_from_warning_up() -> None:
    record = logging.LogRecord("energrid.broker", logging.WARNING, "", 0, "it %s", ("died",), None)
    assert LogFormat().format(record) == "[broker] warning: it died"
    record = logging.LogRecord("energrid", logging.INFO, "", 0, "run `energrid sim`", (), None)
    assert LogFormat().format(record) == f"[energrid] run `{launcher()} sim`"
    assert LogFormat(timestamps=True).format(record).endswith(f"[energrid] run `{launcher()} sim`")


@pytest.mark.parametrize("flavour", ["energrid", "tasmota"])
def test_both_simulators_log_in_the_one_format(broker, tmp_path, flavour: str) -> None:  # noqa: ANN001
    argv = [*ENERGRID, "sim", f"--flavour={flavour}", "--period=0.05", "--duration=0.3"]
    env = environment(broker.port, tmp_path)
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines, done.stderr
    stamped = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[sim\] ")
    assert all(stamped.match(line) for line in lines), done.stderr


def test_headless_runs_until_sigterm(broker, mqtt_client: TestClient, tmp_path) -> None:  # noqa: ANN001
    process = subprocess.Popen(
        [*ENERGRID, "--headless", "--neighborhood", "7", "--log-level", "DEBUG"],
        cwd=ROOT,
        env=environment(broker.port, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        wait_for(
            lambda: "running headless" in _read_line(process, lines),
            timeout_s=15,
            what="the headless server to connect",
        )
        mqtt_client.publish("Neighborhood/7/House/1/Consumer", '{"1": 900}')
        mqtt_client.publish("Neighborhood/7/House/1/Consumer", "garbage")
        wait_for(
            lambda: "rejected Neighborhood/7/House/1/Consumer: json" in _read_line(process, lines),
            timeout_s=15,
            what="the second message to arrive (messages arrive in order)",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    log = "".join(lines) + output
    assert process.returncode == 0
    assert "received SIGTERM, stopping" in log
    assert "messages received 2, readings applied 0, messages rejected 2" in log


def _read_line(process: subprocess.Popen, lines: list[str]) -> str:
    line = process.stdout.readline() if process.stdout else ""
    lines.append(line)
    return line


def test_energrid_starts_mosquitto_when_none_answers(tmp_path) -> None:  # noqa: ANN001
    port = free_port()
    process = subprocess.Popen(
        [*ENERGRID, "--headless"],
        cwd=ROOT,
        env=environment(port, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: mqtt_handshake("127.0.0.1", port), timeout_s=15, what="the broker")
        assert (tmp_path / "broker" / "runtime.conf").exists()
        assert not (ROOT / "energrid.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "Started Mosquitto" in output
    assert not mqtt_handshake("127.0.0.1", port), "the broker child outlived the server"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENERGRID_MQTT_PORT": "abc"}, "ENERGRID_MQTT_PORT must be a whole number, not 'abc'"),
        (
            {"ENERGRID_START_BROKER": "maybe"},
            "ENERGRID_START_BROKER must be true or false, not 'maybe'",
        ),
    ],
)
def test_a_bad_setting_is_one_line(tmp_path, env: dict[str, str], message: str) -> None:  # noqa: ANN001
    full = environment(free_port(), tmp_path)
    full.update(env)
    done = subprocess.run(
        [*ENERGRID, "--headless"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"energrid: {message}"]


def test_an_unreachable_broker_that_may_not_be_started_is_one_line(tmp_path) -> None:  # noqa: ANN001
    env = environment(free_port(), tmp_path, ENERGRID_START_BROKER="false")
    done = subprocess.run(
        [*ENERGRID, "--headless"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("energrid: ")


@pytest.mark.parametrize(
    "argv", [["--frob"], ["sim", "--frob"], ["--mqtt-port", "x"], ["sim", "--houses", "x"]]
)
def test_a_wrong_flag_is_one_line(argv: list[str]) -> None:
    done = subprocess.run([*ENERGRID, *argv], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("energrid"), done.stderr
