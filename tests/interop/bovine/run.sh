#!/bin/sh
# Launcher for the bovine interop peer (tests/interop/bovine/peer.py), with the packages
# scripts/test installed into .venv from requirements.txt.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ ! -x "$DIR/.venv/bin/python" ]; then
  echo "bovine peer: dependencies missing; run: python3 -m venv $DIR/.venv && $DIR/.venv/bin/pip install -r $DIR/requirements.txt" >&2
  exit 127
fi
exec "$DIR/.venv/bin/python" "$DIR/peer.py" "$@"
