import { createHash } from 'node:crypto';
import { servedDirectory } from './served-directory.js';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files through which programs learn host names and tell machines
 * apart, rewritten for the platform: /etc/hosts lists every host with its
 * virtual addresses (glibc resolves platform names from it without a DNS
 * query; other names still reach the virtual nameserver and fail as
 * unknown), /etc/hostname holds the host's own name, and each host has a
 * machine id (/etc/machine-id, /var/lib/dbus/machine-id) and a boot id
 * (/proc/sys/kernel/random/boot_id) of its own, derived from its name so
 * that runs are alike (UCX, and so MPICH, shares memory only between
 * processes with one boot id). Generated on first use in a private
 * directory, removed by `remove`.
 */
const HOSTS = '/etc/hosts';
const HOSTNAME = '/etc/hostname';
const MACHINE_IDS = ['/etc/machine-id', '/var/lib/dbus/machine-id'];
const BOOT_ID = '/proc/sys/kernel/random/boot_id';
export const NAME_FILE_PATHS: ReadonlySet<string> = new Set([HOSTS, HOSTNAME, ...MACHINE_IDS, BOOT_ID]);

export interface NamedHost {
  host: string;
}

export class NameFiles {
  private directory: string | undefined;

  /** `hostsFile`: the content of every host's /etc/hosts. */
  constructor(
    private readonly hosts: readonly NamedHost[],
    private readonly hostsFile: string,
  ) {}

  /** The generated file standing for `path` on `host`. */
  pathFor(path: string, host: string): string {
    this.directory ??= servedDirectory('simterpose-names-');
    if (path === HOSTS) return this.generated('hosts', () => this.hostsFile);
    const index = this.hosts.findIndex((entry) => entry.host === host);
    if (path === HOSTNAME) return this.generated(`hostname.${index}`, () => `${host}\n`);
    if (path === BOOT_ID) return this.generated(`boot_id.${index}`, () => `${bootId(host)}\n`);
    return this.generated(`machine-id.${index}`, () => `${machineId(host)}\n`);
  }

  /** The file `name` of the private directory, written with `contents()` the first time. */
  private generated(name: string, contents: () => string): string {
    const file = join(this.directory!, name);
    if (!existsSync(file)) writeFileSync(file, contents());
    return file;
  }

  remove(): void {
    if (this.directory !== undefined) rmSync(this.directory, { recursive: true, force: true });
    this.directory = undefined;
  }
}

/** 32 hex digits, as machine-id(5) has them: the host's own, from its name. */
function machineId(host: string): string {
  return createHash('sha256').update(`machine-id:${host}`).digest('hex').slice(0, 32);
}

/** A random (version 4) UUID as the kernel writes a boot id, the host's own, from its name. */
function bootId(host: string): string {
  const bytes = createHash('sha256').update(`boot-id:${host}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
