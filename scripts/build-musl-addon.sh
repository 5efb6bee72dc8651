#!/bin/sh
# Builds the addon for x86_64 Linux with musl (Alpine) into
# native/ptrace-rs/ptrace.linux-x64-musl.node, the file the prebuilt package
# simterpose-linux-x64-musl ships. Needs Debian's musl-tools (musl-gcc) and
# `rustup target add x86_64-unknown-linux-musl`.
#
# napi-rs links the addon dynamically against musl's libc (-crt-static), so
# musl-gcc links it, against Debian's musl libc.so. Rust's std also asks for
# libgcc_s (its unwinder), which musl-gcc's library path lacks: a folder
# holding only that library lets the link find it without glibc's libc.so.
# Alpine's Node.js depends on libgcc, so libgcc_s.so.1 is there at run time.
# The type definitions napi writes go to that folder too, thrown away:
# native/ptrace-rs/index.d.ts is the glibc build's, the same contract.
set -eu
cd "$(dirname "$0")/.."
command -v musl-gcc >/dev/null || { echo "build-musl-addon: musl-gcc is missing: apt-get install musl-tools" >&2; exit 1; }
libgcc=target/musl-libgcc
mkdir -p "$libgcc"
ln -sf "$(readlink -f "$(gcc -print-file-name=libgcc_s.so.1)")" "$libgcc/libgcc_s.so"
RUSTFLAGS="-L $PWD/$libgcc" CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=musl-gcc \
  napi build --release --platform --no-js --dts "../../$libgcc/index.d.ts" --target x86_64-unknown-linux-musl \
  --manifest-path native/ptrace-rs/Cargo.toml --output-dir native/ptrace-rs
