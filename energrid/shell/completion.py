"""Completion at the prompt that costs microseconds while the operator types.

ptpython completes as you type with Jedi: 15-20 ms of CPU a keystroke on the shell's namespace
(measured with PythonCompleter.get_completions, best of five, warm). The server ingests on the
same interpreter, so every keystroke held the readings back that long. While typing, this
completer offers the namespace's names that start with the word being typed (a dictionary scan);
Tab asks ptpython's full completer, Jedi and all, as before.

ptpython also asks Jedi for the signature of the call being typed on every change of the text
(for its signature and docstring panes), whether those panes are shown or not: 28 ms of CPU a
keystroke in all, measured on the benchmark's shell. `signatures_only_when_shown` keeps that
work for when a pane that shows it is on (F2 menu).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document


class TypingCompleter(Completer):
    def __init__(self, full: Completer, namespace: Callable[[], dict[str, Any]]) -> None:
        self.full = full  # ptpython's, for Tab
        self.namespace = namespace

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        if event.completion_requested:  # Tab
            yield from self.full.get_completions(document, event)
            return
        word = document.get_word_before_cursor()
        if not word or not word.isidentifier() or word.startswith("_"):
            return
        before = document.text_before_cursor[: -len(word)]
        if before.endswith(".") or before.count("'") % 2 or before.count('"') % 2:
            return  # an attribute or inside a string: Tab completes those
        names = sorted(name for name in self.namespace() if name.startswith(word))
        for name in names:
            if name != word and not name.startswith("_"):
                yield Completion(name, -len(word))


def signatures_only_when_shown(repl: Any) -> None:
    """Ask Jedi for signatures on a change of text only while ptpython shows them."""
    buffer, find = repl.default_buffer, repl._on_input_timeout

    def on_text_changed(changed: Any) -> None:
        if repl.show_signature or repl.show_docstring:
            find(changed)

    buffer.on_text_changed.remove_handler(find)
    buffer.on_text_changed.add_handler(on_text_changed)
