import { resolve } from 'node:path';
import { UserError } from './errors.js';
import { parseFault, type Fault } from './faults/spec.js';
import { parseMigration, type Migration } from './migration/spec.js';
import { defaultCpuModel, instructionCounterAvailable, type CpuModelOptions } from './mediator/host/cpu-model.js';
import { MAX_SEED } from './mediator/host/random.js';
import { allowedCpus, claimQuietestCpu } from './mediator/cpu-placement.js';
import { SYSCALLS, syscallNumber } from './mediator/syscalls/table.js';
import type { NetworkMode } from './net/index.js';
import { checkOutputFile, checkOutputFolder } from './output-paths.js';
import { CPU_MODELS, NETWORK_MODES, RUN_OPTIONS, type RunOptions } from './run-options.js';
import { checkSetting } from './sim/settings.js';

/** The options of a run once checked, with every default applied. */
export interface ResolvedRunOptions {
  network: NetworkMode;
  notifySyscalls: boolean;
  vdso: boolean;
  trapAll: boolean;
  untrapped: ReadonlySet<string>;
  /**
   * The CPU to pin to: a number, none, or the quietest, which
   * `claimRunCpu` picks once SimGrid is loaded (how busy the CPUs are is
   * sampled over the start-up, which then lasts long enough for a sample).
   */
  cpu: number | 'none' | 'quietest';
  /** Seconds since 1970 that virtual time 0 corresponds to. */
  epoch: number;
  seed: number;
  cpuModel: CpuModelOptions;
  /** Whether the CPU model was left to choose (the CLI then says which it took). */
  cpuModelChosen: boolean;
  /** Virtual date at which the processes left are stopped, if any. */
  stopTime: number | undefined;
  /** Wall-clock seconds the run may take, if limited. */
  wallLimit: number | undefined;
  /** SimGrid settings over the platform's, as `name:value`. */
  cfg: string[];
  /** The scripted faults, in the order given. */
  faults: Fault[];
  /** The scripted migrations, in the order given. */
  migrations: Migration[];
}

/** Checks a run's options and applies their defaults; a mistake is a UserError naming the flag. */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  const untrapped = new Set(options.untrap ?? []);
  for (const name of untrapped) {
    const number = syscallNumber(name);
    if (number === undefined) throw new UserError(`--untrap: unknown syscall '${name}'`, 'simterpose syscalls lists them');
    if (SYSCALLS.get(number)?.blocks === true) {
      throw new UserError(`--untrap: ${name} can wait inside the kernel, where it would hold the whole run: it must stay trapped`);
    }
    if (SYSCALLS.get(number)?.freesDescriptors === true) {
      throw new UserError(`--untrap: ${name} frees descriptor numbers, which simterpose must see to keep its descriptor table right: it must stay trapped`);
    }
  }
  const network = options.network ?? RUN_OPTIONS.network.default!;
  if (!NETWORK_MODES.includes(network)) throw new UserError(`--network must be one of ${NETWORK_MODES.join(', ')}, not '${network}'`);
  checkOutputs(options);
  return {
    network,
    notifySyscalls: options.notifySyscalls ?? RUN_OPTIONS.notifySyscalls.default!,
    vdso: options.vdso ?? RUN_OPTIONS.vdso.default!,
    trapAll: options.strace !== undefined && options.strace !== false,
    untrapped,
    cpu: checkCpu(options.cpu),
    epoch: parseEpoch(options.epoch ?? RUN_OPTIONS.epoch.default!),
    seed: checkSeed(options.seed ?? RUN_OPTIONS.seed.default!),
    cpuModel: cpuModelOptions(options),
    cpuModelChosen: options.cpuModel === undefined,
    stopTime: options.stopTime === undefined ? undefined : positive('--stop-time', options.stopTime),
    wallLimit: options.wallLimit === undefined ? undefined : positive('--wall-limit', options.wallLimit),
    cfg: resolveCfg(options.cfg),
    faults: resolveFaults(options.faults),
    migrations: resolveMigrations(options.migrations),
  };
}

/** What the run writes must be writable before any program runs: a run is not to be lost to a typo at its end. */
function checkOutputs(options: RunOptions): void {
  if (options.report !== undefined) checkOutputFile('--report', options.report);
  if (options.reportCsv !== undefined) checkOutputFile('--report-csv', options.reportCsv);
  if (options.trace !== undefined) checkOutputFile('--trace', options.trace);
  if (typeof options.strace === 'string') checkOutputFile('--strace', options.strace);
  if (options.outputDir !== undefined) checkOutputFolder('--output-dir', options.outputDir);
  const files = [options.report, options.reportCsv, options.trace, typeof options.strace === 'string' ? options.strace : undefined].filter(
    (file) => file !== undefined,
  );
  const same = files.find((file, i) => files.some((other, j) => j < i && resolve(other) === resolve(file)));
  if (same !== undefined) throw new UserError(`${same} is given for two outputs of the run: each needs its own file`);
}

/** The run's SimGrid settings as SimGrid's --cfg takes them; whether SimGrid knows them is for it to say, when it loads the platform. */
export function resolveCfg(cfg: RunOptions['cfg']): string[] {
  return Object.entries(cfg ?? {}).map(([name, value]) => {
    if (typeof value !== 'string') throw new UserError(`--cfg ${name}: its value must be a string, not ${typeof value}`);
    checkSetting(name, value);
    return `${name}:${value}`;
  });
}

/** The run's faults, each read (runExperiment may be given anything). */
function resolveFaults(faults: RunOptions['faults']): Fault[] {
  if (faults === undefined) return [];
  if (!Array.isArray(faults) || faults.some((fault) => typeof fault !== 'string'))
    throw new UserError('faults must be a list of fault strings, as --fault takes them');
  return faults.map(parseFault);
}

/** The run's migrations, each read (runExperiment may be given anything). */
function resolveMigrations(migrations: RunOptions['migrations']): Migration[] {
  if (migrations === undefined) return [];
  if (!Array.isArray(migrations) || migrations.some((migration) => typeof migration !== 'string'))
    throw new UserError('migrations must be a list of strings, as --migrate takes them: PID@HOST:T:DESTINATION');
  return migrations.map(parseMigration);
}

function parseEpoch(epoch: string): number {
  if (epoch === 'now') return Date.now() / 1000;
  const date = Date.parse(epoch);
  if (Number.isNaN(date)) throw new UserError(`--epoch: '${epoch}' is not an ISO 8601 date or 'now'`, 'for example --epoch 2024-05-01T12:00:00Z');
  return date / 1000;
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed must be an integer from 0 to ${MAX_SEED}, not ${seed}`);
  return seed;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new UserError(`${name} must be a positive number, not ${value}`);
  return value;
}

function cpuModelOptions(options: RunOptions): CpuModelOptions {
  const model = options.cpuModel ?? defaultCpuModel();
  if (!CPU_MODELS.includes(model)) throw new UserError(`--cpu-model must be one of ${CPU_MODELS.join(', ')}, not '${model}'`);
  if (model === 'instructions' && !instructionCounterAvailable()) {
    throw new UserError(
      '--cpu-model instructions: this machine has no hardware instruction counter',
      'use --cpu-model cputime (with --reference-speed from `simterpose calibrate`) or none',
    );
  }
  return {
    model,
    flopsPerInstruction: positive('--flops-per-instruction', options.flopsPerInstruction ?? RUN_OPTIONS.flopsPerInstruction.default!),
    referenceSpeed: positive('--reference-speed', options.referenceSpeed ?? RUN_OPTIONS.referenceSpeed.default!),
    threshold: Math.max(0, options.cpuThreshold ?? RUN_OPTIONS.cpuThreshold.default!),
  };
}

/** --cpu checked: a CPU this process may run on (taskset or a cgroup may have taken CPU 0 away), none, or the quietest (auto, the default). */
function checkCpu(cpu: RunOptions['cpu']): ResolvedRunOptions['cpu'] {
  if (cpu === 'none') return 'none';
  if (cpu === undefined || cpu === 'auto') return 'quietest';
  const allowed = allowedCpus();
  if (!allowed.includes(cpu)) throw new UserError(`--cpu ${cpu}: simterpose may not run there (it may use CPUs ${allowed.join(', ')})`);
  return cpu;
}

/** The CPU the mediator and its tracees share, as --cpu resolved to: the quietest is claimed now. */
export function claimRunCpu(cpu: ResolvedRunOptions['cpu']): number | undefined {
  if (cpu === 'none') return undefined;
  return cpu === 'quietest' ? claimQuietestCpu() : cpu;
}
