"""Broker accounts for the secure profile: their names, what each may do, where the files live.

Three kinds of account, told apart by their username:

- `energrid-server`: the supervision server; everything under Neighborhood/# and energrid/#.
- `house-<h>`: the board of house h; publishes that house's readings, reads its commands.
- `client-<name>`: a VR or dashboard client; reads everything, publishes commands.

The ACL file is generated from the list of accounts; every topic in it is built from numbers,
never from a name an operator typed.
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
KINDS = ("server", "house", "client")


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
    raise BadArgumentError(f"the kind of account is server, house or client, not {kind!r}")


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
    return Account("unknown", username, username)


def rules(acc: Account, neighborhood: int) -> list[tuple[str, str]]:
    """(access, topic) pairs of one account, in Mosquitto's ACL terms."""
    n = neighborhood
    if acc.kind == "server":
        return [("readwrite", "Neighborhood/#"), ("readwrite", "energrid/#")]
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
        ]
    return []


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
