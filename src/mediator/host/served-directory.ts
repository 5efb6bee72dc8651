import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A new directory for files served in place of the machine's, readable and
 * searchable by every program: mkdtemp makes it 0700, which would refuse
 * them to a program that dropped root's privileges, where the world-readable
 * files they stand for (/etc/hostname, /proc/cpuinfo...) are not.
 */
export function servedDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(directory, 0o755);
  return directory;
}
