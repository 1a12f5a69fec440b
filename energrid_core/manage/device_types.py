"""Device types for statistics: one name per kind, whatever the case or the language typed.

The original design gave devices a type "mainly for statistics"; operators type it freely, in
French or English ("Lampe", "lamp", "LAMP"). `type_key()` folds case and accents and maps
known aliases to one key, so that showTypes() counts them together; `type_label()` names the
key in the shell's language. An unknown type is its own key (its first spelling is its label).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# key -> (English label, French label, other spellings typed by operators)
KNOWN: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "lamp": ("Lamp", "Lampe", ("lampe", "light", "bulb", "ampoule")),
    "led": ("LED", "LED", ("leds",)),
    "radiator": ("Radiator", "Radiateur", ("radiateur", "heater", "chauffage")),
    "fridge": ("Fridge", "Frigo", ("frigo", "refrigerator", "refrigerateur", "frigidaire")),
    "relay": ("Relay", "Relais", ("relais",)),
    "oven": ("Oven", "Four", ("four",)),
    "washing machine": ("Washing Machine", "Lave-linge", ("lave-linge", "lave linge")),
    "heat pump": ("Heat Pump", "Pompe à chaleur", ("pompe a chaleur", "pac")),
    "ev charger": ("EV Charger", "Borne de recharge", ("borne de recharge", "borne")),
    "solar panel": ("Solar Panel", "Panneau solaire", ("panneau solaire", "solar", "pv")),
    "wind turbine": ("Wind Turbine", "Éolienne", ("eolienne", "wind")),
    "battery": ("Battery", "Batterie", ("batterie",)),
}

_ALIASES = {alias: key for key, (_en, _fr, more) in KNOWN.items() for alias in more}


def fold(text: str) -> str:
    """Lower case, accents removed, inner spaces and dashes made single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace("_", " ").split())


@lru_cache(maxsize=4096)
def type_key(type_: str) -> str:
    """The statistics key of a typed name: 'Lampe', 'LAMP' and 'lamp' all give 'lamp'."""
    folded = fold(type_)
    if folded in KNOWN:
        return folded
    return _ALIASES.get(folded, _ALIASES.get(folded.replace("-", " "), folded))


def type_label(key: str, lang: str = "en", spelling: str | None = None) -> str:
    """The name shown for a key; an unknown key shows as first typed (spelling)."""
    known = KNOWN.get(key)
    if known is None:
        return spelling if spelling is not None else key
    return known[1] if lang == "fr" else known[0]
