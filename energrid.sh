#!/usr/bin/env bash
# Energrid's one entry script.
#
#   ./energrid.sh [ARGS...]       set up, then open the operator shell (ARGS go to `energrid`,
#                                 e.g. --headless, or `sim ...`)
#   ./energrid.sh test [ARGS...]  set up, then `ruff check .` and the whole pytest suite
#                                 (ARGS go to pytest); fails when either fails
#
# Set-up is idempotent and takes well under a second once done:
#   - Mosquitto and its command-line clients from Debian's packages, if missing;
#   - python3-venv, if `python3 -m venv` cannot work (Debian and Ubuntu ship it apart);
#   - a virtualenv in .venv with requirements.txt and Energrid itself (editable), reinstalled
#     only when requirements.txt or pyproject.toml change (their sha256 is kept in .venv);
#   - the web view's libraries (three.js, MQTT.js) in web/node_modules with `npm ci` from
#     web/package-lock.json (Node.js and npm from Debian's packages, if missing); `test` also
#     installs Debian's chromium and chromium-driver for the view's browser tests.
set -euo pipefail

# Hints print commands relative to where the operator is (energrid/shell/invocation.py).
export ENERGRID_CALLER_DIR="${ENERGRID_CALLER_DIR:-$PWD}"
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

VENV=.venv
STAMP="$VENV/.energrid-deps.sha256"

say() { printf 'energrid.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (sudo is not installed)"
    fi
}

apt_updated=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install $* with your system's package manager, then run again"
    # One apt at a time on a machine where several set-ups may run at once.
    local lock=()
    if command -v flock >/dev/null 2>&1; then lock=(flock /tmp/apt.lock); fi
    if [ "$apt_updated" -eq 0 ]; then
        say "updating the package lists (apt-get update)"
        as_root "${lock[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    say "installing $* (apt-get install)"
    as_root "${lock[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_mosquitto() {
    # Debian installs the broker in /usr/sbin, which is not on every user's PATH.
    { command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } &&
        command -v mosquitto_pub >/dev/null 2>&1
}

ensure_mosquitto() {
    have_mosquitto && return 0
    apt_install mosquitto mosquitto-clients
    have_mosquitto || die "mosquitto is still missing after apt-get install"
    # Energrid starts its own broker when none answers, so the system service is not
    # needed; it is left as the package set it up and never started from here.
    say "mosquitto installed"
}

ensure_python() {
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
        die "Energrid needs Python 3.10 or newer; python3 is $(python3 -V 2>&1)"
    # Debian and Ubuntu strip ensurepip out of python3 and ship it as python3-venv.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        apt_install python3-venv
    fi
}

ensure_venv() {
    if [ -d "$VENV" ] && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        say "removing a broken $VENV (its python or pip no longer runs)"
        rm -rf "$VENV"
    fi
    if [ ! -d "$VENV" ]; then
        say "creating the virtualenv in $VENV"
        python3 -m venv "$VENV"
    fi
    local want
    want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return 0
    fi
    say "installing Python packages into $VENV (requirements.txt, then Energrid itself)"
    rm -f "$STAMP"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
    printf '%s\n' "$want" >"$STAMP"
}

# Home Assistant Core, for the test that checks the discovery configs with its own schemas. Its
# 2024.3 releases are the last for Python 3.11 (2024.4 needs 3.12); it pins its own dependencies,
# so it lives in a virtualenv of its own. Only with ENERGRID_TEST_HA=1 (about 300 MB).
HA_VENV=.venv-ha
HA_VERSION=2024.3.3
ensure_ha_venv() {
    [ -x "$HA_VENV/bin/python" ] && "$HA_VENV/bin/python" -c 'import homeassistant' 2>/dev/null &&
        return 0
    say "installing homeassistant==$HA_VERSION into $HA_VENV (ENERGRID_TEST_HA=1)"
    python3 -m venv "$HA_VENV"
    "$HA_VENV/bin/python" -m pip install -q --disable-pip-version-check "homeassistant==$HA_VERSION"
}

ensure_web() {
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    local want stamp=web/node_modules/.energrid-lock.sha256
    want="$(sha256sum web/package-lock.json | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    say "installing the web view's libraries (npm ci in web/, versions from package-lock.json)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    printf '%s\n' "$want" >"$stamp"
}

ensure_chromium() {
    # The web view's tests drive Debian's own browser; none is downloaded.
    { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } ||
        apt_install chromium chromium-driver
}

setup() {
    ensure_mosquitto
    ensure_python
    ensure_venv
    ensure_web
}

if [ "${1:-}" = "test" ]; then
    shift
    setup
    # The secure profile's TLS test makes its own certificate authority with openssl.
    command -v openssl >/dev/null 2>&1 || apt_install openssl
    [ "${ENERGRID_TEST_HA:-}" != 1 ] || ensure_ha_venv
    ensure_chromium
    # The InfluxDB export's test writes to a real InfluxDB (Debian's 1.6 package).
    command -v influxd >/dev/null 2>&1 || apt_install influxdb
    say "ruff check ."
    lint=0
    "$VENV/bin/ruff" check . || lint=$?
    [ "$lint" -eq 0 ] || say "ruff found problems (see above); running the tests anyway"
    say "pytest"
    status=0
    "$VENV/bin/python" -m pytest -q "$@" || status=$?
    if [ "$status" -eq 0 ] && [ "$lint" -ne 0 ]; then
        say "the tests passed but ruff did not: failing the run"
        exit 1
    fi
    exit "$status"
fi

setup
exec "$VENV/bin/energrid" "$@"
