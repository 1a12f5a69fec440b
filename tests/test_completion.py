"""The prompt's completion: namespace names while typing, the full completer on Tab."""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from energrid.shell.completion import TypingCompleter

NAMESPACE = {"showHouses": 1, "showHouse": 2, "setConsumer": 3, "_hidden": 4}


class Full(Completer):
    """Stands for ptpython's Jedi completer: records that it was asked."""

    def __init__(self) -> None:
        self.asked = 0

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        self.asked += 1
        yield Completion("from_jedi", 0)


def complete(text: str, tab: bool = False) -> tuple[list[str], int]:
    full = Full()
    completer = TypingCompleter(full, lambda: NAMESPACE)
    event = CompleteEvent(text_inserted=not tab, completion_requested=tab)
    found = [c.text for c in completer.get_completions(Document(text, len(text)), event)]
    return found, full.asked


def test_while_typing_the_namespace_names_with_that_start_and_never_jedi() -> None:
    assert complete("show") == (["showHouse", "showHouses"], 0)
    assert complete("x = setC") == (["setConsumer"], 0)


def test_while_typing_nothing_for_attributes_strings_and_private_names() -> None:
    assert complete("server.sho") == ([], 0)
    assert complete("newConsumer(1, 2, 'sho") == ([], 0)
    assert complete("_hid") == ([], 0)
    assert complete("showHouses()") == ([], 0)


def test_tab_asks_the_full_completer() -> None:
    assert complete("server.sho", tab=True) == (["from_jedi"], 1)
