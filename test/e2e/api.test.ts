// The README's example of the test API, word for word: if this fails, the README is wrong.
import { expect, it } from 'vitest';
import { runExperiment } from 'simterpose';

it('a TCP echo between two hosts takes the virtual time SimGrid gives the link', async () => {
  // alice connects to bob over one 10 ms link, sends 1000 bytes and reads them back.
  const result = await runExperiment({
    platform: 'test/fixtures/platforms/net-two-hosts.xml',
    deployment: 'test/fixtures/deployments/tcp-echo-timed.xml',
    cpuModel: 'none', // only the network costs virtual time here
  });

  expect(result.exitCodes).toEqual([0, 0]);
  const client = result.outputs.find((p) => p.host === 'alice')!;
  expect(client.stdout).toContain('echo matches');

  // A segment takes the link's latency plus its size over the bandwidth: a handshake is two of 90 bytes (headers and framing).
  const connect = Number(/connect took ([\d.]+) s/.exec(client.stdout)![1]);
  expect(connect).toBeCloseTo(2 * (0.01 + 90 / 10e6), 6);

  const server = result.report.processes.find((p) => p.host === 'bob')!;
  expect(server.bytesReceived).toBe(1000);
  expect(server.bytesSent).toBe(1000);
  expect(server.end).toBeLessThanOrEqual(result.report.virtualTime);
});
