#!/usr/bin/env bash
# Makes the Python environment of benches/compare.py (pinned in benches/requirements.txt, under
# target/ so it is never committed) when it is missing or the pins changed, then runs the script.
# Arguments are passed on: benches/compare.sh --help.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s benches/requirements.txt "$venv/requirements.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/requirements.txt
    cp benches/requirements.txt "$venv/requirements.txt"
fi
exec "$venv/bin/python" benches/compare.py "$@"
