"""The lines about the broker in the shell's language: a session that loses its broker and gets
it back says so in French after setLanguage('fr'), in English otherwise, and so does the watch
of the broker child the shell started when that broker dies. The listeners and a headless log
keep the English (tests/test_connection_lines.py).

The lines are printed the way the shell prints them (session.print_connection), from the
threads that hear them (paho's network thread, the broker's watch), and searched for the words
only the other language's catalogue holds, as in tests/test_shell_words.py.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest
from helpers import wait_for
from test_broker import local_settings
from test_shell_words import foreign_lines, foreign_words

from energrid.app import LogFormat, running_server
from energrid.shell import words
from energrid.shell.session import print_connection
from energrid_core.config import Settings
from energrid_core.server import GridServer

# What each line begins with, in each language (after the shell's "[broker] ").
LOST = {"fr": "[broker] broker à {address} perdu", "en": "[broker] lost the broker at {address}"}
CONNECTED = {
    "fr": "[broker] connecté au broker à {address} (",
    "en": "[broker] connected to the broker at {address} (",
}
DISCONNECTED = {
    "fr": "[broker] déconnecté du broker à {address}",
    "en": "[broker] disconnected from the broker at {address}",
}
RESTARTED = {"fr": "; redémarré (pid ", "en": "; restarted it (pid "}


@pytest.fixture
def language() -> object:
    """The shell's language is the process's: put English back after the test."""
    yield
    words.set_language("en")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_losing_and_regaining_the_broker_is_said_in_the_shells_language(
    lang: str,
    make_broker,  # noqa: ANN001
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    language: object,
) -> None:
    mosquitto = make_broker(persistence=True)
    settings.mqtt_port = mosquitto.port
    words.set_language(lang)
    server = GridServer(settings)
    server.client._client.reconnect_delay_set(1, 1)
    server.follow_connection(print_connection)
    address = server.client.address
    printed: list[str] = []

    def printed_with(start: str) -> int:
        printed.extend(capsys.readouterr().out.splitlines())
        return sum(line.startswith(start.format(address=address)) for line in printed)

    try:
        assert server.start(5)
        mosquitto.stop()
        wait_for(lambda: printed_with(LOST[lang]) == 1, what="the lost line")
        mosquitto.start()
        wait_for(lambda: printed_with(CONNECTED[lang]) == 2, timeout_s=10, what="the reconnect")
    finally:
        server.stop()
    assert printed_with(DISCONNECTED[lang]) == 1
    assert foreign_lines(printed, foreign_words(lang)) == []


def test_the_broker_child_dying_in_a_french_shell_is_said_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], language: object
) -> None:
    """The shell's own Mosquitto killed: the watch's line, and the connection's, in French."""
    settings = local_settings(tmp_path / "state", client_id="words-child")
    printed: list[str] = []

    def printed_with(marker: str) -> bool:
        printed.extend(capsys.readouterr().out.splitlines())
        return any(marker in line for line in printed)

    with running_server(settings, print_connection) as server:
        assert server.client.connected
        capsys.readouterr()  # the first connection was said in English, before the switch
        words.set_language("fr")
        pid = int((tmp_path / "state" / "broker" / "mosquitto.pid").read_text().split()[0])
        connects = server.client.connects
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: printed_with(RESTARTED["fr"]), what="the restart line")
        wait_for(lambda: server.client.connects > connects, timeout_s=10, what="the reconnect")
        wait_for(lambda: printed_with("[broker] connecté au broker"), what="the connected line")
    printed_with("")
    said = next(line for line in printed if RESTARTED["fr"] in line)
    assert said.startswith(f"[broker] le broker lancé par Energrid (pid {pid}) a été tué par ")
    assert "1 sur 3 en 600 s) ; son journal est " in said
    assert foreign_lines(printed, foreign_words("fr")) == []


def test_a_line_logged_as_a_note_is_printed_in_the_shells_language(language: object) -> None:
    """The broker child's log lines (its start, its stop, a SIGTERM ignored) in the shell."""
    said = words.english("broker.ignored SIGTERM", pid=12)
    record = logging.LogRecord("energrid.broker", logging.WARNING, __file__, 1, "%s", (said,), None)
    assert record.getMessage() == "Mosquitto (pid 12) ignored SIGTERM; killing it"
    assert LogFormat().format(record) == f"[broker] warning: {record.getMessage()}"
    words.set_language("fr")
    assert LogFormat().format(record) == (
        "[broker] avertissement: Mosquitto (pid 12) a ignoré SIGTERM ; arrêt forcé"
    )
    assert record.getMessage() == "Mosquitto (pid 12) ignored SIGTERM; killing it"
