"""Typing mistakes in the real shell (ptpython on a pseudo-terminal): one line, a fresh prompt."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from terminal import ENERGRID, Terminal, environment

from energrid.shell.mistakes import close_commands, edit_distance, typing_mistake

ANSI = re.compile(r"\x1b\[[0-9;? ]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


@pytest.fixture
def shell(broker, tmp_path) -> Iterator[Terminal]:  # noqa: ANN001
    term = Terminal(ENERGRID, environment(broker.port, tmp_path))
    try:
        term.read_until(">>>")
        yield term
    finally:
        term.close()


def visible(text: str) -> str:
    return ANSI.sub("", text)


def test_enter_on_a_line_python_cannot_read_answers_in_one_line(shell: Terminal) -> None:
    mark = len(shell.screen)
    shell.type("newHouse 2")
    shell.read_until("nothing ran", start=mark)
    mark = len(shell.screen)
    shell.type("showHouses()")  # on a fresh prompt, not appended to the line above
    shell.read_until("No houses yet", start=mark)
    shell.type("exit()")
    assert shell.wait() == 0
    screen = visible(shell.screen)
    errors = [line for line in screen.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: Python cannot read this line (invalid syntax")
    assert errors[0].endswith("nothing ran: did you mean newHouse(2)?")
    assert "newHouse 2showHouses()" not in screen
    assert "Traceback" not in screen
    assert "Created house" not in screen


def test_debug_keeps_the_full_syntax_error(shell: Terminal) -> None:
    shell.type("debug(True)")
    shell.read_until("DEBUG mode ON")
    mark = len(shell.screen)
    shell.type("newHouse 2")
    shell.read_until("SyntaxError", start=mark)
    assert "nothing ran" not in shell.screen[mark:]
    shell.type("exit()")
    assert shell.wait() == 0


def test_a_close_command_name_is_suggested(shell: Terminal) -> None:
    shell.type("showhouses()")
    shell.read_until("error: name 'showhouses' is not defined: did you mean showHouses()?")
    shell.type("shwHouse(1)")
    shell.read_until("did you mean showHouse(h)?")
    shell.type("newConsumer(2, Lamp)")  # a type without quotes: the line with its quotes
    shell.read_until("error: name 'Lamp' is not defined: did you mean newConsumer(2, 'Lamp')?")
    shell.type("exit()")
    assert shell.wait() == 0


def test_edit_distance() -> None:
    assert edit_distance("showhouses", "showhouses") == 0
    assert edit_distance("shwhouses", "showhouses") == 1
    assert edit_distance("showhouse", "showhouses") == 1
    assert edit_distance("setconsumr", "setconsumer") == 1
    assert edit_distance("kitten", "sitting") == 3  # more than the limit: limit + 1
    assert edit_distance("abc", "abcdef") == 3


def test_close_commands_prefers_case_then_the_nearest() -> None:
    commands = {name: None for name in ("showHouse", "showHouses", "newHouse", "rmHouse")}
    assert close_commands("showhouses", commands) == ["showHouses"]
    assert close_commands("showhouse", commands) == ["showHouse"]
    assert close_commands("shwHouses", commands) == ["showHouses"]
    assert close_commands("Lamp", commands) == []
    assert close_commands("rm", commands) == []  # too short to be a typo of anything


def test_a_bare_type_in_a_call_is_quoted_in_the_line_typed() -> None:
    commands = {"newConsumer": object(), "debug": object()}
    error = NameError("name 'LED' is not defined", name="LED")
    answer = typing_mistake(error, commands, "newConsumer(1, LED)")
    assert answer == "name 'LED' is not defined: did you mean newConsumer(1, 'LED')?"
    error = NameError("name 'Debug' is not defined", name="Debug")  # not the command debug()
    answer = typing_mistake(error, commands, "newConsumer(1, 2, type=Debug)")
    assert answer and answer.endswith("did you mean newConsumer(1, 2, type='Debug')?")
    # Not an argument of a command's call, or twice on the line: the general hint.
    lines = ["LED", "print(LED)", "newConsumer(1, LED, LED)", "newConsumer(1, LED())", None]
    lines += ["newHouse(1); newConsumer(1, LED)"]
    for line in lines:
        answer = typing_mistake(NameError("x", name="LED"), commands, line)
        assert answer and "a command needs parentheses" in answer, line


def test_anything_but_a_typing_mistake_is_left_to_the_normal_display() -> None:
    assert typing_mistake(ZeroDivisionError("x"), {}) is None
