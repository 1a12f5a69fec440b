"""setLanguage() and the words of the shell's tables: French after setLanguage('fr') (or after
startDemo(), in tests/test_demo.py), English by default, and a bad language changes nothing."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

import orjson
import pytest
from helpers import FakeClock
from mosquitto_fixture import free_port

from energrid.shell import words
from energrid.shell.commands import ShellCommands
from energrid_core.config import Settings
from energrid_core.manage.energy_counter import local_midnight
from energrid_core.server import GridServer

USAGE = "Usage: setLanguage('fr') or setLanguage('en')"
USAGE_FR = "Usage : setLanguage('fr') ou setLanguage('en')"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local_midnight(1_750_000_000.0) + 10 * 3600)


@pytest.fixture
def server(tmp_path, clock: FakeClock) -> Iterator[GridServer]:  # noqa: ANN001
    settings = Settings(state_dir=tmp_path, start_broker=False, mqtt_port=free_port())
    server = GridServer(settings, clock=clock)
    server.energy.start(server.bus, thread=False)
    yield server
    server.stop()


@pytest.fixture
def sh(server: GridServer, clock: FakeClock, capsys: pytest.CaptureFixture[str]) -> dict:
    """A shell over house 1 (a radiator at 10 A, a solar panel at 100 W), read for a minute."""
    namespace = ShellCommands(server).namespace()
    namespace["newHouse"]()
    namespace["newConsumer"](1, "Radiateur")
    namespace["newSupplier"](1, "Panneau solaire")
    for _ in range(61):
        server.ingest.handle(
            "Neighborhood/0/House/1/Consumer/1", orjson.dumps({"current_a": 10.0, "on": True})
        )
        server.ingest.handle(
            "Neighborhood/0/House/1/Supplier/1",
            orjson.dumps({"load_voltage_v": 100.0, "load_current_a": 1.0}),
        )
        server.energy.sweep()
        clock.advance(1.0)
    capsys.readouterr()
    return namespace


def shown(sh: dict, capsys: pytest.CaptureFixture[str], name: str, *args: object) -> str:
    sh[name](*args)
    return capsys.readouterr().out


def first_row(text: str, start: str) -> list[str]:
    """The header row of the table that starts with `start`, its columns split on 2+ spaces."""
    for line in text.splitlines():
        if line.strip().startswith(start):
            return re.split(r" {2,}", line.strip())
    raise AssertionError(f"no line starting with {start!r} in:\n{text}")


def test_the_tables_are_english_until_a_language_is_set(sh: dict, capsys) -> None:  # noqa: ANN001
    houses = shown(sh, capsys, "showHouses")
    assert houses.startswith("Neighborhood 0: 1 house, 2 devices;")
    assert first_row(houses, "house")[:3] == ["house", "online", "consumers"]
    house = shown(sh, capsys, "showHouse", 1)
    assert house.startswith("House 1 (online): consumption 10.00 A")
    assert first_row(house, "#")[1:4] == ["type", "online", "state"]


def test_set_language_fr_makes_the_tables_french(sh: dict, capsys) -> None:  # noqa: ANN001
    assert shown(sh, capsys, "setLanguage", "fr") == "Le shell parle français.\n"
    houses = shown(sh, capsys, "showHouses")
    assert houses.startswith("Quartier 0 : 1 maison, 2 appareils ; en ligne : 1 maison et")
    assert first_row(houses, "maison") == [
        "maison",
        "en ligne",
        "consommateurs",
        "fournisseurs",
        "courant",
        "consommation",
        "production",
        "bilan net",
        "dernière mesure",
    ]
    assert "1  en ligne" in houses and "10.00 A" in houses  # units stay as they are
    house = shown(sh, capsys, "showHouse", 1)
    assert house.startswith("Maison 1 (en ligne) : consommation 10.00 A (2300.0 W, somme des")
    assert "Consommateurs (1)" in house and "Fournisseurs (1)" in house
    assert first_row(house, "#")[1:5] == ["type", "en ligne", "état", "courant"]
    assert "il y a 1.0 s" in house
    energy = shown(sh, capsys, "showEnergy")
    assert energy.startswith("Quartier 0 : aujourd'hui importé 0.037 kWh, exporté 0.000 kWh")
    assert first_row(energy, "maison")[:3] == [
        "maison",
        "importé aujourd'hui",
        "exporté aujourd'hui",
    ]
    # And back: the same commands in English again.
    assert shown(sh, capsys, "setLanguage", "en") == "The shell speaks English.\n"
    assert shown(sh, capsys, "showEnergy").startswith("Neighborhood 0: today imported 0.037 kWh")


@pytest.mark.parametrize("bad", ["de", "FR", "", 1, None])
def test_an_unknown_language_is_one_line_and_changes_nothing(sh: dict, capsys, bad) -> None:  # noqa: ANN001
    shown(sh, capsys, "setLanguage", "fr")
    said = shown(sh, capsys, "setLanguage", bad)
    assert said == f"erreur : la langue doit être 'fr' ou 'en', pas {bad!r}. {USAGE_FR}\n"
    assert words.language() == "fr"
    assert shown(sh, capsys, "showHouses").startswith("Quartier 0 :")
    assert shown(sh, capsys, "setLanguage").startswith("erreur : ")  # no language at all
    assert words.language() == "fr"
    shown(sh, capsys, "setLanguage", "en")
    said = shown(sh, capsys, "setLanguage", bad)
    assert said == f"error: the language must be 'fr' or 'en', not {bad!r}. {USAGE}\n"


def test_help_lists_set_language(sh: dict, capsys) -> None:  # noqa: ANN001
    assert "setLanguage('fr'|'en')" in shown(sh, capsys, "help")


def test_french_has_every_word_with_the_same_blanks() -> None:
    def blanks(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    # French also describes each command for help(command) (the English is its docstring).
    assert set(words.FRENCH) - {k for k in words.FRENCH if k.startswith("doc.")} == set(
        words.ENGLISH
    )
    # Python's own English (a TypeError's, a SyntaxError's words) is left out of the French.
    python_words = {"wrong arguments": {"detail"}, "mistake.syntax": {"reason"}}
    for key, english in words.ENGLISH.items():
        assert blanks(words.FRENCH[key]) == blanks(english) - python_words.get(key, set()), key
        assert english.count("|") == words.FRENCH[key].count("|"), key


def test_french_describes_every_command_and_no_other(sh: dict) -> None:  # noqa: ANN001
    commands = {name for name, fn in sh.items() if hasattr(fn, "usage")} | {"stopDemo"}
    described = {key.removeprefix("doc.") for key in words.FRENCH if key.startswith("doc.")}
    assert described == commands
