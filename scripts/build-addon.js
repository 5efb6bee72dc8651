#!/usr/bin/env node
// Builds the addon from the Rust sources the package ships, for a machine no
// prebuilt addon package fits (the package has them for x86_64 Linux, glibc
// and musl).
// Needs Rust 1.88 or later (cargo on PATH). It uses plain cargo, since an
// installed package has no @napi-rs/cli, and puts the library where the
// generated loader (native/ptrace-rs/index.js) looks first.
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(root, 'native', 'ptrace-rs');

/** The loader's name for this machine: linux-x64-gnu, linux-x64-musl... */
function platformName() {
  const libc = process.report.getReport().header.glibcVersionRuntime === undefined ? 'musl' : 'gnu';
  return `${process.platform}-${process.arch}-${libc}`;
}

try {
  execFileSync('cargo', ['build', '--release', '--locked', '--manifest-path', join(addonDir, 'Cargo.toml')], { cwd: root, stdio: 'inherit' });
} catch (error) {
  console.error(`simterpose: building the addon failed (it needs Rust 1.88 or later, cargo on PATH): ${error.message}`);
  process.exit(1);
}
const built = join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'release', 'libptrace_rs.so');
const addon = join(addonDir, `ptrace.${platformName()}.node`);
copyFileSync(built, addon);
console.log(`simterpose: built ${addon}`);
