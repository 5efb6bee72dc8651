import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus } from '../helpers/apps.js';

// A program on a simulated host sees lo and one eth0 holding the host's
// virtual address (platforms/two-hosts.xml: alice 10.0.0.1, bob 10.0.0.2;
// every address, the nameserver's included, in 10.0.0.0/8), never the real
// machine's interfaces. Natively, the same program shows the real ones: lo
// must read the same, and each kind of fact must be there in both.

const HOSTS = { alice: '10.0.0.1', bob: '10.0.0.2' } as const;

async function onHost(host: string, argv: string[]): Promise<string> {
  const result = await runSimterpose(argv, { runOptions: ['--host', host, '--cpu-model', 'none'] });
  expect(shellStatus(result), result.stderr).toBe(0);
  return result.stdout;
}

function macOf(address: string): string {
  return ['02', '00', ...address.split('.').map((byte) => Number(byte).toString(16).padStart(2, '0'))].join(':');
}

/** The lines about lo (by name, or SIOCGIFCONF's entry of it). */
const aboutLo = (text: string): string[] => text.split('\n').filter((line) => /^(SIOCGIFCONF )?lo /.test(line));

/** A line's kind: addresses, numbers and names other than lo taken out. */
function shapeOf(line: string): string {
  return line
    .replace(/(inet6|netmask) [0-9a-f]*:[0-9a-f:]*/g, '$1 A6')
    .replace(/\b(?!lo\b)[a-z]+[0-9]+\b/g, 'IF')
    .replace(/\d+\.\d+\.\d+\.\d+/g, 'A')
    .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'M')
    .replace(/0x[0-9a-f]+|\d+/g, 'N');
}

describe('network interfaces', () => {
  for (const [host, address] of Object.entries(HOSTS)) {
    test(`the interface ioctls on ${host} describe lo and an eth0 holding ${address}/8`, async () => {
      expect(await onHost(host, [appPath('net_interfaces'), 'ioctls'])).toBe(
        [
          'SIOCGIFCONF needs 80 bytes, 40 per entry',
          'SIOCGIFCONF lo 127.0.0.1',
          'lo flags 0x49 index 1 mtu 65536 addr 127.0.0.1 netmask 255.0.0.0 brd 0.0.0.0 hw 772 00:00:00:00:00:00',
          `SIOCGIFCONF eth0 ${address}`,
          `eth0 flags 0x1043 index 2 mtu 1500 addr ${address} netmask 255.0.0.0 brd 10.255.255.255 hw 1 ${macOf(address)}`,
          'SIOCGIFCONF with room for one: 40 bytes, first lo',
          'SIOCGIFNAME 1 lo',
          'SIOCGIFNAME 9999 -1 errno No such device',
          'SIOCGIFINDEX nosuch0 -1 errno No such device',
          'SIOCGIFADDR nosuch0 -1 errno No such device',
          'SIOCGIFFLAGS on a pipe -1 errno Inappropriate ioctl for device',
          'SIOCGIFFLAGS on an epoll instance -1 errno Invalid argument',
          'SIOCGIFINDEX lo on a netlink socket 1',
          'SIOCGIFFLAGS on a closed descriptor -1 errno Bad file descriptor',
          'SIOCGIFFLAGS at a bad address -1 errno Bad address',
          'EXIT-SUCCESS',
          '',
        ].join('\n'),
      );
    });
  }

  test('natively, the ioctls answer with the same kinds of facts, and lo reads the same', async () => {
    const native = await runNative([appPath('net_interfaces'), 'ioctls']);
    expect(native.status, native.stderr).toBe(0);
    const simulated = await onHost('alice', [appPath('net_interfaces'), 'ioctls']);
    expect(aboutLo(simulated)).toEqual(aboutLo(native.stdout));
    const nativeShapes = new Set(native.stdout.split('\n').map(shapeOf));
    for (const line of simulated.split('\n')) expect(nativeShapes, line).toContain(shapeOf(line));
  });

  for (const [host, address] of Object.entries(HOSTS)) {
    test(`getifaddrs on ${host} (glibc, over netlink) lists lo and eth0 with ${address}`, async () => {
      expect(await onHost(host, [appPath('net_interfaces'), 'getifaddrs'])).toBe(
        [
          'lo flags 0x10049 packet index 1 type 772 hw 00:00:00:00:00:00 stats yes',
          `eth0 flags 0x11043 packet index 2 type 1 hw ${macOf(address)} stats yes`,
          'lo flags 0x10049 inet 127.0.0.1 netmask 255.0.0.0 dst 127.0.0.1',
          `eth0 flags 0x11043 inet ${address} netmask 255.0.0.0 brd 10.255.255.255`,
          'lo flags 0x10049 inet6 ::1 netmask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
          `eth0 flags 0x11043 inet6 fd53:696d:7465:7270::${address === '10.0.0.1' ? 'a00:1' : 'a00:2'} netmask ffff:ffff:ffff:ffff::`,
          'EXIT-SUCCESS',
          '',
        ].join('\n'),
      );
    });
  }

  test('natively, getifaddrs lists the same kinds of entries, and lo reads the same', async () => {
    const native = await runNative([appPath('net_interfaces'), 'getifaddrs']);
    expect(native.status, native.stderr).toBe(0);
    const simulated = await onHost('bob', [appPath('net_interfaces'), 'getifaddrs']);
    expect(aboutLo(simulated)).toEqual(aboutLo(native.stdout));
    const nativeShapes = new Set(native.stdout.split('\n').map(shapeOf));
    for (const line of simulated.split('\n')) expect(nativeShapes, line).toContain(shapeOf(line));
  });

  test('ip -4 addr (iproute2) shows the virtual address on eth0, and hostname -I that address and the IPv6 one', async () => {
    const shown = await onHost('bob', ['sh', '-c', 'ip -4 addr; hostname -I']);
    expect(shown).toBe(
      [
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
        '    inet 127.0.0.1/8 scope host lo',
        '       valid_lft forever preferred_lft forever',
        '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000',
        '    inet 10.0.0.2/8 brd 10.255.255.255 scope global eth0',
        '       valid_lft forever preferred_lft forever',
        '10.0.0.2 fd53:696d:7465:7270::a00:2 ',
        '',
      ].join('\n'),
    );
  });

  test('ip route lists the on-link subnet of the virtual addresses, and the local routes of the host', async () => {
    expect(await onHost('alice', ['ip', 'route', 'show', 'table', 'all'])).toBe(
      [
        '10.0.0.0/8 dev eth0 proto kernel scope link src 10.0.0.1 ',
        'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 ',
        'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 ',
        'broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 ',
        'local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1 ',
        'broadcast 10.255.255.255 dev eth0 table local proto kernel scope link src 10.0.0.1 ',
        '::1 dev lo proto kernel metric 256 pref medium',
        'fd53:696d:7465:7270::/64 dev eth0 proto kernel metric 256 pref medium',
        'local ::1 dev lo table local proto kernel metric 0 pref medium',
        'local fd53:696d:7465:7270::a00:1 dev eth0 table local proto kernel metric 0 pref medium',
        '',
      ].join('\n'),
    );
  });

  test('ip -6 addr shows ::1 on lo and the virtual IPv6 address on eth0; ip -6 route get finds eth0 for another host, lo for the host itself', async () => {
    const shown = await onHost('bob', [
      'sh',
      '-c',
      'ip -6 addr; ip -6 route get fd53:696d:7465:7270::a00:1; ip -6 route get ::1; ip -6 route get 2001:db8::1 2>&1; echo "status $?"',
    ]);
    expect(shown).toBe(
      [
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
        '    inet6 ::1/128 scope host ',
        '       valid_lft forever preferred_lft forever',
        '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000',
        '    inet6 fd53:696d:7465:7270::a00:2/64 scope global ',
        '       valid_lft forever preferred_lft forever',
        'fd53:696d:7465:7270::a00:1 dev eth0 src fd53:696d:7465:7270::a00:2 metric 256 pref medium',
        'local ::1 dev lo src ::1 metric 0 pref medium',
        'RTNETLINK answers: Network is unreachable',
        'status 2',
        '',
      ].join('\n'),
    );
  });

  test('ip route get finds eth0 for another host, lo for the host itself, and no route off the virtual network', async () => {
    expect(await onHost('bob', ['sh', '-c', 'ip route get 10.0.0.1; ip route get 10.0.0.2; ip route get 8.8.8.8 2>&1; echo "status $?"'])).toBe(
      [
        '10.0.0.1 dev eth0 src 10.0.0.2 ',
        '    cache ',
        'local 10.0.0.2 dev lo src 10.0.0.2 ',
        '    cache <local> ',
        'RTNETLINK answers: Network is unreachable',
        'status 2',
        '',
      ].join('\n'),
    );
  });

  test('changing an interface is refused, as to an unprivileged process', async () => {
    const result = await runSimterpose(['ip', 'addr', 'add', '10.9.9.9/8', 'dev', 'eth0'], { runOptions: ['--cpu-model', 'none'] });
    expect(shellStatus(result)).toBe(2);
    expect(result.stderr).toContain('RTNETLINK answers: Operation not permitted');
  });

  test('a NETLINK_ROUTE socket used directly answers as Linux does: ports, options, dumps by recvmsg and read, peeks, poll, acks and errors', async () => {
    const native = await runNative([appPath('net_netlink')]);
    expect(native.status, native.stderr).toBe(0);
    expect(native.stdout).toContain('EXIT-SUCCESS');
    expect(await onHost('bob', [appPath('net_netlink')])).toBe(native.stdout);
  });
});
