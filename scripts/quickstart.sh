#!/usr/bin/env bash
# First command of the README: from a fresh clone with only Node and npm, install the pinned
# pnpm, install dependencies, build, and start the live demo (daemon + client on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
pnpm=(pnpm)
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "Installing pnpm ${pnpm_version}…"
  # A Node installed system-wide (apt, a distro package) leaves npm's global folder to root: a
  # user's newcomer should not need sudo, so run the pinned pnpm through npx instead.
  if ! npm install -g "pnpm@${pnpm_version}"; then
    echo "Could not install pnpm globally; running pnpm ${pnpm_version} through npx instead."
    pnpm=(npx --yes "pnpm@${pnpm_version}")
  fi
fi
"${pnpm[@]}" install --frozen-lockfile
"${pnpm[@]}" build
exec node scripts/demo.mjs "$@"
