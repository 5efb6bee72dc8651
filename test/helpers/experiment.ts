import { join } from 'node:path';
import { inject } from 'vitest';
import { runNative, shellStatus } from './apps.js';
import { REPO_ROOT } from './paths.js';

/**
 * What one run of an experiment leaves behind, as bytes to compare between
 * runs: its exit status and what it printed. Whatever else a run comes to
 * write (reports, traces) belongs here too, so that every comparison of runs
 * covers it.
 */
export interface ExperimentArtefacts {
  status: number;
  stdout: string;
  stderr: string;
}

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');

/** Runs `simterpose run [options] platform deployment` through the CLI. */
export async function runExperimentArtefacts(platform: string, deployment: string, options: string[] = []): Promise<ExperimentArtefacts> {
  const distBuildError = inject('distBuildError');
  if (distBuildError !== null) throw new Error(`dist/ could not be built, so the CLI cannot run:\n${distBuildError}`);
  const result = await runNative([process.execPath, CLI, 'run', ...options, platform, deployment], { timeoutMs: 60_000 });
  return { status: shellStatus(result), stdout: result.stdout, stderr: result.stderr };
}

/** The lines one host's processes printed, without their `[HOST PID] ` prefixes. */
export function linesOfHost(stdout: string, host: string): string[] {
  const prefix = new RegExp(`^\\[${host} \\d+\\] `);
  return stdout
    .split('\n')
    .filter((line) => prefix.test(line))
    .map((line) => line.replace(prefix, ''));
}
