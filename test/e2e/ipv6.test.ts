import { join } from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus } from '../helpers/apps.js';
import { outputOnMachineLike } from '../helpers/dual-stack-machine.js';
import { linesOfHost } from '../helpers/experiment.js';
import { REPO_ROOT } from '../helpers/paths.js';

// Two hosts over IPv6: test/apps/ipv6_exchange.c on ipv6-two-hosts.xml,
// whose hosts take their IPv6 addresses from `ip6` properties (alice
// fd00:5::a, bob fd00:5::b) and get IPv4 ones assigned. The client finds bob
// by name (in /etc/hosts), connects over IPv6,
// then over IPv4 to the same dual-stack socket, then sends a datagram.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const PLATFORM = 'test/fixtures/platforms/ipv6-two-hosts.xml';
const DEPLOYMENT = 'test/fixtures/deployments/ipv6-exchange.xml';

describe('two hosts over IPv6', () => {
  for (const mode of ['full', 'translate']) {
    test(`--network ${mode}: getaddrinfo(AF_INET6) finds bob's ip6 address, TCP and UDP cross over IPv6, an IPv4 client reaches the dual-stack server as ::ffff:10.0.0.1`, async () => {
      const distBuildError = inject('distBuildError');
      if (distBuildError !== null) throw new Error(`dist/ could not be built, so the CLI cannot run:\n${distBuildError}`);
      const result = await runNative([process.execPath, CLI, 'run', '--quiet', '--cpu-model', 'none', '--network', mode, PLATFORM, DEPLOYMENT], {
        timeoutMs: 55_000,
      });
      expect(shellStatus(result), result.stderr).toBe(0);
      expect(linesOfHost(result.stdout, 'bob')).toEqual([
        'listening',
        'tcp from fd00:5::a: over IPv6',
        'tcp from ::ffff:10.0.0.1: over IPv4',
        'udp from fd00:5::a: a datagram',
        'EXIT-SUCCESS',
      ]);
      expect(linesOfHost(result.stdout, 'alice')).toEqual([
        'AF_INET6 address of bob: fd00:5::b',
        // glibc's default policy table ranks a unique local IPv6 destination above an IPv4 one (test/e2e/resolve-families.test.ts).
        'first AF_UNSPEC address of bob: fd00:5::b',
        'connected over IPv6 from fd00:5::a',
        'echoed: over IPv6',
        'echoed: over IPv4',
        'datagram echoed from fd00:5::b: a datagram',
        'EXIT-SUCCESS',
      ]);
    });
  }
});

describe('TCP segment sizes over IPv4 and IPv6', () => {
  // Connections from alice to her own addresses: loopbacks, IPv4, IPv6 and IPv4-mapped.
  const ADDRESSES = ['127.0.0.1', '10.0.0.1', '::1', 'fd00:5::a', '::ffff:10.0.0.1', '::ffff:127.0.0.1'];

  for (const mode of ['full', 'translate']) {
    test(`--network ${mode}: TCP_MAXSEG reads 536 before a connection, then 1448 over IPv4 (IPv4-mapped peers too) and 1428 over IPv6, as Linux on a 1500-byte MTU`, async () => {
      const result = await runSimterpose([appPath('tcp_maxseg'), ...ADDRESSES], { platform: PLATFORM, runOptions: ['--cpu-model', 'none', '--network', mode] });
      expect(shellStatus(result), result.stderr).toBe(0);
      expect(result.stdout).toContain('fd00:5::a: client 1428, accepted 1428\n');
      expect(result.stdout).toContain('::ffff:10.0.0.1: client 1448, accepted 1448\n');
      const native = outputOnMachineLike({ address: '10.0.0.1/8', address6: 'fd00:5::a/64', hostsFile: '127.0.0.1\tlocalhost\n' }, [
        appPath('tcp_maxseg'),
        ...ADDRESSES,
      ]);
      expect(result.stdout).toBe(native);
    });
  }
});
