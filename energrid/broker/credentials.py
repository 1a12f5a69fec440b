"""`energrid credentials add|remove|list`: broker accounts for the secure profile.

Writes <state_dir>/credentials/passwd with Debian's mosquitto_passwd (the password goes through
its standard input, never a command line), regenerates the ACL file next to it, keeps the
server's own password in energrid-server.password, and asks the broker Energrid runs to reload.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from energrid.broker.process import managed_broker_pid
from energrid.broker.start import broker_reachable
from energrid.shell import output as out
from energrid.shell.invocation import shown_path
from energrid_core import auth, config
from energrid_core.auth import Account
from energrid_core.config import Settings
from energrid_core.errors import BadArgumentError, EnergridError

_ACL_NEIGHBORHOOD = re.compile(r"^# Neighborhood (\d+)\.", re.MULTILINE)
_BOUND = ("house", "client")  # accounts whose permissions name a neighborhood
ACTIONS = ("add", "remove", "list")
PASSWORD_MODE = 0o600
ACL_MODE = 0o640
DIRECTORY_MODE = 0o700
NOT_INSTALLED = (
    "mosquitto_passwd is not installed: run `sudo apt install mosquitto` (or ./energrid.sh)"
)


class Credentials:
    """The accounts of one state directory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.directory = auth.credentials_dir(settings.state_dir)
        self.password_file = self.directory / auth.PASSWORD_FILE
        self.acl_file = self.directory / auth.ACL_FILE

    def accounts(self) -> list[Account]:
        try:
            text = self.password_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        names = [line.split(":", 1)[0] for line in text.splitlines() if ":" in line]
        return sorted((auth.parse_username(name) for name in names), key=lambda a: a.order)

    def acl_neighborhood(self) -> int | None:
        """The neighborhood the ACL was written for (its header), None when there is none."""
        try:
            text = self.acl_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        found = _ACL_NEIGHBORHOOD.search(text)
        return int(found.group(1)) if found else None

    def check_neighborhood(self, acc: Account) -> None:
        """Refuse a change that would rewrite the ACL for another neighborhood than the one its
        house and client accounts were made for: they would silently lose their permissions.
        (A house number names one board per broker: house-4 cannot be in two neighborhoods.)"""
        written, wanted = self.acl_neighborhood(), self.settings.neighborhood
        bound = [a for a in self.accounts() if a.kind in _BOUND and a.username != acc.username]
        if written is not None and written != wanted and bound:
            raise BadArgumentError(
                f"the accounts in {self.directory} are for neighborhood {written}, not {wanted}: "
                f"give --neighborhood {written}, or another --state-dir (and broker) for "
                f"neighborhood {wanted}"
            )

    def add(self, acc: Account, keep: bool = False) -> str:
        """Create the account, or give it a new password; returns the password.

        The server's password is always kept in a private file (Energrid reads it); another
        account's only with keep (simulated boards, `energrid watch` on this machine). A new
        password not kept removes an old kept one, which would no longer work.
        """
        self.check_neighborhood(acc)
        self._prepare()
        password = secrets.token_urlsafe(18)
        _mosquitto_passwd([str(self.password_file), acc.username], f"{password}\n{password}\n")
        os.chmod(self.password_file, PASSWORD_MODE)
        kept = auth.password_file_of(self.settings.state_dir, acc.username)
        if keep or acc.kind == "server":
            _write_private(kept, password)
        else:
            kept.unlink(missing_ok=True)
        self.write_acl()
        return password

    def remove(self, acc: Account) -> None:
        if acc.username not in {a.username for a in self.accounts()}:
            raise BadArgumentError(f"there is no account {acc.username}")
        self.check_neighborhood(acc)
        _mosquitto_passwd(["-D", str(self.password_file), acc.username])
        auth.password_file_of(self.settings.state_dir, acc.username).unlink(missing_ok=True)
        self.write_acl()

    def write_acl(self) -> None:
        text = auth.acl_text(self.accounts(), self.settings.neighborhood)
        _write_atomically(self.acl_file, text, ACL_MODE)

    def reload_broker(self) -> int | None:
        """SIGHUP the broker Energrid runs for this state directory; its pid, or None."""
        pid = managed_broker_pid(self.settings.state_dir)
        if pid is not None:
            os.kill(pid, signal.SIGHUP)
        return pid

    def _prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, DIRECTORY_MODE)
        if not self.password_file.exists():
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PASSWORD_MODE)
            os.close(fd)


def _mosquitto_passwd(arguments: list[str], stdin: str = "") -> None:
    program = shutil.which("mosquitto_passwd")
    if program is None:
        raise EnergridError(NOT_INSTALLED)
    result = subprocess.run(
        [program, *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        umask=0o077,
        check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no message"]
        raise EnergridError(f"mosquitto_passwd failed: {lines[-1]}")


def _write_atomically(path: Path, text: str, mode: int) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_private(path: Path, password: str) -> None:
    _write_atomically(path, password + "\n", PASSWORD_MODE)


# --- the subcommand -----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # No argparse choices: a mistake gets run()'s one line, not a usage block.
    parser.add_argument("action", metavar="{add,remove,list}")
    parser.add_argument("kind", nargs="?", metavar="{server,house,client,tasmota,shelly}")
    parser.add_argument(
        "name", nargs="?", help="the house number, the client's name, or the plug's MQTT name"
    )
    parser.add_argument(
        "--keep-password",
        action="store_true",
        help="add house|client: also keep the password in <state_dir>/credentials/"
        "<username>.password (mode 0600), where `energrid sim --secure`, startDemo() and "
        "`energrid watch --mqtt-username` on this machine read it",
    )
    config.add_arguments(parser, in_subcommand=True)  # --state-dir, --neighborhood after it too


def run(args: argparse.Namespace) -> int:
    credentials = Credentials(args.settings)
    acc = _parse(args)
    if acc is None:
        _print_accounts(credentials)
        return 0
    if args.action == "remove":
        credentials.remove(acc)
        out.say(f"Removed the account {acc.username} ({acc.describe()}).")
    else:
        _add(credentials, acc, args.keep_password)
    out.say(_reload(credentials))
    return 0


def _parse(args: argparse.Namespace) -> Account | None:
    """The account an add or remove is about (None for list); one line for any mistake."""
    action, kind, name = args.action, args.kind, args.name
    if action not in ACTIONS:
        raise BadArgumentError(f"the action is add, remove or list, not {action!r}")
    if action == "list":
        extra = [word for word in (kind, name) if word is not None]
        if extra:
            raise BadArgumentError(f"`credentials list` takes nothing more, not {extra[0]!r}")
        return None
    usage = (
        f"`energrid credentials {action} server`, or house N, or client NAME, "
        "or tasmota|shelly NAME"
    )
    if kind is None:
        raise BadArgumentError(f"say which account: {usage}")
    if kind in ("house", "client", "tasmota", "shelly") and name is None:
        what = "N" if kind == "house" else "NAME"
        raise BadArgumentError(f"say which {kind}: `energrid credentials {action} {kind} {what}`")
    return auth.account(kind, name)


def _reload(credentials: Credentials) -> str:
    """Ask the broker Energrid runs to reload; what happened, without promising anything else."""
    pid = credentials.reload_broker()
    if pid is not None:
        return f"The broker Energrid runs (pid {pid}) reloaded its accounts."
    settings = credentials.settings
    where = f"{settings.mqtt_host}:{settings.mqtt_port}"
    if broker_reachable(settings.mqtt_host, settings.mqtt_port):
        return (
            f"The broker at {where} was not started by Energrid for this state directory: if it "
            "uses these files, reload it (sudo systemctl reload mosquitto; docs/security.md)."
        )
    return f"No broker answers at {where} now: a broker started later reads these accounts."


def _add(credentials: Credentials, acc: Account, keep: bool = False) -> None:
    existed = acc.username in {a.username for a in credentials.accounts()}
    password = credentials.add(acc, keep)
    verb = "New password for" if existed else "Created"
    out.say(f"{verb} the account {acc.username}: {acc.describe()}.")
    if acc.kind == "server":
        where = auth.password_file_of(credentials.settings.state_dir, acc.username)
        out.say(f"  its password is in {where} (mode 0600), where Energrid reads it;")
        out.say(f"  start Energrid with {_secure_start(credentials.settings, acc.username)}.")
    else:
        out.say(f"  username: {acc.username}")
        out.say(f"  password: {password}")
        if keep:
            where = auth.password_file_of(credentials.settings.state_dir, acc.username)
            out.say(f"  also kept in {where} (mode 0600) for the tools on this machine")
        else:
            out.say("  (shown this once: put it in the board or client now)")
    for access, topic in auth.rules(acc, credentials.settings.neighborhood):
        out.say(f"  may {access:<9} {topic}")
    if acc.kind != "server" and auth.SERVER_USERNAME not in {
        a.username for a in credentials.accounts()
    }:
        out.say("The server has no account yet: run `energrid credentials add server` too.")


def _secure_start(settings: Settings, username: str) -> str:
    """The command that starts Energrid with the secure profile and this account."""
    if "broker_config" in settings.explicit:  # given already: the hint carries it
        return f"`energrid --mqtt-username {username}`"
    secure = shown_path(Path(Settings().broker_config).with_name("mosquitto-secure.conf"))
    return f"`energrid --broker-config {secure} --mqtt-username {username}`"


def _print_accounts(credentials: Credentials) -> None:
    accounts = credentials.accounts()
    if not accounts:
        out.say(f"No accounts yet ({credentials.password_file} does not exist or is empty).")
        return
    rows = [[a.username, a.kind, a.describe()] for a in accounts]
    written = credentials.acl_neighborhood()
    scope = "" if written is None else f" (their ACL is for neighborhood {written})"
    out.say(f"Accounts in {credentials.password_file}{scope}:")
    out.say(out.table(("username", "kind", "for"), rows))


SUBCOMMAND = ("manage broker accounts for the secure profile", add_arguments, run)
