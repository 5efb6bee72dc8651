import { describe, expect, test } from 'vitest';
import { outputOnMachineLike } from '../helpers/dual-stack-machine.js';
import { appPath, runSimterpose, shellStatus } from '../helpers/apps.js';

// A name with an IPv4 and an IPv6 address, resolved for every family:
// test/apps/resolve_families.c and getent on alice of ipv6-two-hosts.xml
// (alice 10.0.0.1 and fd00:5::a, bob 10.0.0.2 and fd00:5::b), then natively
// on a machine with alice's addresses and the /etc/hosts simterpose gave her.
// glibc sorts a name's addresses by the source addresses the machine has
// (RFC 6724), so only the same addresses and the same file compare.

const PLATFORM = 'test/fixtures/platforms/ipv6-two-hosts.xml';
const RESOLVE = `${appPath('resolve_families')} alice bob localhost && for db in ahosts ahostsv4 ahostsv6 hosts; do echo "getent $db bob"; getent $db bob; done`;
const SEPARATOR = '== resolved ==\n';

describe('names of dual-stack hosts', () => {
  for (const mode of ['full', 'translate']) {
    test(`--network ${mode}: getaddrinfo and getent give a host's IPv4 and IPv6 addresses per family, in the order glibc gives them natively`, async () => {
      const result = await runSimterpose(['sh', '-c', `cat /etc/hosts && printf '%s' '${SEPARATOR}' && ${RESOLVE}`], {
        platform: PLATFORM,
        runOptions: ['--cpu-model', 'none', '--network', mode],
      });
      expect(shellStatus(result), result.stderr).toBe(0);
      const [hostsFile, simulated] = result.stdout.split(SEPARATOR) as [string, string];
      expect(hostsFile).toMatch(/^10\.0\.0\.2\s+bob$/m);
      expect(hostsFile).toMatch(/^fd00:5::b\s+bob$/m);
      // glibc's default policy table ranks a unique local IPv6 destination above an IPv4 one.
      expect(simulated).toContain('bob AF_UNSPEC: fd00:5::b 10.0.0.2\n');
      expect(simulated).toContain('bob AF_INET: 10.0.0.2\n');
      expect(simulated).toContain('bob AF_INET6 AI_V4MAPPED AI_ALL: fd00:5::b ::ffff:10.0.0.2\n');
      expect(simulated).toContain('EXIT-SUCCESS');
      expect(simulated).toBe(outputOnMachineLike({ address: '10.0.0.1/8', address6: 'fd00:5::a/64', hostsFile }, ['sh', '-c', RESOLVE]));
    });
  }
});
