#!/usr/bin/env bash
# SimGrid's source: Debian's `simgrid` source package, fetched through a
# private apt setup (the system's sources and lists are left untouched) and
# checked against its sha256. build.sh sources this file; run on its own,
# `bash source.sh` fetches the tarball into the work folder (once) and prints
# its path: the tests read SimGrid's example platforms from it.
# Needs Debian's archive keyring and apt (on every Debian), as root.

simgrid_version=3.32
simgrid_tarball="simgrid_${simgrid_version}.orig.tar.xz"
simgrid_tarball_sha256=4b413d8e9d9b29b8e086b2f3edaec5b1149d7eb52b2e134f1ed13d30891ece7b

# Fetches the tarball into the current folder unless it is there, then checks it.
fetch_simgrid_source() {
  if [[ ! -f "$simgrid_tarball" ]]; then
    mkdir -p apt/sources apt/lists/partial
    cat > apt/sources/simgrid-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    local opts=(-o Dir::Etc::SourceList=/dev/null
                -o "Dir::Etc::SourceParts=$PWD/apt/sources"
                -o "Dir::State::Lists=$PWD/apt/lists")
    apt-get "${opts[@]}" update -q
    apt-get "${opts[@]}" source --download-only "simgrid=${simgrid_version}-2"
  fi
  echo "$simgrid_tarball_sha256  $simgrid_tarball" | sha256sum -c --quiet -
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  work="${SIMGRID_WASM_WORK:-$here/.work}"
  mkdir -p "$work"
  cd "$work"
  # apt's progress goes to stderr: stdout is only the path.
  fetch_simgrid_source >&2
  echo "$work/$simgrid_tarball"
fi
