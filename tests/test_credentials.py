"""`energrid credentials`: accounts, the generated ACL, one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mosquitto_fixture import MosquittoProcess, free_port

from energrid import cli
from energrid.broker import credentials as credentials_module
from energrid.shell.invocation import pasteable
from energrid_core import auth
from energrid_core.errors import BadArgumentError


def energrid(state_dir: Path, *args: str) -> int:
    return cli.main(["--state-dir", str(state_dir), "credentials", *args])


def test_add_a_house_prints_its_password_once_and_keeps_only_a_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert energrid(tmp_path, "add", "house", "3") == 0
    printed = capsys.readouterr().out
    password = re.search(r"password: (\S+)", printed).group(1)
    assert len(password) >= 20
    assert "username: house-3" in printed
    assert "may write     Neighborhood/0/House/3/Consumer/+" in printed
    assert pasteable("run `energrid credentials add server` too") in printed
    stored = (tmp_path / "credentials" / "passwd").read_text()
    assert stored.startswith("house-3:$7$") and password not in stored
    assert not list((tmp_path / "credentials").glob("house-3*"))


def test_the_server_password_goes_to_a_private_file_not_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert energrid(tmp_path, "add", "server") == 0
    printed = capsys.readouterr().out
    secret = auth.password_file_of(tmp_path, auth.SERVER_USERNAME)
    password = secret.read_text().strip()
    assert password not in printed and str(secret) in printed
    assert auth.read_password(auth.SERVER_USERNAME, "", tmp_path) == password


def test_the_acl_follows_the_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["add", "server"],
        ["add", "house", "12"],
        ["add", "house", "2"],
        ["add", "client", "vr1"],
    ):
        assert energrid(tmp_path, *args) == 0
    assert energrid(tmp_path, "remove", "house", "12") == 0
    acl = (tmp_path / "credentials" / "acl").read_text()
    users = re.findall(r"^user (\S+)$", acl, re.MULTILINE)
    assert users == ["energrid-server", "house-2", "client-vr1"]
    assert "topic write Neighborhood/0/House/2/Supplier/+" in acl
    assert "topic read Neighborhood/0/House/2/Consumer/+/set" in acl
    assert "House/12" not in acl
    capsys.readouterr()
    assert energrid(tmp_path, "list") == 0
    listed = capsys.readouterr().out
    assert listed.index("energrid-server") < listed.index("house-2") < listed.index("client-vr1")


def test_a_name_energrid_did_not_make_gets_no_access(tmp_path: Path) -> None:
    assert energrid(tmp_path, "add", "house", "1") == 0
    passwd = tmp_path / "credentials" / "passwd"
    passwd.write_text(passwd.read_text() + "intruder:$7$101$abc$def\nhouse-01:$7$101$abc$def\n")
    store = credentials_module.Credentials(cli.config.Settings(state_dir=tmp_path))
    store.write_acl()
    acl = (tmp_path / "credentials" / "acl").read_text()
    assert "intruder" not in acl and "house-01" not in acl
    kinds = {a.username: a.kind for a in store.accounts()}
    assert kinds == {"house-1": "house", "intruder": "unknown", "house-01": "unknown"}


def test_a_new_password_replaces_the_old_one(tmp_path: Path) -> None:
    settings = cli.config.Settings(state_dir=tmp_path)
    store = credentials_module.Credentials(settings)
    account = auth.account("client", "vr1")
    store.add(account)
    first = (tmp_path / "credentials" / "passwd").read_text()
    store.add(account)
    second = (tmp_path / "credentials" / "passwd").read_text()
    assert first != second and second.count("client-vr1:") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "house", "0"], "a house is a number from 1 to 999999, not '0'"),
        (["add", "house", "+"], "a house is a number"),
        (["add", "house"], "say which house: `energrid credentials add house N`"),
        (["remove", "client"], "say which client: `energrid credentials remove client NAME`"),
        (
            ["add", "bogus"],
            "the kind of account is server, house, client, tasmota or shelly, not 'bogus'",
        ),
        (["list", "extra"], "`credentials list` takes nothing more, not 'extra'"),
        (["frob"], "the action is add, remove or list, not 'frob'"),
        (["add", "client", "VR/1"], "a client name is 1 to 32 lower-case letters"),
        (["add", "client", "a+#"], "a client name"),
        (["add", "server", "x"], "the server account takes no name"),
        (["remove", "house", "4"], "there is no account house-4"),
        (["add"], "say which account"),
    ],
)
def test_bad_arguments_are_one_line_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert energrid(tmp_path, *args) == 2
    err = capsys.readouterr().err
    assert pasteable(message) in err and err.count("\n") == 1
    assert not (tmp_path / "credentials" / "acl").exists()


def test_usernames_never_carry_wildcards() -> None:
    """CVE-2017-7650: a username with + or # in a pattern ACL; none can be made here."""
    for kind, name in [("client", "+"), ("client", "#"), ("client", "a/b"), ("house", "1+")]:
        with pytest.raises(BadArgumentError):
            auth.account(kind, name)


def test_without_mosquitto_passwd_the_error_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert energrid(tmp_path, "add", "house", "1") == 2
    assert "apt install mosquitto" in capsys.readouterr().err


def test_accounts_keep_the_neighborhood_they_were_made_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A change for another neighborhood would rewrite every account's permissions for it."""
    assert energrid(tmp_path, "add", "server") == 0
    acl = tmp_path / "credentials" / "acl"
    passwd = tmp_path / "credentials" / "passwd"
    # Only the server's account, whose permissions name no neighborhood: any one will do.
    assert cli.main(["--neighborhood", "5", "--state-dir", str(tmp_path), "credentials", "add",
                     "house", "4"]) == 0  # fmt: skip
    assert "topic write Neighborhood/5/House/4/Consumer/+" in acl.read_text()
    capsys.readouterr()
    before = (acl.read_text(), passwd.read_text())
    for args in (["add", "house", "7"], ["add", "client", "vr1"], ["remove", "server"]):
        assert energrid(tmp_path, *args) == 2  # neighborhood 0 by default
        err = capsys.readouterr().err
        assert err == (
            f"energrid: the accounts in {tmp_path / 'credentials'} are for neighborhood 5, not 0: "
            "give --neighborhood 5, or another --state-dir (and broker) for neighborhood 0\n"
        )
        assert (acl.read_text(), passwd.read_text()) == before
    for args in (["add", "house", "7"], ["remove", "house", "4"], ["remove", "house", "7"]):
        assert energrid(tmp_path, *args, "--neighborhood", "5") == 0  # the flag after works too
    # No account bound to a neighborhood is left: neighborhood 0 may have its houses now.
    assert energrid(tmp_path, "add", "house", "1") == 0
    assert "Neighborhood 0." in acl.read_text() and "Neighborhood/5" not in acl.read_text()


def test_credentials_say_only_what_is_true_about_the_broker(
    tmp_path: Path, broker: MosquittoProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = str(free_port())
    argv = ["--state-dir", str(tmp_path), "--mqtt-port", nobody, "credentials", "add", "house"]
    assert cli.main([*argv, "1"]) == 0
    said = capsys.readouterr().out
    assert f"No broker answers at 127.0.0.1:{nobody} now" in said
    assert "reads the change" not in said and "reloaded" not in said
    argv[3] = str(broker.port)  # a broker answers, but Energrid did not start it
    assert cli.main([*argv, "2"]) == 0
    said = capsys.readouterr().out
    assert f"The broker at 127.0.0.1:{broker.port} was not started by Energrid" in said
