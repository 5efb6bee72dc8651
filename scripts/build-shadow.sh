#!/usr/bin/env bash
# Builds Shadow (github.com/shadow/shadow, 3.x) from a source tree into a
# prefix, so that `npm run bench -- peers` finds PREFIX/bin/shadow on PATH:
#
#   scripts/build-shadow.sh SOURCE PREFIX
#   PATH="PREFIX/bin:$PATH" npm run bench -- peers
#
# SOURCE is an unpacked tree of Shadow's repository (a release tarball, or
# `git archive` of a clone). Shadow is CMake around a Cargo workspace; its
# Rust crates come from crates.io. Needs cargo (the one that builds our
# addon is recent enough) and Debian's
#   apt-get install cmake make gcc g++ pkg-config libglib2.0-dev libclang-dev python3
# (libclang for bindgen, which generates Shadow's C bindings).
# The build folder is SOURCE/build, or SHADOW_BUILD_DIR; JOBS sets make's -j.
# Expect a long build: Shadow's CMake compiles its Rust workspace in release
# mode (on a 2-vCPU VM at load 15, 25 minutes), then its test crate in debug
# mode whatever SHADOW_TEST says, and shadow-rs again on each run (its build
# information changes).
#
# Shadow also takes two forks from GitHub at fixed commits (shadow/bytes,
# shadow/vsprintf in src/main/Cargo.toml). Where GitHub is out of reach,
# CARGO_GIT_MIRRORS="URL=DIR ..." has git fetch each URL from a local clone
# DIR holding the commit instead, e.g.
#   CARGO_GIT_MIRRORS="https://github.com/shadow/bytes=/srv/git/bytes.git https://github.com/shadow/vsprintf=/srv/git/vsprintf.git"
set -euo pipefail

if [[ $# -ne 2 || ! -f "$1/CMakeLists.txt" || ! -f "$1/src/Cargo.toml" ]]; then
  echo "usage: $0 SOURCE PREFIX (SOURCE: a tree of Shadow's repository, with CMakeLists.txt and src/Cargo.toml)" >&2
  exit 2
fi
source="$(cd "$1" && pwd)"
prefix="$(mkdir -p "$2" && cd "$2" && pwd)"
build="${SHADOW_BUILD_DIR:-$source/build}"
jobs="${JOBS:-$(nproc)}"

for tool in cmake make gcc g++ pkg-config cargo; do
  command -v "$tool" > /dev/null || { echo "$0: $tool is missing (see the header of this script)" >&2; exit 1; }
done
pkg-config --exists 'glib-2.0 >= 2.58' || { echo "$0: glib-2.0 >= 2.58 is missing: apt-get install libglib2.0-dev" >&2; exit 1; }

if [[ -n "${CARGO_GIT_MIRRORS:-}" ]]; then
  # Cargo's own git library ignores git's configuration; the git command honours url.<DIR>.insteadOf.
  export CARGO_NET_GIT_FETCH_WITH_CLI=true
  count=0
  for mirror in $CARGO_GIT_MIRRORS; do
    export "GIT_CONFIG_KEY_$count=url.${mirror#*=}.insteadOf" "GIT_CONFIG_VALUE_$count=${mirror%%=*}"
    count=$((count + 1))
  done
  export GIT_CONFIG_COUNT=$count
fi

# A release build without Shadow's own tests, as its `./setup build` does by default.
cmake -S "$source" -B "$build" -D CMAKE_BUILD_TYPE=Release -D CMAKE_INSTALL_PREFIX="$prefix" -D SHADOW_TEST=OFF
cmake --build "$build" --parallel "$jobs"
cmake --install "$build"
"$prefix/bin/shadow" --version
