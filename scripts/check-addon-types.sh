#!/bin/sh
# Fails when a fresh build of the addon generates another index.d.ts (or
# index.js) than the one committed: an exported function changed without
# the contract the TypeScript side codes against being regenerated and
# committed with it. The build leaves the new files in place, ready to commit.
set -eu
cd "$(dirname "$0")/.."
npm run --silent build:native
if ! git diff --exit-code -- native/ptrace-rs/index.d.ts native/ptrace-rs/index.js; then
  echo "native/ptrace-rs/index.d.ts or index.js differs from a fresh build: commit the regenerated files" >&2
  exit 1
fi
