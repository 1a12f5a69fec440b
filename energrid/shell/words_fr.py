"""The shell's words in French: every id of words_en.ENGLISH and of energrid_core.notes.ENGLISH.

tests/test_words.py checks that no id is missing and that each French sentence names the same
values as its English one.
"""

from __future__ import annotations

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
    "types left out": "ON et puissance ne comptent que les maisons en ligne ; non comptées : "
    "{houses} hors ligne, dernière mesure {w}",
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
    # --- what the core hands out (energrid_core.notes) --------------------------------------------
    "ids.none": "aucun",
    "ids.many": "{low}..{high} ({n} en tout)",
    "device.consumer": "Maison {house} consommateur {device}",
    "device.supplier": "Maison {house} fournisseur {device}",
    "error.no house": "pas de maison {house} (maisons : {houses})",
    "error.no houses yet": "aucune pour l'instant : newHouse() en crée une",
    "error.no consumer": "la maison {house} n'a pas de consommateur {device} (ses consommateurs : "
    "{have})",
    "error.no supplier": "la maison {house} n'a pas de fournisseur {device} (ses fournisseurs : "
    "{have})",
    "error.type not text": "le type {type!r} n'est pas un texte valide",
    "error.batch": "le nombre à créer doit être entre 1 et {high}, pas {count}",
    "error.device id empty": "{what} doit être un texte non vide, pas {value}",
    "error.device id long": "{what} dépasse {high} caractères",
    "error.device id ascii": "{what} {value!r} doit être en ASCII imprimable, sans espace",
    "error.device id level": "{what} {value!r} ne doit contenir ni + ni # ni niveau vide",
    "error.plug device": "l'appareil {flavour}",
    "error.flavour": "la famille doit être {names} ou {last}, pas {value}",
    "error.gen1 shelly": "une Shelly Gen1 se nomme 'shellies/<id>', pas {value!r}",
    "error.plug slash": "l'appareil {flavour} {value!r} ne doit pas contenir '/'",
    "error.plug taken": "{flavour} {device!r} alimente déjà la maison {house} consommateur "
    "{consumer} : unbindDevice({house}, {consumer}) d'abord",
    "error.not bound": "le consommateur {consumer} de la maison {house} n'est lié à aucune prise",
    "switch": "{state}",
    "switch.load": "sortie {state}",
    "times.once": "une fois",
    "times.n": "{n} fois",
    "shows.nothing": "aucune mesure",
    "shows": "il indique {state}",
    "phase.expired": "expiré",
    "phase.refused": "refusé",
    "phase.superseded": "remplacé",
    "phase.cancelled": "annulé",
    "command.confirmed": "{head} : {what} confirmé en {took_s:.1f} s",
    "command.unconfirmed": "{head} : {what} non confirmé en {took_s:.0f} s (envoyé {times} ; "
    "{shows})",
    "command.queued": "{head} : {what} attend le broker",
    "command.waiting": "{head} : en attente de la confirmation de {what}",
    "command.ended": "{head} : {what} {phase}",
    "command.ended why": "{head} : {what} {phase} ({detail})",
    "command.from another client": "{text} (commande d'un autre client)",
    "notice.refused": "[commande] non livrée : le broker a refusé {call} : {detail}",
    "notice.again": "[commande] nouvel envoi de {call} : {detail}",
    "notice.superseded": "[commande] remplacée : {call} ({detail})",
    "notice.broker back": "[commande] envoi de {call} maintenant que le broker est revenu",
    "notice.delivered": "[commande] livrée : {call} sur {topic}",
    "notice.delivered nobody": "[commande] livrée : {call} sur {topic} (aucun appareil n'y est "
    "abonné pour l'instant)",
    "notice.expired": "[commande] expirée, non livrée : {call} ({detail})",
    "notice.cancelled": "[commande] annulée : {call} ({detail})",
    "detail.replaces": "remplace le {state} en attente",
    "detail.still shows": "l'appareil indique toujours {state}",
    "detail.back and shows": "l'appareil est revenu et indique {state}",
    "detail.broker down": "le broker est resté injoignable",
    "detail.removed": "appareil retiré",
    "detail.now plug": "le consommateur est désormais {plug}",
    "scope.neighborhood": "Le quartier",
    "scope.house": "Maison {house}",
    "alarm.over limit": "{scope} au-dessus de sa limite : {draw_w:.0f} W tirés, limite "
    "{limit_w:.0f} W",
    "alarm.under limit": "{scope} de nouveau sous sa limite : {draw_w:.0f} W",
    "alarm.limit removed": "{scope} : limite retirée",
    "alarm.battery low": "Maison {house} fournisseur {device} batterie faible : {pct:.0f} %",
    "alarm.battery back": "Maison {house} fournisseur {device} batterie remontée à {pct:.0f} %",
    "alarm.not obeyed": "{head} n'obéit pas : commandé {state}, indique {shown}",
    "alarm.obeys": "{head} obéit à une nouvelle commande",
    "where.neighborhood": "le quartier",
    "where.house": "la maison {house}",
    "why.operator": "la commande de l'opérateur",
    "why.client": "une commande d'un autre client",
    "shed.off": "Maison {house} consommateur {device} ({type}, priorité {priority}, "
    "{power_w:.0f} W) passé à OFF : {where} tire {draw_w:.0f} W, cible {target_w:.0f} W",
    "shed.restored": "Maison {house} consommateur {device} remis à ON : {draw_w:.0f} W tirés + "
    "{power_w:.0f} W tiennent sous {target_w:.0f} W",
    "shed.released": "Maison {house} consommateur {device} rendu par {why}",
    "event.raised": "[alarme] {text}",
    "event.cleared": "[fin d'alarme] {text}",
    "event.shed": "[délestage] {text}",
    "event.restored": "[délestage] {text}",
    "event.released": "[délestage] {text}",
    "link.connected": "connecté au broker à {address} ({session})",
    "link.session resumed": "session reprise",
    "link.new session": "nouvelle session",
    "link.disconnected": "déconnecté du broker à {address}",
    "link.not connected": "le broker à {address} n'est pas connecté : rien n'a été envoyé",
    "link.lost closed": "broker à {address} perdu : il a fermé la connexion ; nouvelle tentative",
    "link.lost closed why": "broker à {address} perdu : il a fermé la connexion ({reason}) ; "
    "nouvelle tentative",
    "link.lost cut": "broker à {address} perdu : le réseau a coupé la connexion ({error}) ; "
    "nouvelle tentative",
    "link.lost why": "broker à {address} perdu ({reason}) ; nouvelle tentative",
    "link.refused": "le broker à {address} a refusé la connexion : {reason} ; nouvelle tentative",
    "link.refused account": "le broker à {address} a refusé la connexion : {reason} ; vérifiez "
    "--mqtt-username et le fichier du mot de passe (energrid credentials) ; nouvelle tentative",
    "link.tls untrusted": "le broker à {address} a présenté un certificat TLS que {ca} ne "
    "garantit pas ({what}) ; nouvelle tentative",
    "link.the CA file": "le fichier de l'autorité de certification",
    "link.tls failed": "la négociation TLS avec le broker à {address} a échoué ({reason}) ; "
    "nouvelle tentative",
    "link.refused tcp": "le broker à {address} ne répond pas encore (connexion refusée) ; "
    "nouvelle tentative",
    "link.reset": "le réseau a réinitialisé la connexion au broker à {address} ; nouvelle "
    "tentative",
    "link.timeout": "le broker à {address} n'a pas répondu à temps ; nouvelle tentative",
    "link.unreachable": "le broker à {address} est injoignable ({error}) ; nouvelle tentative",
    "link.cannot connect": "impossible de joindre le broker à {address} ({error}) ; nouvelle "
    "tentative",
    "link.no answer": "le broker à {address} ne répond pas encore ; nouvelle tentative",
    "link.taken over": "un autre client à l'identifiant {client_id!r} a repris cette session "
    "auprès du broker à {address} ; pas de reconnexion (donnez à chaque serveur son propre "
    "--client-id, ou arrêtez l'autre)",
    "link.taken again": "un autre client à l'identifiant {client_id!r} reprend sans cesse "
    "cette connexion auprès du broker à {address} (le broker la ferme chaque fois que l'autre "
    "se connecte) ; pas de reconnexion (donnez à chaque serveur son propre --client-id, ou "
    "arrêtez l'autre)",
    "watchdog.gave up": "le fil réseau MQTT s'est arrêté {times} fois en {window_s:g} s ; abandon",
    "watchdog.failed": "le fil réseau MQTT s'est arrêté et n'a pas pu être relancé : {error}",
    "watchdog.restarted": "le fil réseau MQTT s'est arrêté ; relancé ({n} sur {most} en "
    "{window_s:g} s)",
    "mqtt.Unspecified error": "erreur non précisée",
    "mqtt.Malformed packet": "paquet mal formé",
    "mqtt.Protocol error": "erreur de protocole",
    "mqtt.Implementation specific error": "erreur propre à l'implémentation",
    "mqtt.Unsupported protocol version": "version du protocole non prise en charge",
    "mqtt.Client identifier not valid": "identifiant de client non valable",
    "mqtt.Bad user name or password": "nom d'utilisateur ou mot de passe erroné",
    "mqtt.Not authorized": "non autorisé",
    "mqtt.Server unavailable": "serveur indisponible",
    "mqtt.Server busy": "serveur occupé",
    "mqtt.Banned": "banni",
    "mqtt.Server shutting down": "arrêt du serveur",
    "mqtt.Bad authentication method": "méthode d'authentification erronée",
    "mqtt.Keep alive timeout": "délai de maintien de la connexion dépassé",
    "mqtt.Session taken over": "session reprise par un autre client",
    "mqtt.Receive maximum exceeded": "maximum de réception dépassé",
    "mqtt.Packet too large": "paquet trop gros",
    "mqtt.Message rate too high": "débit de messages trop élevé",
    "mqtt.Quota exceeded": "quota dépassé",
    "mqtt.Administrative action": "action d'administration",
    "mqtt.Use another server": "utilisez un autre serveur",
    "mqtt.Server moved": "serveur déplacé",
    "mqtt.Connection rate exceeded": "trop de connexions à la fois",
    "mqtt.Maximum connect time": "durée de connexion maximale atteinte",
    "os.errno": "[Errno {n}] {error}",
    "os.Connection reset by peer": "connexion réinitialisée par le correspondant",
    "os.Connection refused": "connexion refusée",
    "os.Connection timed out": "délai de connexion dépassé",
    "os.Broken pipe": "connexion rompue (tube brisé)",
    "os.Software caused connection abort": "connexion interrompue par le système",
    "os.No route to host": "aucune route vers l'hôte",
    "os.Network is unreachable": "réseau injoignable",
    # --- answers of the commands ------------------------------------------------------------------
    "created house": "Maison {h} créée.",
    "created houses": "Maisons {a}..{b} créées.",
    "created consumer": "Consommateur {i} ({type}) créé dans la maison {h}.",
    "created consumers": "Consommateurs {a}..{b} ({type}) créés dans la maison {h}.",
    "created supplier": "Fournisseur {i} ({type}) créé dans la maison {h}.",
    "created suppliers": "Fournisseurs {a}..{b} ({type}) créés dans la maison {h}.",
    "removed house": "Maison {h} retirée avec ses {devices}.",
    "removed consumer": "Consommateur {c} de la maison {h} retiré.",
    "removed supplier": "Fournisseur {s} de la maison {h} retiré.",
    "automatic layout": "disposition automatique",
    "placed at": "en x={x} m, y={y} m",
    "house placed": "Maison {h} : {name}, {where}.",
    "sent": "Envoyé {what} sur {topic}",
    "queued": "En attente : le broker n'est pas connecté ; {what} pour {topic} partira à son "
    "retour, s'il revient dans les {ttl} s",
    "queued why": "En attente : le broker n'est pas connecté ; {what} pour {topic} partira à son "
    "retour, s'il revient dans les {ttl} s ({detail})",
    "debug mode": "mode DEBUG {state}",
    "debug command": "[debug] {head} : commande {state}",
    "debug reading": "[debug] maison {h} : {readings}",
    "broker notice": "[broker] {text}",
    # --- errors: one line each --------------------------------------------------------------------
    "error": "erreur : {text}",
    "usage": "{text}. Usage : {usage}",
    "wrong arguments": "arguments incorrects. Usage : {usage}",
    "failed": "{name} a échoué : {error} (debug(True) montre la trace)",
    "error.language": "la langue doit être 'fr' ou 'en', pas {lang!r}",
    "error.lang": "lang doit être 'fr' ou 'en', pas {lang!r}",
    "error.arguments count": "{low} ou {high} arguments attendus, {n} reçus",
    "error.unexpected argument": "argument inattendu {name!r}",
    "error.given twice": "{name} est donné deux fois",
    "error.true or false": "{command} prend True ou False, pas {value}",
    "error.no command": "il n'y a pas de commande {what} ; help() les liste",
    "error.not a command": "{what} n'est pas une commande Energrid",
    "error.only one page": "il n'y a que {pages}",
    "error.only pages": "il n'y a que {pages}",
    "error.no demo": "aucune démonstration n'est disponible dans ce shell",
    # --- help() -----------------------------------------------------------------------------------
    "help head": "Commandes Energrid (maisons, consommateurs et fournisseurs sont numérotés à "
    "partir de 1) :",
    "help.debug": "afficher le trafic en direct et les traces, ou arrêter",
    "help.help": "cette liste ; help(commande) pour une commande",
    "help.exit": "quitter le shell et arrêter le serveur (Ctrl-D aussi)",
    "help.newHouse": "créer une maison / n maisons",
    "help.showHouses": "totaux du quartier et une ligne par maison (showHouses(page=2) ...)",
    "help.showHouse": "consommateurs et fournisseurs de la maison h avec leurs mesures",
    "help.rmHouse": "retirer la maison h",
    "help.setHouse": "nommer la maison h et la placer (en mètres) pour la vue 3D",
    "help.newConsumer": "ajouter 1 / n consommateurs à la maison h",
    "help.showConsumers": "consommateurs de la maison h / le consommateur c seul",
    "help.setConsumer": "passer le consommateur c de la maison h à OFF (0) ou ON (1)",
    "help.rmConsumer": "retirer le consommateur c de la maison h",
    "help.newSupplier": "ajouter 1 / n fournisseurs à la maison h",
    "help.showSuppliers": "fournisseurs de la maison h / le fournisseur s seul",
    "help.setSupplier": "passer la sortie du fournisseur s de la maison h à OFF (0) ou ON (1)",
    "help.rmSupplier": "retirer le fournisseur s de la maison h",
    "help.showStats": "messages reçus, appliqués et rejetés par raison",
    "help.startDemo": "quartier de démonstration avec des cartes simulées en direct",
    "help.stopDemo": "arrêter les cartes simulées de la démonstration (ses maisons restent)",
    # --- what an argument is, in the errors -------------------------------------------------------
    "the house": "la maison",
    "the consumer": "le consommateur",
    "the supplier": "le fournisseur",
    "the page": "la page",
    "the priority": "la priorité",
    "the number of devices": "le nombre d'appareils",
    "the number of houses": "le nombre de maisons",
    "the number of history lines": "le nombre de lignes d'historique",
    "a number that large": "un nombre aussi grand",
    "error.not whole": "{name} doit être un nombre entier, pas {value}",
    "error.too small": "{name} doit valoir {low} ou plus, pas {value}",
    "error.too large": "{name} doit valoir au plus {high}, pas {value}",
    "error.state": "l'état doit être 1 (ON) ou 0 (OFF), pas {value}",
    "error.type": "le type doit être un nom entre guillemets comme 'LED', pas {value}",
    "error.type length": "le type fait {n} caractères ; au plus {high}",
    "error.name": "le nom doit être un texte entre guillemets comme 'Mairie', pas {value}",
    "error.name length": "le nom fait {n} caractères ; au plus {high}",
    "error.metres": "{axis} doit être un nombre de mètres, pas {value}",
    "error.too far": "{axis} doit rester dans ±{high:.0f} m, pas {value}",
    "error.x and y": "donnez x et y ensemble (mètres à l'est et au sud du centre)",
    "error.name or place": "donnez un nom, ou x et y, ou les deux",
    # --- typing mistakes at the prompt ------------------------------------------------------------
    "mistake.name": "le nom '{name}' n'est pas défini",
    "mistake.did you mean": "{what} : vouliez-vous dire {call} ?",
    "mistake.parentheses and quotes": "{what} : une commande demande des parenthèses et un type "
    "des guillemets, par exemple newHouse(), 'LED'",
    "mistake.syntax": "Python ne peut pas lire cette ligne ; rien n'a été exécuté",
    "mistake.parentheses": "{what} : une commande prend des parenthèses, par exemple "
    "newHouse(2) ; help() les liste",
    "or": "ou",
    # --- managing the grid ------------------------------------------------------------------------
    "help.showEnergy": "kWh importés et exportés aujourd'hui et depuis la création",
    "help.showTypes": "par type d'appareil : nombre, ON, puissance, énergie du jour, part",
    "help.setLimit": "limite du quartier / de la maison h (None : aucune)",
    "help.showAlarms": "limites, alarmes actives et historique des alarmes et du délestage",
    "help.setShedding": "activer ou couper le délestage (coupé par défaut)",
    "help.setPriority": "priorité de délestage d'un consommateur : 1 (délesté d'abord)..9, ou "
    "'critical'",
    "help.showHistory": "courbe du tirage de la maison h / de la puissance du consommateur c, "
    "period='1h'|'24h'|'7d'",
    "help.live": "le quartier / la maison h redessiné chaque seconde jusqu'à Ctrl-C",
    "help.setLanguage": "la langue de tout ce qu'affiche le shell (startDemo() la règle aussi)",
    "language set": "Le shell parle français.",
    "no limit now": "Plus de limite pour le quartier.",
    "no house limit now": "Plus de limite pour la maison {h}.",
    "limit set": "Limite du quartier : {watts:.0f} W tirés du réseau.",
    "house limit set": "Limite de la maison {h} : {watts:.0f} W tirés du réseau.",
    "shedding": "Délestage {state}.",
    "shedding no limit": "Délestage {state} (aucune limite n'est encore posée : setLimit(watts)).",
    "critical never shed": "critique (jamais délesté)",
    "priority set": "Maison {h} consommateur {c} : priorité {priority}.",
    "error.history off": "l'historique est coupé (--no-keep-history)",
    "error.period": "period doit être '1h', '24h' ou '7d', pas {value}",
    "error.c or s": "donnez un consommateur c ou un fournisseur s, pas les deux",
    "error.refresh": "refresh_s doit être entre 0.1 et 3600 secondes, pas {value}",
    "error.limit": "la limite doit être en watts, au-dessus de 0 (au plus {high:.0f}), ou None, "
    "pas {value}",
    "error.priority": "la priorité doit être 1..9 ou 'critical', pas {value}",
    "error.no houses": "il n'y a pas encore de maison : newHouse() en crée une",
    # --- showHistory()'s plot ---------------------------------------------------------------------
    "plot.house": "Maison {h} : tirage net (au-dessus de 0 importé, en dessous exporté)",
    "plot.consumer": "Maison {h} consommateur {c} ({type}) : puissance",
    "plot.supplier": "Maison {h} fournisseur {s} ({type}) : production",
    "plot.head": "{title}, sur {period}{since} ({how}, {step} par colonne)",
    "plot.began": " (ses mesures commencent {clock})",
    "plot.raw": "chaque mesure",
    "plot.minute": "moyennes par minute",
    "plot.quarter": "moyennes par quart d'heure",
    "plot.no readings": "  (aucune mesure sur cette période)",
    "plot.too little": "{title} : trop peu d'historique pour un tracé ({age} de mesures, il en "
    "faut {need}) ; réessayez plus tard",
    "plot.weekdays": "lun mar mer jeu ven sam dim",
    # --- plugs ------------------------------------------------------------------------------------
    "help.bindDevice tasmota": "alimenter le consommateur c de la maison h par une prise Tasmota",
    "help.bindDevice shelly": "... par une Shelly (Gen1 : 'shellies/<id>')",
    "help.unbindDevice": "ne plus alimenter le consommateur c par sa prise",
    "help.showBindings": "chaque consommateur lié, sa prise, son relais, ses watts, et s'il est "
    "en ligne",
    "plug note": " (elle va à {plug} sur {topic})",
    "bound": "Maison {h} consommateur {c} alimenté par {plug} (à l'écoute de {topics}).",
    "unbound": "Maison {h} consommateur {c} n'est plus alimenté par {plug}.",
    "no bindings": "Aucun consommateur n'est lié à une prise : bindDevice(h, c, 'tasmota', "
    "topic) en lie un.",
    "bound consumers": "Consommateurs liés",
    "binding line": "  maison {h} consommateur {c} : {plug}  relais {relay}  {watts}  {online}",
    "not heard": "jamais entendu",
    # --- startDemo() and stopDemo() ---------------------------------------------------------------
    "demo.start": "Démonstration Energrid : construction d'un quartier de 2 maisons.",
    "demo.existing": "Le quartier a déjà {n} : la démonstration ajoute les maisons {a} et {b}.",
    "demo.house": "Création de la maison {h}.",
    "demo.consumer": "  Maison {h} : ajout du consommateur {i} ({t}).",
    "demo.supplier": "  Maison {h} : ajout du fournisseur {i} ({t}).",
    "demo.boards": "Cartes simulées lancées : une mesure toutes les {p:g} s, une journée simulée "
    "en "
    "{day} (maison {a} : format historique, maison {b} : format par appareil).",
    "demo.waiting": "Le broker ne répond pas encore : les cartes se connecteront dès qu'il "
    "répondra.",
    "demo.refused": "Le broker refuse les cartes simulées ({reason}) : vérifiez leurs comptes "
    "(docs/security.md).",
    "demo.done": "Quartier prêt. Tapez showHouses() pour voir l'état du réseau, puis "
    "setConsumer({a}, 1, 0) pour éteindre le radiateur de la maison {a}. live() suit la "
    "journée (midi : les maisons exportent ; vers 18 h 30 : la pointe du soir) ; "
    "setLimit(4500) et setShedding(True) délestent le four.",
    "demo.late": "Quartier construit, mais la maison {h} n'a encore rien publié : showHouses() "
    "montre quand sa carte est en ligne.",
    "demo.resumed": "Reprise de la démonstration : les maisons {a} et {b} publient à nouveau.",
    "demo.found": "Le quartier de démonstration d'une session précédente est là (maisons {a} et "
    "{b}) : ses cartes simulées reprennent. showHouses() montre l'état du réseau.",
    "demo.interrupted": "Démonstration interrompue : ses maisons ont été retirées, rien n'a "
    "changé.",
    "demo.busy": "La démonstration est déjà lancée : showHouses() montre son quartier, "
    "stopDemo() l'arrête.",
    "demo.stopped": "Démonstration arrêtée : les cartes simulées ne publient plus "
    "(les maisons restent ; startDemo() les relance).",
    "demo.not_running": "Aucune démonstration en cours : startDemo() la lance.",
    "demo.no accounts": "startDemo() : le serveur se connecte avec un compte du broker "
    "(--mqtt-username), donc chaque carte de la démonstration a besoin du sien : {missing}, puis "
    "startDemo() à nouveau",
    "accounts.one missing": "la maison {house} n'a pas de fichier de mot de passe dans "
    "{directory} : lancez {run}",
    "accounts.missing": "les maisons {houses} n'ont pas de fichier de mot de passe dans "
    "{directory} : lancez {run}",
    "accounts.for each": "{run} pour chacune",
    "accounts.and more": "{shown} et {n} autres",
    "accounts.and": "{shown} et {last}",
    "demo.clock": "heure simulée {t} (jour {d})",
    # --- the broker child Energrid runs ----------------------------------------------------------
    "broker.what": "le broker lancé par Energrid (pid {pid}) {ended}",
    "broker.exited": "s'est arrêté",
    "broker.killed": "a été tué par {signal}",
    "broker.exit status": "s'est arrêté avec le code {status}",
    "broker.where": "son journal est {path}",
    "broker.count": "{n} sur {most} en {window_s:g} s",
    "broker.restart.1": "1 redémarrage",
    "broker.restart.n": "{n} redémarrages",
    "broker.not restarted": "{what} de nouveau : pas de redémarrage ({restarts} en "
    "{window_s:g} s) ; {where}",
    "broker.restart failed": "{what} ; le redémarrage a échoué ({count}) : {error} {where}",
    "broker.restarted": "{what} ; redémarré (pid {pid}, {count}) ; {where}",
    "broker.stopped at start-up": "Mosquitto s'est arrêté au démarrage (code {status}) : "
    "{reason}{hint}",
    "broker.choose ws port": " Choisissez un autre port websockets avec --ws-port ou "
    "ENERGRID_WS_PORT.",
    "broker.choose mqtt port": " Choisissez un autre port MQTT avec --mqtt-port ou "
    "ENERGRID_MQTT_PORT.",
    "broker.ports not open": "Mosquitto n'a pas ouvert les ports {ports} de {host} en "
    "{timeout_s:g} s ; voir {log}.",
    "broker.ws port taken": "Le port websockets {port} est pris par un autre programme : "
    "choisissez-en un libre avec --ws-port ou ENERGRID_WS_PORT.",
    "broker.port taken": "Impossible de lancer Mosquitto : le port {port} est pris par un autre "
    "programme ; changez {setting}.",
    "broker.mqtt port setting": "--mqtt-port ou ENERGRID_MQTT_PORT",
    "broker.ws port setting": "--ws-port ou ENERGRID_WS_PORT",
    "broker.config line": "la ligne `{line}` de {source} (--broker-config)",
    "broker.ws port moved": "Le port websockets {port} est pris : le listener websockets du "
    "broker est sur {chosen} (--ws-port ou ENERGRID_WS_PORT le choisit)",
    "broker.started": "Mosquitto lancé (pid {pid}) sur {at}, journal dans {log}",
    "broker.ignored SIGTERM": "Mosquitto (pid {pid}) a ignoré SIGTERM ; arrêt forcé",
    "broker.server stopped": "Serveur Energrid arrêté ; le broker à {address} n'a pas été "
    "lancé par Energrid et continue",
    "broker.both stopped": "Serveur Energrid arrêté, ainsi que le Mosquitto lancé par Energrid "
    "sur le port {port} (pid {pid})",
    "broker.stopped": "Mosquitto lancé par Energrid sur le port {port} arrêté (pid {pid})",
    "log.warning": "avertissement",
    "log.error": "erreur",
    "log.critical": "critique",
    # --- help(command): each command's description (the English is its docstring) -------------
    "doc.debug": "Afficher chaque message appliqué, chaque rejet et les traces ; debug(False) "
    "arrête.",
    "doc.help": "Lister les commandes ; help(showHouse) ou help('showHouse') en explique une.",
    "doc.newHouse": "Créer n maisons (1 par défaut), numérotées après la dernière.",
    "doc.showHouses": "Totaux du quartier et une ligne par maison.",
    "doc.showHouse": "Chaque consommateur et fournisseur de la maison h avec sa dernière mesure.",
    "doc.setHouse": "Nommer la maison h et la placer pour la vue 3D, en mètres à l'est (x) et "
    "au sud (y) du centre ; enregistré avec le réseau. Sans x ni y, elle reste dans la "
    "disposition automatique.",
    "doc.rmHouse": "Retirer la maison h avec tous ses appareils.",
    "doc.newConsumer": "Ajouter des consommateurs d'un type ('LED', 'Lampe', 'Frigo'...) à la "
    "maison h.",
    "doc.showConsumers": "Les consommateurs de la maison h, ou le seul consommateur c.",
    "doc.setConsumer": "Passer le consommateur c de la maison h à ON (1) ou OFF (0) en publiant "
    ".../Consumer/<c>/set.",
    "doc.rmConsumer": "Retirer le consommateur c de la maison h.",
    "doc.newSupplier": "Ajouter des fournisseurs d'un type ('Panneau solaire', 'Éolienne'...) à "
    "la maison h.",
    "doc.showSuppliers": "Les fournisseurs de la maison h, ou le seul fournisseur s.",
    "doc.setSupplier": "Commuter la sortie du fournisseur s en publiant "
    ".../Supplier/<s>/booleanLoad.",
    "doc.rmSupplier": "Retirer le fournisseur s de la maison h.",
    "doc.showStats": "Messages reçus, mesures appliquées, rejets par raison et les derniers "
    "rejetés.",
    "doc.startDemo": "Construire le quartier de démonstration, raconté en français "
    "(lang='en' : en anglais), et lancer des cartes simulées qui publient ses mesures.",
    "doc.stopDemo": "stopDemo() : les cartes cessent de publier ; les maisons restent.",
    "doc.showHistory": "Une courbe du tirage net de la maison h (au-dessus de zéro elle importe, "
    "en dessous elle exporte), de la puissance de son consommateur c ou de la production de son "
    "fournisseur s, sur la dernière heure, le dernier jour ou la dernière semaine.",
    "doc.live": "Les totaux du quartier, l'énergie du jour, les alarmes et les maisons (ou la "
    "maison h et ses appareils) redessinés sur place chaque seconde jusqu'à Ctrl-C.",
    "doc.setLanguage": "La langue de tout ce qu'affiche le shell (tableaux, réponses, alarmes, "
    "erreurs, help()) pour cette session ; startDemo(lang=...) la règle sur celle de la "
    "démonstration. Les unités, ON/OFF, les noms de commandes et les types d'appareils restent "
    "tels quels.",
    "doc.setLimit": "Le maximum de watts que le quartier (son transformateur) ou la maison h "
    "(son abonnement) devrait tirer du réseau, net de sa propre production ; None retire la "
    "limite. La dépasser pendant la durée minimale des alarmes lève une alarme (et, avec "
    "setShedding(True), déleste).",
    "doc.setShedding": "Délestage : au-dessus d'une limite, éteindre les consommateurs de plus "
    "faible priorité, et les rallumer une fois resté dessous assez longtemps. Coupé tant qu'il "
    "n'est pas activé.",
    "doc.setPriority": "Priorité de délestage du consommateur c de la maison h : 1 est délesté "
    "d'abord, 9 en dernier (5 sans réglage) ; 'critical' n'est jamais délesté.",
    "doc.showAlarms": "Limites et délestage, les alarmes actives, puis l'historique récent "
    "(levées, fins, délestages, remises), du plus ancien au plus récent.",
    "doc.showEnergy": "Énergie importée et exportée par le quartier et chaque maison (ou par la "
    "maison h et chacun de ses appareils), aujourd'hui depuis minuit et depuis la création ; le "
    "temps non mesuré est un silence entre mesures plus long que --energy-gap-s, non intégré.",
    "doc.showTypes": "Par type d'appareil (casse et noms français/anglais confondus : Lampe = "
    "Lamp) : combien, combien ON, puissance, énergie du jour et part de chacun.",
    "doc.bindDevice": "Le consommateur c de la maison h prend ses mesures de la prise, et "
    "setConsumer la commute.",
    "doc.unbindDevice": "Le consommateur c de la maison h n'écoute plus sa prise (le "
    "consommateur reste).",
    "doc.showBindings": "Chaque consommateur alimenté par une prise : la prise, son relais, ses "
    "watts, son propre indicateur en ligne.",
}
