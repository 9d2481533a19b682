#!/usr/bin/env bash
# The project's two entry points; each sets up everything it needs first.
#
#   ./dev.sh demo   create .venv, install the project, run the three-session showcase on the embedded default
#   ./dev.sh test   the same setup plus the test tools, then the whole test suite
#
# Extra arguments go to the command (e.g. ./dev.sh test -k daemon).
set -euo pipefail
cd "$(dirname "$0")"

VENV="${SIDECAR_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

setup_python() {
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || { echo "dev.sh: Python >= 3.10 is required (found $("$PYTHON" --version 2>&1))" >&2; exit 1; }
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    local stamp
    stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "dev.sh: installing the project into $VENV (first run takes a few minutes)" >&2
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[test,multilingual,postgres]"
        touch "$stamp"
    fi
}

# Debian tools some tests drive: strace (network trace), systemd (systemd-analyze verify),
# chromium (headless page test). Installed when we may; otherwise those tests skip and say why.
setup_system_tools() {
    local missing=()
    command -v strace >/dev/null || missing+=(strace)
    command -v systemd-analyze >/dev/null || missing+=(systemd)
    command -v setpriv >/dev/null || missing+=(util-linux)
    command -v chromium >/dev/null || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "dev.sh: apt-get install ${missing[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "dev.sh: not installing ${missing[*]} (needs root and apt-get); tests that need them will skip" >&2
    fi
}

case "${1:-}" in
    demo)
        shift
        setup_python
        exec "$VENV/bin/memctl" showcase "$@"
        ;;
    test)
        shift
        setup_python
        setup_system_tools
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
