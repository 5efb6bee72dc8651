// The suite's C programs, compiled into test/fidelity/bin when their source is newer.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fidelity, from this file's source or from its compiled copy in test/fidelity/bin/js. */
export const FIDELITY_DIR = fileURLToPath(new URL(import.meta.url.includes('/bin/js/') ? '../..' : '.', import.meta.url));
export const REPO_ROOT = join(FIDELITY_DIR, '..', '..');
export const BIN_DIR = join(FIDELITY_DIR, 'bin');

export const FID = join(BIN_DIR, 'fid');
export const LINK_EMULATOR = join(BIN_DIR, 'link-emulator');

function modifiedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

export function buildPrograms(): void {
  mkdirSync(BIN_DIR, { recursive: true });
  for (const output of [FID, LINK_EMULATOR]) {
    const source = join(FIDELITY_DIR, `${output.slice(BIN_DIR.length + 1)}.c`);
    const built = modifiedAt(output);
    if (built !== undefined && built >= (modifiedAt(source) ?? Infinity)) continue;
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', output, source], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
}
