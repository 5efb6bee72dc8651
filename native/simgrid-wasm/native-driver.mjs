// Builds driver.cpp + shim.cpp natively with g++ against Debian's
// libsimgrid-dev (3.32), for the tests and benchmarks that compare the
// WebAssembly build with a native one. The binary is cached in the system's
// temporary folder under a hash of the sources, so it compiles once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const sources = ['shim.cpp', 'driver.cpp'].map((f) => join(here, f));

/** Path of the native driver, compiling it first if needed. */
export function buildNativeDriver() {
  const hash = createHash('sha256');
  for (const file of sources) hash.update(readFileSync(file));
  const dir = join(tmpdir(), 'simterpose-simw');
  const binary = join(dir, `driver-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  if (!existsSync('/usr/include/simgrid/s4u.hpp')) {
    throw new Error('the native SimGrid driver needs g++ and libsimgrid-dev (apt-get install g++ libsimgrid-dev)');
  }
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  execFileSync('g++', ['-std=c++17', '-O3', '-w', '-o', partial, ...sources, '-lsimgrid'], { stdio: 'inherit' });
  renameSync(partial, binary);
  return binary;
}
