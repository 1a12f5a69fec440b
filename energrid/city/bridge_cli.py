"""`energrid bridge`: print the Mosquitto bridge section of this neighborhood's broker.

    energrid bridge --city-host H [--city-port P] [--neighborhood N]
                    [--account NAME [--password-file F]] [--cafile F] [--bridge-id ID]

It prints and writes nothing else: the operator puts the text where the broker reads it
(docs/scale-out.md). With --account the password is read from --password-file, or from
<state dir>/credentials/<NAME>.password, and written into the section (Mosquitto takes a bridge's
password only inline): keep the resulting file readable by the broker alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from energrid.city.bridge_config import BridgeOptions, check_account, default_bridge_id, section
from energrid_core import config
from energrid_core.auth import password_file_of
from energrid_core.errors import BadArgumentError

HELP = "print the Mosquitto bridge section that joins this neighborhood's broker to a city broker"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Example: energrid bridge --neighborhood 2 --city-host city.example --city-port 8883 "
        "--account bridge-2 --cafile /etc/energrid/tls/city-ca.crt >> edge2.conf"
    )
    parser.add_argument("--city-host", required=True, metavar="HOST", help="the city broker")
    parser.add_argument(
        "--city-port",
        type=int,
        default=None,
        metavar="PORT",
        help="its port (1883; 8883 with --cafile)",
    )
    parser.add_argument(
        "--account", default="", metavar="NAME", help="the bridge's account on the city broker"
    )
    parser.add_argument(
        "--password-file",
        default="",
        metavar="FILE",
        help="that account's password (default <state dir>/credentials/NAME.password)",
    )
    parser.add_argument(
        "--cafile", default="", metavar="FILE", help="the city broker's CA certificate: TLS"
    )
    parser.add_argument(
        "--bridge-id",
        default="",
        metavar="ID",
        help="the bridge's client id on the city broker (energrid-bridge-<n>-<hostname>)",
    )
    config.add_arguments(parser, in_subcommand=True)


def run(args: argparse.Namespace) -> int:
    settings: config.Settings = args.settings
    if args.password_file and not args.account:
        raise BadArgumentError("--password-file needs --account")
    check_account(args.account)
    password = _password(args.account, args.password_file, settings.state_dir)
    cafile = ""
    if args.cafile:
        path = Path(args.cafile).expanduser().resolve()
        if not path.is_file():
            raise BadArgumentError(f"--cafile {args.cafile}: no such file")
        cafile = str(path)
    port = args.city_port if args.city_port is not None else (8883 if cafile else 1883)
    options = BridgeOptions(
        neighborhood=settings.neighborhood,
        city_host=args.city_host,
        city_port=port,
        bridge_id=args.bridge_id or default_bridge_id(settings.neighborhood),
        account=args.account,
        password=password,
        cafile=cafile,
    )
    sys.stdout.write(section(options))
    return 0


def _password(account: str, password_file: str, state_dir: Path) -> str:
    if not account:
        return ""
    path = Path(password_file) if password_file else password_file_of(state_dir, account)
    try:
        return path.read_text(encoding="utf-8").strip("\r\n")
    except FileNotFoundError:
        raise BadArgumentError(
            f"no password for {account}: {path} does not exist; write the password the city "
            "broker has for this account there, or give --password-file"
        ) from None
    except OSError as exc:
        raise BadArgumentError(f"cannot read the password file {path}: {exc}") from None
