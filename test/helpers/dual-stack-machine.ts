import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a simulated host looks like from inside: its addresses (with prefix lengths) and its /etc/hosts. */
export interface MachineLike {
  /** e.g. 10.0.0.1/8 */
  address: string;
  /** e.g. fd00:5::a/64 */
  address6: string;
  hostsFile: string;
}

/**
 * Runs `argv` on a real Linux machine set up as a simulated host is: a
 * network namespace whose eth0 (a veth, its peer up so that the link is)
 * holds the host's IPv4 and IPv6 addresses, whose every link (lo too) has
 * the 1500-byte MTU of the virtual network's segments, and a mount
 * namespace where /etc/hosts is the given one. glibc's resolver sorts the
 * addresses of a name by the source addresses it has (RFC 6724), so both
 * must match for its answers to compare. Returns what `argv` printed.
 */
export function outputOnMachineLike(machine: MachineLike, argv: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'simterpose-machine-'));
  try {
    const hosts = join(directory, 'hosts');
    writeFileSync(hosts, machine.hostsFile);
    const setUp = [
      'set -e',
      'mount --bind "$1" /etc/hosts',
      'ip link set lo mtu 1500 up',
      'ip link add eth0 type veth peer name peer0',
      'ip addr add "$2" dev eth0',
      // nodad: usable at once, not tentative for a second.
      'ip -6 addr add "$3" dev eth0 nodad',
      'ip link set peer0 up',
      'ip link set eth0 up',
      'shift 3',
      'exec "$@"',
    ].join('\n');
    return execFileSync('unshare', ['--net', '--mount', 'sh', '-c', setUp, 'sh', hosts, machine.address, machine.address6, ...argv], {
      encoding: 'utf8',
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
