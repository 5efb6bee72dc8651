import { rmSync, writeFileSync } from 'node:fs';
import { servedDirectory } from './served-directory.js';
import { join } from 'node:path';

/**
 * The /proc files that tell a process who it is and how long its host has
 * been up, as the host shows them: /proc/PID/status and /proc/PID/stat
 * (and their /proc/PID/task/TID forms) rewritten from the kernel's with
 * virtual ids, states and times, and /proc/uptime. They change as the
 * process runs, so each open gets a fresh file, written in a private
 * directory and removed once opened (the descriptor keeps it).
 */
export class ProcFiles {
  private directory: string | undefined;
  private written = 0;

  /** A new file holding `contents`, for one open; `discard` it once opened. */
  write(contents: string): string {
    this.directory ??= servedDirectory('simterpose-proc-');
    const file = join(this.directory, String(this.written++));
    writeFileSync(file, contents);
    return file;
  }

  discard(file: string): void {
    rmSync(file, { force: true });
  }

  remove(): void {
    if (this.directory !== undefined) rmSync(this.directory, { recursive: true, force: true });
    this.directory = undefined;
  }
}

/** Clock ticks per second in /proc (USER_HZ). */
const USER_HZ = 100;

/** What a process (or thread) shows of itself, where the kernel's view would show this machine. */
export interface ProcessView {
  /** A real pid, tid, group or session as the process sees it (0, one outside the kernel's pid namespace, is outside the run too). */
  virtualId(real: number): number;
  /** Its state, as stat's letter and status's words; undefined keeps the kernel's (a zombie's). */
  state: { letter: string; words: string } | undefined;
  /** The host's cores, all of which it may run on (as sched_getaffinity says). */
  cores: number;
  /** Virtual CPU time it used, in seconds. */
  cpuTime: number;
  /** Seconds since the host booted when it started. */
  startedSinceBoot: number;
}

/** The kernel's /proc/PID/status with the host's ids, tracer, state and CPUs. */
export function virtualStatus(real: string, view: ProcessView): string {
  const ids = (value: string) =>
    value
      .split('\t')
      .map((id) => String(view.virtualId(Number(id))))
      .join('\t');
  return real
    .split('\n')
    .map((line) => {
      const tab = line.indexOf(':\t');
      if (tab < 0) return line;
      const key = line.slice(0, tab);
      const value = line.slice(tab + 2);
      switch (key) {
        case 'State':
          return view.state === undefined ? line : `State:\t${view.state.letter} (${view.state.words})`;
        case 'Tgid':
        case 'Pid':
        case 'PPid':
          return `${key}:\t${ids(value)}`;
        // One pid namespace per host: the id in it, where nested namespaces would list one per level.
        case 'NStgid':
        case 'NSpid':
        case 'NSpgid':
        case 'NSsid':
          return `${key}:\t${view.virtualId(Number(value.split('\t').at(-1)))}`;
        case 'TracerPid':
          return 'TracerPid:\t0';
        case 'Cpus_allowed':
          return `Cpus_allowed:\t${cpumaskHex(view.cores)}`;
        case 'Cpus_allowed_list':
          return `Cpus_allowed_list:\t${view.cores === 1 ? '0' : `0-${view.cores - 1}`}`;
        default:
          return line;
      }
    })
    .join('\n');
}

/** A mask of the first `cores` CPUs as the kernel prints one: hex, in comma-separated 32-bit groups. */
function cpumaskHex(cores: number): string {
  const digits = Math.ceil(cores / 4);
  let hex = '';
  for (let digit = digits - 1; digit >= 0; digit--) {
    const bits = Math.min(4, cores - digit * 4);
    hex += ((1 << bits) - 1).toString(16);
    if (digit > 0 && digit % 8 === 0) hex += ',';
  }
  return hex;
}

/**
 * stat's fields, numbered from 1 as in proc(5), that hold ids: pid, ppid,
 * pgrp, session (0 when it lies outside the kernel's pid namespace, as in a
 * container); tpgid is -1 without a terminal.
 */
const STAT_IDS = [1, 4, 5, 6];
const STAT_TPGID = 8;
const STAT_STATE = 3;
const STAT_UTIME = 14;
const STAT_STIME = 15;
const STAT_STARTTIME = 22;

/** The kernel's /proc/PID/stat with the host's ids, state, CPU time and start time. */
export function virtualStat(real: string, view: ProcessView): string {
  // pid (comm) state ...: comm may hold spaces and parentheses, so split after the last ')'.
  const close = real.lastIndexOf(')');
  const head = real.slice(0, real.indexOf(' ('));
  const comm = real.slice(real.indexOf(' (') + 1, close + 1);
  const fields = [
    head,
    comm,
    ...real
      .slice(close + 2)
      .trimEnd()
      .split(' '),
  ];
  const field = (number: number, value: string | number) => {
    fields[number - 1] = String(value);
  };
  for (const number of STAT_IDS) field(number, view.virtualId(Number(fields[number - 1])));
  const terminalGroup = Number(fields[STAT_TPGID - 1]);
  if (terminalGroup > 0) field(STAT_TPGID, view.virtualId(terminalGroup));
  if (view.state !== undefined) field(STAT_STATE, view.state.letter);
  field(STAT_UTIME, Math.floor(view.cpuTime * USER_HZ));
  field(STAT_STIME, 0);
  field(STAT_STARTTIME, Math.floor(view.startedSinceBoot * USER_HZ));
  return `${fields.join(' ')}\n`;
}

/** /proc/uptime: seconds up, and seconds the CPUs were idle (0: the host's counters start at zero, as /proc/stat's). */
export function uptimeFile(sinceBoot: number): string {
  // Truncated to the hundredth, as the kernel does (the epsilon keeps 1000.29 from reading 1000.28).
  const hundredths = Math.floor(sinceBoot * 100 + 1e-6);
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')} 0.00\n`;
}
