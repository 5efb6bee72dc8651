import { describe, expect, test } from 'vitest';
import { runSimterpose, shellStatus } from '../helpers/apps.js';

// Host names come from the platform: /etc/hosts lists its hosts at their
// virtual IPv4 and IPv6 addresses and /etc/hostname holds the host's own name, so glibc
// (getent, getaddrinfo) resolves platform names from the file without a DNS query.

const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';

async function onBob(script: string) {
  const result = await runSimterpose(['sh', '-c', script], { platform: PLATFORM, runOptions: ['--host', 'bob', '--cpu-model', 'none'] });
  expect(shellStatus(result), result.stderr).toBe(0);
  return result.stdout;
}

describe('name files', () => {
  test('/etc/hosts lists every platform host at its virtual addresses (the ip property, else an assigned one; the IPv6 one assigned from it)', async () => {
    const hosts = await onBob('cat /etc/hosts');
    expect(hosts).toMatch(/^127\.0\.0\.1\s+localhost$/m);
    expect(hosts).toMatch(/^10\.0\.0\.1\s+alice$/m);
    expect(hosts).toMatch(/^192\.168\.7\.2\s+bob$/m);
    expect(hosts).toMatch(/^fd53:696d:7465:7270::a00:1\s+alice$/m);
    expect(hosts).toMatch(/^fd53:696d:7465:7270::c0a8:702\s+bob$/m);
  });

  test('/etc/hostname holds the name of the host the program runs on', async () => {
    expect(await onBob('cat /etc/hostname')).toBe('bob\n');
  });

  test('glibc resolves platform names through the files source alone', async () => {
    // `getent -s files` consults /etc/hosts only: no nameserver is asked. `getent hosts` asks for IPv6 first, as it does natively.
    expect(await onBob('getent -s files hosts alice; getent -s files ahostsv4 bob | head -n 1')).toMatch(
      /^fd53:696d:7465:7270::a00:1\s+alice\n192\.168\.7\.2\s+STREAM bob\n$/,
    );
  });

  test('a name of no platform host is still unknown', async () => {
    expect(await onBob('getent hosts no-such-host.example; echo "status $?"')).toBe('status 2\n');
  });
});
