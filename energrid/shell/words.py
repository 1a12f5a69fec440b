"""The words the shell prints, in English or in French, and the one function that picks them.

One language for the whole shell: startDemo(lang=...) makes the demo's language the shell's, so
that everything it prints stands in the same language as its narration; setLanguage('fr'|'en')
sets it outright. English is the default (the seed's shell spoke English; only its demo spoke
French; every other process - `energrid watch`, the server alone - never changes it) and the
fallback for a word French lacks. Units (A, W, kWh, V, %), ON/OFF, command names and device
types, which the operator also types, stay as they are in both.

The catalogues: words_en.ENGLISH and words_fr.FRENCH for what the shell says itself, and
energrid_core.notes.ENGLISH for the notes the core hands out (its French is in words_fr too).
Everything is worded when it is printed - lines printed from other threads (a command's
confirmation, an alarm, the broker connection lost and regained) included - so the language is
the one current at that moment. Lines that have always been handed out as text (the connection
listeners', the broker child's, a log line) are a notes.NoteText: English text carrying its
note, which `say` words.
"""

from __future__ import annotations

from collections.abc import Mapping

from energrid.shell.words_en import ENGLISH as SHELL_ENGLISH
from energrid.shell.words_fr import FRENCH
from energrid_core import notes
from energrid_core.errors import BadArgumentError
from energrid_core.notes import Note, NoteText

ENGLISH: dict[str, str] = {**notes.ENGLISH, **SHELL_ENGLISH}
LANGUAGES: dict[str, Mapping[str, str]] = {"en": ENGLISH, "fr": FRENCH}


class _Shell:
    """The shell's language: one per process, like the shell itself."""

    language = "en"


def language() -> str:
    return _Shell.language


def set_language(lang: object) -> None:
    """Switch the shell's words; an unknown language raises (one line) and changes nothing."""
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise BadArgumentError(w("error.language", lang=lang))
    _Shell.language = lang


def catalogue() -> Mapping[str, str]:
    return LANGUAGES[_Shell.language]


def say(item: Note | str) -> str:
    """A note (or text already worded) in the shell's language: the single way to word one."""
    return notes.render(item, catalogue(), ENGLISH)


def english(key: str, **values: object) -> NoteText:
    """A line said outside the shell's commands (the broker child's watch and start-up): its
    English text, for a log and for whoever takes it as text, carrying its note, so that the
    shell prints it in its language (notes.NoteText)."""
    return NoteText(Note(key, values), ENGLISH)


def w(key: str, **values: object) -> str:
    """The words for `key` in the shell's language (English where French lacks them), with
    `values` put in (a value that is a Note worded in the same language)."""
    return say(Note(key, values))


def term(key: str) -> str:
    """A word the code names in English ('the house'), in the shell's language; a word the
    catalogue does not hold is left as it is."""
    return w(key) if key in ENGLISH else key


def headers(names: tuple[str, ...]) -> tuple[str, ...]:
    """A table's column names (the English ones, as constants in the views) translated."""
    return tuple(w(name) if name in ENGLISH else name for name in names)


def plural(count: int, key: str) -> str:
    """'1 house', '2 houses', '0 houses'; in French, 0 and 1 are singular: '0 maison'."""
    one, several = w(key).split("|")
    single = count == 1 or (count == 0 and _Shell.language == "fr")
    return f"{count} {one if single else several}"
