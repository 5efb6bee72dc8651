#!/usr/bin/env bash
# Proves the package installs and runs as a user gets it: builds the musl
# addon (scripts/build-musl-addon.sh), packs simterpose and its prebuilt addon
# packages (npm/linux-x64-gnu, npm/linux-x64-musl) with npm pack, checks what
# the tarballs hold, installs them into an empty project on a PATH without
# cargo or rustc (npm takes the glibc one and skips the musl one), then runs
# there `npx simterpose run` on a platform of the installed package, the
# walkthrough's deployment (python3 and curl), the CLI and the library
# without the prebuilt package (they must say how to build the addon), and a
# vitest test that imports runExperiment from 'simterpose'.
#
# It packs what is built: run `npm install` (or `npm run build`) first. The
# musl addon it builds itself: it needs Debian's musl-tools and Rust's
# x86_64-unknown-linux-musl target, which only packaging needs.
# Usage: scripts/pack-check.sh [DIR]   keeps the three tarballs in DIR (default: thrown away)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/simterpose-pack-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
tarballs=${1:-$work/tarballs}
mkdir -p "$tarballs"
tarballs=$(cd "$tarballs" && pwd)

fail() {
  echo "pack-check: $*" >&2
  exit 1
}

step() {
  echo "pack-check: $*"
}

cd "$repo"
[ -f native/ptrace-rs/ptrace.linux-x64-gnu.node ] && [ -f dist/index.js ] || fail "nothing built: run npm install first"
step "building the addon for musl"
npm run --silent build:native:musl
step "packing simterpose, simterpose-linux-x64-gnu and simterpose-linux-x64-musl into $tarballs"
stale=$(cd dist && find . -path ./bundle -prune -o -name '*.js' -print | sed 's|\.js$||' | while read -r module; do [ -f "../src/$module.ts" ] || echo "dist/$module.js"; done)
[ -z "$stale" ] || fail "dist/ holds modules whose source is gone (rebuild it from scratch): $stale"
npm run --silent stage:prebuilt
main=$tarballs/$(npm pack --silent --pack-destination "$tarballs" | tail -n 1)
prebuilt=$tarballs/$(npm pack --silent --pack-destination "$tarballs" ./npm/linux-x64-gnu | tail -n 1)
prebuilt_musl=$tarballs/$(npm pack --silent --pack-destination "$tarballs" ./npm/linux-x64-musl | tail -n 1)

# What a user needs is there; tests, sources and build leftovers are not.
contents=$(tar -tzf "$main" | sed 's|^package/||')
for needed in bin/simterpose.js dist/index.js dist/index.d.ts dist/bundle/cli.js native/ptrace-rs/index.js \
  native/ptrace-rs/index.d.ts native/simgrid-wasm/dist/simgrid.wasm native/simgrid-wasm/dist/simgrid.cjs \
  platforms/two-hosts.xml examples/web/deployment.xml schema/report.schema.json scripts/build-addon.js README.md LICENSE; do
  grep -qx "$needed" <<<"$contents" || fail "$main lacks $needed"
done
unwanted=$(grep -E '^(test|src|bench|target|npm|\.ci)/|\.node$|\.map$|^examples/scale/pingpong$' <<<"$contents" || true)
[ -z "$unwanted" ] || fail "$main holds files a user does not need: $(tr '\n' ' ' <<<"$unwanted")"
tar -tzf "$prebuilt" | grep -qx package/ptrace.linux-x64-gnu.node || fail "$prebuilt lacks the addon"
tar -tzf "$prebuilt_musl" | grep -qx package/ptrace.linux-x64-musl.node || fail "$prebuilt_musl lacks the addon"

# A PATH with node and npm but neither cargo nor rustc: the install must not build anything.
path=
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -x "$dir/cargo" ] || [ -x "$dir/rustc" ] || path=${path:+$path:}$dir
done
PATH=$path command -v cargo >/dev/null && fail "cargo is still on the PATH built without it"
PATH=$path command -v node >/dev/null || fail "node shares a folder with cargo: cannot hide cargo alone"

project=$work/project
mkdir -p "$project"
cat >"$project/package.json" <<EOF
{
  "name": "simterpose-pack-check",
  "private": true,
  "type": "module",
  "dependencies": { "simterpose": "file:$main" },
  "overrides": { "simterpose-linux-x64-gnu": "file:$prebuilt", "simterpose-linux-x64-musl": "file:$prebuilt_musl" }
}
EOF
# Dependencies come from npm's cache when it holds them (it does after npm
# install in the clone), else from the registry; nothing else is reached.
step "installing them into an empty project, without cargo on PATH"
(cd "$project" && PATH=$path npm install --prefer-offline --no-audit --no-fund --loglevel=error)
installed=$project/node_modules/simterpose
ls "$installed"/native/ptrace-rs/*.node >/dev/null 2>&1 && fail "the install built the addon instead of using the prebuilt package"
[ -f "$project/node_modules/simterpose-linux-x64-gnu/ptrace.linux-x64-gnu.node" ] || fail "the prebuilt addon package was not installed"
[ -e "$project/node_modules/simterpose-linux-x64-musl" ] && fail "npm installed the musl addon package on a glibc machine"

step "npx simterpose run node_modules/simterpose/platforms/two-hosts.xml -- /bin/echo hi"
output=$(cd "$project" && PATH=$path npx simterpose run node_modules/simterpose/platforms/two-hosts.xml --quiet -- /bin/echo hi)
[ "$output" = hi ] || fail "simterpose run printed '$output' instead of 'hi'"

step "the walkthrough from the installed package's folder: curl against python3's http.server"
output=$(cd "$installed" && PATH=$path "$project/node_modules/.bin/simterpose" run platforms/two-hosts.xml examples/web/deployment.xml --quiet 2>"$work/walkthrough.err") ||
  fail "the walkthrough failed: $output $(cat "$work/walkthrough.err")"
grep -qxF "[alice 1000] <p>Hello from bob, a simulated host.</p>" <<<"$output" || fail "the walkthrough printed: $output"

step "without a fitting prebuilt addon, the CLI and the library say how to build one"
mv "$project/node_modules/simterpose-linux-x64-gnu" "$work/prebuilt-aside"
expected="no prebuilt addon fits this machine (linux-x64): build it from the sources the package ships, with Rust 1.88 or later: node $installed/scripts/build-addon.js"
hint=$(cd "$project" && PATH=$path npx simterpose run node_modules/simterpose/platforms/two-hosts.xml -- /bin/true 2>&1) && fail "simterpose ran without its addon"
[ "$hint" = "simterpose: $expected" ] || fail "simterpose without its addon said: $hint"
hint=$(cd "$project" && PATH=$path node --input-type=module -e "import('simterpose').then(() => console.log('loaded'), (error) => console.log(error.message))")
[ "$hint" = "$expected" ] || fail "import('simterpose') without its addon said: $hint"
mv "$work/prebuilt-aside" "$project/node_modules/simterpose-linux-x64-gnu"

step "a vitest test calling runExperiment from 'simterpose'"
cat >"$project/experiment.test.js" <<'EOF'
import { runExperiment } from 'simterpose';

test('runExperiment sleeps an hour of virtual time on a host of the installed package', async () => {
  const platform = new URL('node_modules/simterpose/platforms/two-hosts.xml', import.meta.url).pathname;
  const result = await runExperiment({ platform, host: 'bob', command: ['/bin/sh', '-c', 'sleep 3600; date -u +%H:%M'] });
  expect(result.exitCode).toBe(0);
  // sh, sleep and date are three processes, each with its own output.
  expect(result.outputs.map((output) => `${output.host} ${output.stdout}`)).toEqual(['bob ', 'bob ', 'bob 01:00\n']);
});
EOF
# The repository's vitest runs the test; the test itself finds simterpose only in the project.
(cd "$project" && PATH=$path NO_COLOR=1 env -u VITEST -u VITEST_POOL_ID -u VITEST_WORKER_ID -u NODE_OPTIONS \
  node "$repo/node_modules/vitest/vitest.mjs" run --root "$project" --globals --reporter=verbose)
step "ok"
