#!/usr/bin/env bash
# First command of the README: from a fresh clone with only Node and npm, install the pinned
# pnpm, install dependencies, build, and start the live demo (daemon + client on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "Installing pnpm ${pnpm_version}…"
  npm install -g "pnpm@${pnpm_version}"
fi
pnpm install --frozen-lockfile
pnpm build
exec node scripts/demo.mjs "$@"
