import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { servedDirectory } from './served-directory.js';
import { join } from 'node:path';
import { BOOT_UPTIME } from './virtual-time.js';

/**
 * The files through which programs count CPUs, rewritten for a host's core
 * count: glibc's get_nprocs and get_nprocs_conf (sysconf, python's
 * os.cpu_count) read /sys/devices/system/cpu/online and possible; lscpu and
 * others read /proc/cpuinfo; /proc/stat is get_nprocs's fallback. They are
 * generated once per core count in a private directory, removed by `remove`.
 */
const SYSFS_CPU_LISTS = ['/sys/devices/system/cpu/online', '/sys/devices/system/cpu/possible', '/sys/devices/system/cpu/present'];
export const SERVED_PATHS: ReadonlySet<string> = new Set([...SYSFS_CPU_LISTS, '/proc/cpuinfo', '/proc/stat']);

export class CpuFiles {
  private directory: string | undefined;

  /** `epoch`: seconds since 1970 of virtual time 0; the host booted BOOT_UPTIME seconds before, the boot time /proc/stat reports. */
  constructor(private readonly epoch: number) {}

  /** The generated file standing for `path` on a host with `cores` cores. */
  pathFor(path: string, cores: number): string {
    this.directory ??= servedDirectory('simterpose-cpus-');
    const folder = join(this.directory, String(cores));
    const name = path.replaceAll('/', '_');
    const file = join(folder, name);
    if (!existsSync(file)) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(file, this.contents(path, cores));
    }
    return file;
  }

  remove(): void {
    if (this.directory !== undefined) rmSync(this.directory, { recursive: true, force: true });
    this.directory = undefined;
  }

  private contents(path: string, cores: number): string {
    if (SYSFS_CPU_LISTS.includes(path)) return cores === 1 ? '0\n' : `0-${cores - 1}\n`;
    if (path === '/proc/cpuinfo') return cpuinfo(cores);
    return procStat(cores, Math.floor(this.epoch - BOOT_UPTIME));
  }
}

/** This machine's first processor, described `cores` times with the per-processor fields renumbered. */
function cpuinfo(cores: number): string {
  const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0]!;
  const blocks: string[] = [];
  for (let cpu = 0; cpu < cores; cpu++) {
    blocks.push(
      first
        .split('\n')
        .map((line) => {
          const [key] = line.split(':');
          switch (key!.trim()) {
            case 'processor':
            case 'core id':
            case 'apicid':
            case 'initial apicid':
              return `${key}: ${cpu}`;
            case 'physical id':
              return `${key}: 0`;
            case 'siblings':
            case 'cpu cores':
              return `${key}: ${cores}`;
            default:
              return line;
          }
        })
        .join('\n'),
    );
  }
  return `${blocks.join('\n\n')}\n\n`;
}

/** Counters all at zero, as on an idle host: nothing of this machine's load shows. */
function procStat(cores: number, bootTime: number): string {
  const idle = ' 0 0 0 0 0 0 0 0 0 0';
  const lines = [`cpu ${idle}`];
  for (let cpu = 0; cpu < cores; cpu++) lines.push(`cpu${cpu}${idle}`);
  lines.push('intr 0', 'ctxt 0', `btime ${bootTime}`, 'processes 0', 'procs_running 1', 'procs_blocked 0', 'softirq 0 0 0 0 0 0 0 0 0 0 0');
  return `${lines.join('\n')}\n`;
}
