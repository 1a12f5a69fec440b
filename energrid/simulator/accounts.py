"""Broker accounts of simulated boards in the secure profile: each house connects as house-<h>.

The secure profile (docs/security.md) gives every board its own account, and makes the client id
the username: one account cannot carry two boards, nor a board use the server's account without
throwing the server off the broker. So simulated boards take, per house, the account
`energrid credentials add house <h> --keep-password` made, its password read from
<state_dir>/credentials/house-<h>.password.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from energrid.shell.words import w
from energrid_core import auth
from energrid_core.config import Settings
from energrid_core.errors import BadArgumentError, BrokerUnavailableError

Account = tuple[str, str]  # (username, password)
SHOWN = 5  # house numbers named in a message, at most
LOOPED = 20  # up to this many houses, the hint is one loop to paste; beyond, a form with N


def house_accounts(state_dir: Path, houses: Sequence[int]) -> tuple[dict[int, Account], list[int]]:
    """({house: (username, password)} for the houses with a kept password, [houses without])."""
    found: dict[int, Account] = {}
    missing: list[int] = []
    for house in houses:
        username = auth.account("house", str(house)).username
        path = auth.password_file_of(state_dir, username)
        try:
            found[house] = (username, path.read_text(encoding="utf-8").strip("\r\n"))
        except FileNotFoundError:
            missing.append(house)
        except OSError as exc:
            raise BrokerUnavailableError(f"cannot read {path}: {exc.strerror}") from None
    return found, missing


def missing_text(state_dir: Path, missing: Sequence[int]) -> str:
    """'houses 3 and 4 have no password file in DIR: run `...` for each'."""
    directory = auth.credentials_dir(state_dir)
    command = "energrid credentials add house {} --keep-password"
    if len(missing) == 1:
        run = f"`{command.format(missing[0])}`"
        return w("accounts.one missing", house=missing[0], directory=directory, run=run)
    if len(missing) <= LOOPED:
        numbers = " ".join(str(n) for n in missing)
        run = f"`for h in {numbers}; do {command.format('$h')}; done`"
    else:
        run = w("accounts.for each", run=f"`{command.format('N')}`")
    houses = numbers_text(missing)
    return w("accounts.missing", houses=houses, directory=directory, run=run)


def numbers_text(numbers: Sequence[int]) -> str:
    """'3', '3 and 4', '1, 2, 3, 4, 5 and 45 more'."""
    shown = [str(n) for n in numbers[:SHOWN]]
    if len(numbers) > SHOWN:
        return w("accounts.and more", shown=", ".join(shown), n=len(numbers) - SHOWN)
    if len(shown) == 1:
        return shown[0]
    return w("accounts.and", shown=", ".join(shown[:-1]), last=shown[-1])


def sim_accounts(
    settings: Settings, houses: Sequence[int], secure: bool, houses_per_client: int
) -> dict[int, Account] | None:
    """The accounts `energrid sim` connects with: None (anonymous), every house its own
    (--secure), or the one house's given by --mqtt-username. A bad combination or a missing
    password raises one line."""
    username = settings.mqtt_username
    if secure:
        if username:
            raise BadArgumentError(
                "--secure gives each house its own account house-<h>: "
                "drop --mqtt-username (or ENERGRID_MQTT_USERNAME)"
            )
        if houses_per_client > 1:
            raise BadArgumentError(
                "--secure needs --houses-per-client 1: each board has an account of its own"
            )
        found, missing = house_accounts(settings.state_dir, houses)
        if missing:
            raise BrokerUnavailableError(f"--secure: {missing_text(settings.state_dir, missing)}")
        return found
    if not username:
        return None
    account = auth.parse_username(username)
    if account.kind == "server":
        raise BadArgumentError(
            f"{username} is the server's account: a simulated board using it would throw the "
            "server off the broker; use --secure, each house then connects as house-<h>"
        )
    if account.kind != "house" or list(houses) != [int(account.name)]:
        raise BadArgumentError(
            f"--mqtt-username {username}: a board connects as its own house's account, "
            "house-<h>, with --houses 1 --first-house <h>; for several houses use --secure"
        )
    password = auth.read_password(username, settings.mqtt_password_file, settings.state_dir)
    return {int(account.name): (username, password or "")}
