"""Broker accounts for the secure profile: their names, what each may do, where the files live.

Three kinds of account, told apart by their username:

- `energrid-server`: the supervision server; everything under Neighborhood/# and energrid/#.
- `house-<h>`: the board of house h; publishes that house's readings, reads its commands.
- `client-<name>`: a VR or dashboard client; reads everything, publishes commands.
- `tasmota-<topic>`, `shelly-<id>`, `shelly1-<id>`: a plug bound with bindDevice (a Tasmota, a
  Gen2 Shelly, a Gen1 Shelly `shellies/<id>`); publishes its own reports, reads its own commands.

The ACL file is generated from the list of accounts; every topic in it is built from numbers,
never from a name an operator typed, except a plug's name, which is checked to be letters, digits,
'-' and '_' only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from energrid_core.errors import BadArgumentError, BrokerUnavailableError
from energrid_core.topics import MAX_ID, house_topic, parse_id

SERVER_USERNAME = "energrid-server"
CREDENTIALS_DIR = "credentials"
PASSWORD_FILE = "passwd"
ACL_FILE = "acl"
CLIENT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
PLUG_NAME = re.compile(r"[A-Za-z0-9_-]{1,48}")
KINDS = ("server", "house", "client", "tasmota", "shelly")
# A plug account's username prefix -> (kind, the device's MQTT name from the account's name).
_PLUG_PREFIXES = {"tasmota-": "tasmota", "shelly-": "shelly", "shelly1-": "shelly"}


@dataclass(frozen=True)
class Account:
    kind: str  # "server", "house", "client", or "unknown" for a name Energrid did not make
    name: str  # the house number, the client's name, or the username
    username: str

    @property
    def order(self) -> tuple[int, int, str]:
        """Server first, then houses by number, clients, and names Energrid did not make."""
        rank = KINDS.index(self.kind) if self.kind in KINDS else len(KINDS)
        number = int(self.name) if self.kind == "house" else 0
        return (rank, number, self.name)

    def describe(self) -> str:
        if self.kind == "server":
            return "the Energrid server"
        if self.kind == "house":
            return f"the board of house {self.name}"
        if self.kind == "client":
            return f"client {self.name} (VR, dashboard)"
        if self.kind in ("tasmota", "shelly"):
            return f"the {self.kind} plug {self.name} (bindDevice)"
        return "not made by Energrid: no access"


def account(kind: str, name: str | None = None) -> Account:
    """The account for `credentials add|remove KIND [NAME]`; BadArgumentError when malformed."""
    if kind == "server":
        if name not in (None, "", SERVER_USERNAME):
            raise BadArgumentError("the server account takes no name")
        return Account("server", SERVER_USERNAME, SERVER_USERNAME)
    if kind == "house":
        number = parse_id(name or "")
        if number is None or number == 0:
            raise BadArgumentError(f"a house is a number from 1 to {MAX_ID}, not {name!r}")
        return Account("house", str(number), f"house-{number}")
    if kind == "client":
        if name is None or not CLIENT_NAME.fullmatch(name):
            raise BadArgumentError(
                "a client name is 1 to 32 lower-case letters, digits, '-' or '_' "
                f"(such as vr1), not {name!r}"
            )
        return Account("client", name, f"client-{name}")
    if kind in ("tasmota", "shelly"):
        return _plug_account(kind, name)
    raise BadArgumentError(
        f"the kind of account is server, house, client, tasmota or shelly, not {kind!r}"
    )


def _plug_account(kind: str, name: str | None) -> Account:
    """A plug's account: tasmota <topic>, shelly <id>, or shelly shellies/<id> (Gen1)."""
    gen1 = kind == "shelly" and (name or "").startswith("shellies/")
    bare = (name or "")[len("shellies/") :] if gen1 else (name or "")
    if not PLUG_NAME.fullmatch(bare):
        raise BadArgumentError(
            f"a {kind} plug's name is 1 to 48 letters, digits, '-' or '_' (a Gen1 Shelly: "
            f"shellies/<id>), not {name!r}"
        )
    prefix = "shelly1-" if gen1 else f"{kind}-"
    return Account(kind, name or "", prefix + bare)


def parse_username(username: str) -> Account:
    """The account a username in the password file stands for."""
    if username == SERVER_USERNAME:
        return Account("server", username, username)
    if username.startswith("house-"):
        number = parse_id(username[len("house-") :])
        if number and str(number) == username[len("house-") :]:
            return Account("house", str(number), username)
    if username.startswith("client-") and CLIENT_NAME.fullmatch(username[len("client-") :]):
        return Account("client", username[len("client-") :], username)
    for prefix, kind in _PLUG_PREFIXES.items():
        bare = username[len(prefix) :]
        if username.startswith(prefix) and PLUG_NAME.fullmatch(bare):
            return Account(kind, "shellies/" + bare if prefix == "shelly1-" else bare, username)
    return Account("unknown", username, username)


def rules(acc: Account, neighborhood: int) -> list[tuple[str, str]]:
    """(access, topic) pairs of one account, in Mosquitto's ACL terms."""
    n = neighborhood
    if acc.kind == "server":
        return [
            ("readwrite", "Neighborhood/#"),
            ("readwrite", "energrid/#"),
            *_SERVER_PLUG_RULES,
            ("write", "homeassistant/#"),  # --ha-discovery's configs
        ]
    if acc.kind == "tasmota":
        t = acc.name
        writes = [f"tele/{t}/SENSOR", f"tele/{t}/LWT", f"stat/{t}/POWER"]
        return [("write", topic) for topic in writes] + [("read", f"cmnd/{t}/#")]
    if acc.kind == "shelly" and acc.name.startswith("shellies/"):
        d = acc.name
        writes = [f"{d}/relay/0/power", f"{d}/relay/0", f"{d}/online"]
        return [("write", topic) for topic in writes] + [("read", f"{d}/relay/0/command")]
    if acc.kind == "shelly":
        d = acc.name
        writes = [f"{d}/status/switch:0", f"{d}/online"]
        return [("write", topic) for topic in writes] + [("read", f"{d}/rpc")]
    if acc.kind == "house":
        base = house_topic(n, int(acc.name))
        return [
            ("write", f"{base}/Consumer"),
            ("write", f"{base}/Consumer/+"),
            ("write", f"{base}/Supplier"),
            ("write", f"{base}/Supplier/+"),
            ("read", f"{base}/Consumer/+/set"),
            ("read", f"{base}/Supplier/+/booleanLoad"),
        ]
    if acc.kind == "client":
        return [
            ("read", "Neighborhood/#"),
            ("read", "energrid/#"),
            ("write", f"Neighborhood/{n}/House/+/Consumer/+/set"),
            ("write", f"Neighborhood/{n}/House/+/Supplier/+/booleanLoad"),
            ("write", f"energrid/{n}/command/#"),  # Home Assistant's switches (--ha-discovery)
            ("read", "homeassistant/#"),  # its discovery configs, for a Home Assistant client
        ]
    return []


# What the server needs of bound plugs: read their reports, send their commands (docs/protocol.md).
_SERVER_PLUG_RULES = [
    ("read", "tele/+/SENSOR"),
    ("read", "tele/+/LWT"),
    ("read", "stat/+/POWER"),
    ("write", "cmnd/+/POWER"),
    ("read", "+/status/switch:0"),
    ("read", "+/online"),
    ("write", "+/rpc"),
    ("read", "shellies/+/relay/0/power"),
    ("read", "shellies/+/relay/0"),
    ("read", "shellies/+/online"),
    ("write", "shellies/+/relay/0/command"),
]


def acl_text(accounts: list[Account], neighborhood: int) -> str:
    """The whole ACL file: one block per account; anything not listed is denied."""
    lines = [
        "# Written by `energrid credentials`; it is rewritten at every change, do not edit.",
        f"# Neighborhood {neighborhood}. Anything not allowed below is denied.",
    ]
    for acc in sorted(accounts, key=lambda a: a.order):
        allowed = rules(acc, neighborhood)
        if not allowed:
            continue
        lines += ["", f"# {acc.describe()}", f"user {acc.username}"]
        lines += [f"topic {access} {topic}" for access, topic in allowed]
    return "\n".join(lines) + "\n"


def credentials_dir(state_dir: Path) -> Path:
    return Path(state_dir) / CREDENTIALS_DIR


def password_file_of(state_dir: Path, username: str) -> Path:
    """Where `energrid credentials add` keeps an account's password: always the server's, a
    house's or a client's with --keep-password (for simulated boards and `energrid watch`)."""
    return credentials_dir(state_dir) / f"{username}.password"


def read_password(username: str, password_file: str, state_dir: Path) -> str | None:
    """The password for username: from password_file, else from the credentials directory.

    None when there is no username. A missing file is reported before anything connects, in one
    line saying how to make it: a broker that wants accounts would only answer "Not authorized".
    """
    if not username:
        return None
    path = Path(password_file) if password_file else password_file_of(state_dir, username)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if password_file:
            raise BrokerUnavailableError(
                f"the password file {path} (--mqtt-password-file) does not exist"
            ) from None
        raise BrokerUnavailableError(
            f"no password for {username}: {path} does not exist; {how_to_get_password(username)}"
        ) from None
    except OSError as exc:
        raise BrokerUnavailableError(f"cannot read the password file {path}: {exc}") from None
    return text.strip("\r\n")


def how_to_get_password(username: str) -> str:
    """What makes the password file of an account, for a one-line error."""
    acc = parse_username(username)
    if acc.kind == "server":
        return "create it with `energrid credentials add server`"
    if acc.kind == "house":
        return f"create it with `energrid credentials add house {acc.name} --keep-password`"
    if acc.kind == "client":
        return (
            f"create it with `energrid credentials add client {acc.name} --keep-password`, "
            "or put the password in a file and give --mqtt-password-file FILE"
        )
    return "put the account's password in a file and give --mqtt-password-file FILE"
