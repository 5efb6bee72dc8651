import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ResolvedRunOptions } from '../resolve-run-options.js';
import { RUN_OPTIONS, type RunOptions } from '../run-options.js';
import type { Setting } from '../sim/settings.js';
import { simterposeVersion } from '../version.js';
import type { InputFile, RunDescription } from './types.js';

export interface DescribedRun {
  /** The words after `simterpose`, when the CLI started the run. */
  commandLine: readonly string[] | undefined;
  /** The options as given. */
  options: RunOptions;
  resolved: ResolvedRunOptions;
  command: readonly string[] | undefined;
  platform: string;
  deployment: string | undefined;
  /** SimGrid's settings in force. */
  simgrid: readonly Setting[];
  addressRandomizationDisabled: boolean;
}

/** What the report says was run: simterpose's version, the command line, every option with its default applied, the inputs and their digests. */
export function describeRun(run: DescribedRun): RunDescription {
  const { cpuModel } = run.resolved;
  return {
    simterpose: simterposeVersion(),
    commandLine: run.commandLine === undefined ? null : [...run.commandLine],
    options: optionsWithDefaults(run.options, run.resolved),
    command: run.deployment === undefined && run.command !== undefined ? [...run.command] : null,
    seed: run.resolved.seed,
    cpuModel: {
      model: cpuModel.model,
      flopsPerInstruction: cpuModel.flopsPerInstruction,
      referenceSpeed: cpuModel.referenceSpeed,
      threshold: cpuModel.threshold,
    },
    addressRandomizationDisabled: run.addressRandomizationDisabled,
    simgrid: run.simgrid.map((setting) => ({ name: setting.name, value: setting.value, origin: setting.origin.kind })),
    platform: inputFile(run.platform),
    deployment: run.deployment === undefined ? null : inputFile(run.deployment),
  };
}

/**
 * Every run option in RUN_OPTIONS order, as given or else its default; the
 * CPU model as chosen. Options without a default that were not given are left out.
 */
function optionsWithDefaults(given: RunOptions, resolved: ResolvedRunOptions): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(RUN_OPTIONS)) {
    const value = given[key as keyof RunOptions] ?? spec.default;
    if (value !== undefined) options[key] = value;
  }
  options['cpuModel'] = resolved.cpuModel.model;
  return options;
}

function inputFile(path: string): InputFile {
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}
