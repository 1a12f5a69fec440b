"""startDemo(lang='fr'): everything the shell prints is French; lang='en': everything English.

A demo-like session on a real Mosquitto, with the demo's simulated boards: the narration,
creating a house and a device, switching, bad inputs, an evening peak over setLimit() that
raises an alarm, sheds the oven and clears (printed from the alarms' thread), a command's
confirmation (printed from the thread that heard the reading), showAlarms(), showHistory(),
the other views and help(). Every line printed is then searched for the words only the other
language's catalogue holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from helpers import wait_for
from mosquitto_fixture import MosquittoProcess
from simulated import connected_server

from energrid.arguments import command
from energrid.demo import ENGLISH as DEMO_NAMES
from energrid.demo import Demo
from energrid.shell import output as out
from energrid.shell import words
from energrid.shell.commands import ShellCommands
from energrid.shell.mistakes import typing_mistake
from energrid_core.notes import note, render
from energrid_core.server import GridServer

PERIOD_S = 0.2
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
CALL = re.compile(r"\b[A-Za-z_]\w*\([^()]*\)")  # exit(), bindDevice(h, c, 'shelly', id)
CODE_CHARACTERS = set("/_=()[]{}<>|\x1b")
IDENTIFIER = re.compile(r"[a-z]+[A-Z]\w*")  # showHouses, setLimit: command names
WORD = re.compile(r"[^\W\d_]{2,}")


def words_of(text: str) -> set[str]:
    """The words of a text, lower case, leaving out what is code and is typed as it is in both
    languages: a call (`setConsumer(1, 1, 0)`), a topic, a flag, a command's name, 'LED' in
    quotes, a placeholder."""
    found: set[str] = set()
    for chunk in CALL.sub(" ", PLACEHOLDER.sub(" ", text)).split():
        bare = chunk.strip(".,;:!?()[]")
        quoted = len(bare) > 1 and bare[0] == bare[-1] and bare[0] in "'\""
        if quoted or bare.startswith("--") or CODE_CHARACTERS & set(bare):
            continue
        if IDENTIFIER.match(bare):
            continue
        found.update(word.lower() for word in WORD.findall(bare))
    return found


def catalogue_words(catalogue: dict[str, str]) -> set[str]:
    return set().union(*(words_of(text) for text in catalogue.values()))


def foreign_words(lang: str) -> set[str]:
    """The words only the other language's catalogue uses, and its names of the demo's devices
    (the catalogues name a few: 'Lampe = Lamp')."""
    mine, theirs = (words.FRENCH, words.ENGLISH) if lang == "fr" else (words.ENGLISH, words.FRENCH)
    french_names = {w.lower() for name in DEMO_NAMES for w in name.split()}
    english_names = {w.lower() for name in DEMO_NAMES.values() for w in name.split()}
    my_names, their_names = (
        (french_names, english_names) if lang == "fr" else (english_names, french_names)
    )
    return (catalogue_words(theirs) - catalogue_words(mine) - my_names) | their_names


@pytest.fixture
def server(broker: MosquittoProcess) -> Iterator[GridServer]:
    # Alarms that raise and clear in a fraction of a second, shedding one step at a time.
    changes = {"alarm_min_s": 0.5, "shed_step_s": 0.2, "shed_restore_after_s": 3600.0}
    with connected_server(broker, **changes) as running:
        yield running


@pytest.fixture
def demo(server: GridServer) -> Iterator[Demo]:
    # Real time at 18:30 of the demo's day: the evening peak (radiators, lamps, the oven).
    running = Demo(server, pause_s=0.0, period_s=PERIOD_S, time_factor=1.0, start_hour=18.5)
    try:
        yield running
    finally:
        running.close()


def session(
    server: GridServer, demo: Demo, lang: str, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """Every line the shell printed for a representative session in `lang`."""
    shell = ShellCommands(server, demo=demo.start)
    sh: dict[str, Callable[..., object]] = shell.namespace()
    stop = command("stopDemo()")(demo.stop)
    shell.register("stopDemo", stop)
    sh["stopDemo"] = stop
    printed: list[str] = []

    def take() -> list[str]:
        printed.extend(capsys.readouterr().out.splitlines())
        return printed

    def printed_with(marker: str) -> bool:
        return any(marker in line for line in take())

    sh["startDemo"](lang=lang)
    sh["newHouse"]()
    sh["newConsumer"](3, 2, "LED")
    sh["newSupplier"](3, "Wind Turbine")
    sh["setHouse"](3, name="Mairie")
    sh["setConsumer"](3, 1, 1)
    sh["setSupplier"](3, 1, 0)
    sh["rmConsumer"](3, 2)
    # Bad inputs: one line each.
    sh["showHouse"](99)
    sh["setConsumer"](1, 9, 1)
    sh["setConsumer"](1, 1, 5)
    sh["newConsumer"](1)
    sh["showHouse"]()
    sh["setLimit"](-3)
    sh["showHistory"](1, period="2h")
    sh["showHouses"](page=4)
    sh["help"]("noSuchCommand")
    commands = {name: fn for name, fn in sh.items() if hasattr(fn, "usage")}
    typed = [
        (NameError("name 'LED' is not defined", name="LED"), "newConsumer(1, LED)"),
        (NameError("name 'showhouses' is not defined", name="showhouses"), "showhouses()"),
    ]
    try:
        compile("newHouse 2", "<shell>", "single")
    except SyntaxError as exc:
        typed.append((exc, "newHouse 2"))
    for mistake, line in typed:
        out.error(typing_mistake(mistake, commands, line) or "")
    # House 1's lamp off: its board obeys; the confirmation comes from the network thread.
    sh["setConsumer"](1, 3, 0)
    wait_for(lambda: printed_with(CONFIRMED[lang]), "house 1's lamp to confirm OFF")
    # The evening peak over 4.5 kW: an alarm, the oven shed, the alarm cleared (alarms' thread).
    sh["setPriority"](2, 4, 1)
    sh["setShedding"](True)
    sh["setLimit"](4500)
    wait_for(lambda: printed_with(CLEARED[lang]), "the alarm raised, the oven shed, then cleared")
    sh["showAlarms"]()
    sh["showHistory"](1)
    sh["showHistory"](1, 1, period="1h")
    sh["showHistory"](1, s=1, period="1h")
    sh["showEnergy"]()
    sh["showEnergy"](1)
    sh["showTypes"]()
    sh["showHouses"]()
    sh["showHouse"](1)
    sh["showConsumers"](2)
    sh["showSuppliers"](2)
    sh["showBindings"]()
    sh["live"](frames=1, refresh_s=0.1)
    sh["help"]()
    sh["help"]("setLimit")
    sh["help"](sh["showHouse"])
    sh["setLimit"](None)
    sh["debug"](False)
    sh["stopDemo"]()
    return take()


CONFIRMED = {"fr": "OFF confirmé en", "en": "confirmed OFF in"}
CLEARED = {"fr": "[fin d'alarme] Le quartier de nouveau sous sa limite", "en": "[alarm cleared]"}


def foreign_lines(printed: list[str], foreign: set[str]) -> list[str]:
    """Each printed line holding a foreign word, with the words."""
    return [
        f"{line!r}: {sorted(words_of(line) & foreign)}"
        for line in printed
        if words_of(line) & foreign
    ]


def test_the_french_demo_session_prints_no_english_word(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = session(server, demo, "fr", capsys)
    assert any("[alarme]" in line for line in printed)
    assert any("[fin d'alarme]" in line for line in printed)
    assert any("[délestage]" in line for line in printed)
    assert any("confirmé" in line for line in printed)
    english = foreign_words("fr")
    assert {"created", "alarm", "confirmed", "house", "lamp"} <= english  # what it looks for
    assert foreign_lines(printed, english) == []


def test_the_english_demo_session_prints_no_french_word(
    server: GridServer, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = session(server, demo, "en", capsys)
    assert any("[alarm] Neighborhood over its limit" in line for line in printed)
    assert any("[alarm cleared] Neighborhood back under its limit" in line for line in printed)
    assert any("[shedding] House 2 consumer 4 (Relay" in line for line in printed)
    french = foreign_words("en")
    assert {"maison", "alarme", "confirmé", "créée", "lampe"} <= french
    assert foreign_lines(printed, french) == []


def test_a_line_printed_later_is_in_the_language_of_that_moment() -> None:
    """A note made in one language and printed after a switch is worded at print time."""
    made = note(
        "alarm.over limit", scope=note("scope.house", house=2), draw_w=5000.0, limit_w=4500.0
    )
    words.set_language("fr")
    assert words.say(made) == "Maison 2 au-dessus de sa limite : 5000 W tirés, limite 4500 W"
    words.set_language("en")
    assert words.say(made) == str(made) == render(made, words.ENGLISH)
    assert str(made) == "House 2 over its limit: 5000 W drawn, limit 4500 W"
