"""The words the shell's tables and views print, in English and in French.

One language for the whole shell: startDemo(lang=...) makes the demo's language the shell's, so
that its tables stand in the same language as its narration; setLanguage('fr'|'en') sets it
outright. English is the default (every other process - `energrid watch`, the server alone - never
changes it) and the fallback for a word French lacks. Units (A, W, kWh, V, %) and ON/OFF, which
the operator also types, stay as they are in both.
"""

from __future__ import annotations

from energrid_core.errors import BadArgumentError

ENGLISH: dict[str, str] = {
    # --- columns -------------------------------------------------------------------------------
    "type": "type",
    "online": "online",
    "state": "state",
    "current": "current",
    "power": "power",
    "commanded": "commanded",
    "last reading": "last reading",
    "load": "load",
    "pv V": "pv V",
    "pv A": "pv A",
    "load V": "load V",
    "load A": "load A",
    "batt V": "batt V",
    "batt A": "batt A",
    "charge": "charge",
    "supply": "supply",
    "house": "house",
    "consumers": "consumers",
    "suppliers": "suppliers",
    "consumption": "consumption",
    "net balance": "net balance",
    "imported today": "imported today",
    "exported today": "exported today",
    "unmeasured today": "unmeasured today",
    "imported": "imported",
    "exported": "exported",
    "unmeasured": "unmeasured",
    "device": "device",
    "today": "today",
    "since creation": "since creation",
    "count": "count",
    "ON": "ON",
    "load ON": "load ON",
    "power now": "power now",
    "supply now": "supply now",
    "energy today": "energy today",
    "produced today": "produced today",
    "share": "share",
    "when": "when",
    "reason": "reason",
    "topic": "topic",
    "detail": "detail",
    # --- short words ---------------------------------------------------------------------------
    "ONLINE": "online",
    "OFFLINE": "OFFLINE",
    "never": "never",
    "ago": "{t} ago",
    "consumer": "consumer",
    "supplier": "supplier",
    "consumed": "consumed",
    "produced": "produced",
    "meter": "meter",
    "sum of consumers": "sum of consumers",
    "confirmed": "confirmed",
    "expired": "expired",
    "refused": "refused",
    "cancelled": "cancelled",
    "pending": "pending",
    "waiting for the broker": "waiting for the broker",
    "no answer": "no answer from the device",
    "not obeyed": "device {state}: not obeyed",
    "device shows": "device {state}",
    # --- plurals: (one, several) as 'one|several' ------------------------------------------------
    "n house": "house|houses",
    "n device": "device|devices",
    "n page": "page|pages",
    "n rejected": "rejected message|rejected messages",
    # --- showHouses(), showHouse(h), showConsumers(h), showSuppliers(h) ------------------------
    "no houses": "No houses yet. newHouse() creates one, startDemo() builds the demo neighborhood.",
    "page line": "  page {page} of {pages}: {command}(page=N) for the others",
    "neighborhood line": "Neighborhood {n}: {houses}, {devices}; {online_houses} and "
    "{online_devices} online: consumption {a} ({w}), supply {supply}, net {net}",
    "left out": "; left out: {houses} offline, last known {a} ({w})",
    "house summary": "House {h} ({online}): consumption {a} ({w}, {source}), supply {supply} "
    "({supply_a} on the load side), net {net}, last reading {age}",
    "Consumers (n)": "Consumers ({n})",
    "Suppliers (n)": "Suppliers ({n})",
    "no consumers": "  no consumers",
    "no suppliers": "  no suppliers",
    "no devices": "  no devices",
    "house consumers": "House {h} consumers",
    "house suppliers": "House {h} suppliers",
    # --- showEnergy(), showTypes() -------------------------------------------------------------
    "energy line": "{label}: today imported {a}, exported {b} (unmeasured {c}); since {since}: "
    "imported {d}, exported {e} (unmeasured {f})",
    "creation": "creation",
    "Neighborhood n": "Neighborhood {n}",
    "House n": "House {h}",
    "neighborhood n": "neighborhood {n}",
    "house n": "house {h}",
    "house h": "house {h}",
    "Energy": "Energy",
    "Consumers": "Consumers",
    "Suppliers": "Suppliers",
    "by type": "{title} of {where} by type:",
    "by type: none": "{title} of {where} by type: none",
    # --- live() --------------------------------------------------------------------------------
    "live head": "Energrid live - {time}{clock}  (Ctrl-C to stop)",
    "ALARM": "ALARM: {text}",
    "no alarms": "Alarms: none",
    "shed count": "Shed consumers: {n} (showAlarms() for the details)",
    "more lines": "... ({n} more lines)",
    "live stopped": "live view stopped",
    "view served": "3D view of the grid: open {url} in a browser.",
    "view not served": "3D view not served: {reason}",
    # --- showAlarms() --------------------------------------------------------------------------
    "limits": "Limits: {limits}; load shedding {on}",
    "no limits": "none (setLimit(watts), setLimit(h, watts))",
    "neighborhood": "neighborhood",
    "active alarms": "Active alarms: {n}",
    "none": "none",
    "alarm since": "  since {clock} ({age}): {text}",
    "shed now": "Shed now: {devices}",
    "house consumer": "house {h} consumer {c}",
    "history": "History (last {n}):",
    "no history": "History: nothing yet",
    # --- showStats() ---------------------------------------------------------------------------
    "Broker": "Broker: {text}",
    "connected": "connected",
    "NOT connected": "NOT connected",
    "messages received": "Messages received: {n} (boards' readings and other clients' commands)",
    "messages applied": "Reading messages applied: {n}",
    "readings applied": "Readings applied: {n} (one per device in a message)",
    "commands seen": "Commands from other clients seen: {n} (VR, dashboards)",
    "rejected": "Messages rejected: {n}",
    "skipped": "Readings skipped ({reason}): {n}",
    "internal errors": "Internal errors:   {n} (debug(True) logs them)",
    "last rejected": "Last {rejected}, newest first:",
    "connection": "Connection: {connects} connects, {disconnects} disconnects, {failed} failed "
    "attempts, {duplicates} redelivered duplicates dropped, {restarts} network thread restarts",
    "server commands": "Commands from this server: {sent} sent, {waiting} waiting for the broker, "
    "{expired} expired, {refused} refused, {confirmed} confirmed, {unconfirmed} unconfirmed",
    "state topics": "State topics: {published} published, {changes} changes coalesced into "
    "{flushes} updates, {cleared} cleared",
}

FRENCH: dict[str, str] = {
    "type": "type",
    "online": "en ligne",
    "state": "état",
    "current": "courant",
    "power": "puissance",
    "commanded": "commandé",
    "last reading": "dernière mesure",
    "load": "sortie",
    "pv V": "pv V",
    "pv A": "pv A",
    "load V": "sortie V",
    "load A": "sortie A",
    "batt V": "batt V",
    "batt A": "batt A",
    "charge": "charge",
    "supply": "production",
    "house": "maison",
    "consumers": "consommateurs",
    "suppliers": "fournisseurs",
    "consumption": "consommation",
    "net balance": "bilan net",
    "imported today": "importé aujourd'hui",
    "exported today": "exporté aujourd'hui",
    "unmeasured today": "non mesuré aujourd'hui",
    "imported": "importé",
    "exported": "exporté",
    "unmeasured": "non mesuré",
    "device": "appareil",
    "today": "aujourd'hui",
    "since creation": "depuis la création",
    "count": "nombre",
    "ON": "ON",
    "load ON": "sortie ON",
    "power now": "puissance",
    "supply now": "production",
    "energy today": "énergie aujourd'hui",
    "produced today": "produit aujourd'hui",
    "share": "part",
    "when": "quand",
    "reason": "raison",
    "topic": "topic",
    "detail": "détail",
    "ONLINE": "en ligne",
    "OFFLINE": "HORS LIGNE",
    "never": "jamais",
    "ago": "il y a {t}",
    "consumer": "consommateur",
    "supplier": "fournisseur",
    "consumed": "consommé",
    "produced": "produit",
    "meter": "compteur",
    "sum of consumers": "somme des consommateurs",
    "confirmed": "confirmé",
    "expired": "expiré",
    "refused": "refusé",
    "cancelled": "annulé",
    "pending": "en cours",
    "waiting for the broker": "en attente du broker",
    "no answer": "pas de réponse de l'appareil",
    "not obeyed": "appareil {state} : non obéi",
    "device shows": "appareil {state}",
    "n house": "maison|maisons",
    "n device": "appareil|appareils",
    "n page": "page|pages",
    "n rejected": "message rejeté|messages rejetés",
    "no houses": "Aucune maison. newHouse() en crée une, startDemo() construit le quartier de "
    "démonstration.",
    "page line": "  page {page} sur {pages} : {command}(page=N) pour les autres",
    "neighborhood line": "Quartier {n} : {houses}, {devices} ; en ligne : {online_houses} et "
    "{online_devices} : consommation {a} ({w}), production {supply}, bilan net {net}",
    "left out": " ; non comptées : {houses} hors ligne, dernière mesure {a} ({w})",
    "house summary": "Maison {h} ({online}) : consommation {a} ({w}, {source}), production "
    "{supply} ({supply_a} en sortie), bilan net {net}, dernière mesure {age}",
    "Consumers (n)": "Consommateurs ({n})",
    "Suppliers (n)": "Fournisseurs ({n})",
    "no consumers": "  aucun consommateur",
    "no suppliers": "  aucun fournisseur",
    "no devices": "  aucun appareil",
    "house consumers": "Consommateurs de la maison {h}",
    "house suppliers": "Fournisseurs de la maison {h}",
    "energy line": "{label} : aujourd'hui importé {a}, exporté {b} (non mesuré {c}) ; depuis "
    "{since} : importé {d}, exporté {e} (non mesuré {f})",
    "creation": "la création",
    "Neighborhood n": "Quartier {n}",
    "House n": "Maison {h}",
    "neighborhood n": "du quartier {n}",
    "house n": "de la maison {h}",
    "house h": "maison {h}",
    "Energy": "Énergie",
    "Consumers": "Consommateurs",
    "Suppliers": "Fournisseurs",
    "by type": "{title} {where} par type :",
    "by type: none": "{title} {where} par type : aucun",
    "live head": "Energrid en direct - {time}{clock}  (Ctrl-C pour arrêter)",
    "ALARM": "ALARME : {text}",
    "no alarms": "Alarmes : aucune",
    "shed count": "Consommateurs délestés : {n} (showAlarms() pour le détail)",
    "more lines": "... ({n} lignes de plus)",
    "live stopped": "vue en direct arrêtée",
    "view served": "Vue 3D du réseau : ouvrez {url} dans un navigateur.",
    "view not served": "Vue 3D non servie : {reason}",
    "limits": "Limites : {limits} ; délestage {on}",
    "no limits": "aucune (setLimit(watts), setLimit(h, watts))",
    "neighborhood": "quartier",
    "active alarms": "Alarmes actives : {n}",
    "none": "aucune",
    "alarm since": "  depuis {clock} ({age}) : {text}",
    "shed now": "Délestés : {devices}",
    "house consumer": "maison {h} consommateur {c}",
    "history": "Historique ({n} derniers) :",
    "no history": "Historique : rien encore",
    "Broker": "Broker: {text}",
    "connected": "connecté",
    "NOT connected": "NON connecté",
    "messages received": "Messages reçus: {n} (mesures des cartes et commandes d'autres clients)",
    "messages applied": "Messages de mesures appliqués: {n}",
    "readings applied": "Mesures appliquées: {n} (une par appareil dans un message)",
    "commands seen": "Commandes d'autres clients vues: {n} (VR, tableaux de bord)",
    "rejected": "Messages rejetés: {n}",
    "skipped": "Mesures ignorées ({reason}): {n}",
    "internal errors": "Erreurs internes:   {n} (debug(True) les journalise)",
    "last rejected": "Derniers {rejected}, du plus récent au plus ancien :",
    "connection": "Connexion: {connects} connexions, {disconnects} déconnexions, {failed} "
    "tentatives échouées, {duplicates} doublons redélivrés écartés, {restarts} redémarrages du "
    "fil réseau",
    "server commands": "Commandes de ce serveur: {sent} envoyées, {waiting} en attente du "
    "broker, {expired} expirées, {refused} refusées, {confirmed} confirmées, {unconfirmed} non "
    "confirmées",
    "state topics": "Topics d'état: {published} publiés, {changes} changements regroupés en "
    "{flushes} mises à jour, {cleared} effacés",
}

LANGUAGES: dict[str, dict[str, str]] = {"en": ENGLISH, "fr": FRENCH}


class _Shell:
    """The shell's language: one per process, like the shell itself."""

    language = "en"


def language() -> str:
    return _Shell.language


def set_language(lang: object) -> None:
    """Switch the shell's words; an unknown language raises (one line) and changes nothing."""
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise BadArgumentError(f"the language must be 'fr' or 'en', not {lang!r}")
    _Shell.language = lang


def w(key: str, **values: object) -> str:
    """The words for `key` in the shell's language (English where French lacks them),
    with `values` put in."""
    text = LANGUAGES[_Shell.language].get(key)
    if text is None:
        text = ENGLISH[key]
    return text.format(**values) if values else text


def headers(names: tuple[str, ...]) -> tuple[str, ...]:
    """A table's column names (the English ones, as constants in the views) translated."""
    return tuple(w(name) if name in ENGLISH else name for name in names)


def plural(count: int, key: str) -> str:
    """'1 house', '2 houses', '0 houses'; in French, 0 and 1 are singular: '0 maison'."""
    one, several = w(key).split("|")
    single = count == 1 or (count == 0 and _Shell.language == "fr")
    return f"{count} {one if single else several}"
